import { describe, expect, it } from 'vitest';
import { Printer, sanitize, wantsColor } from './output.js';

describe('colour', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('is on for a TTY and off for a pipe, unless forced', () => {
    expect(wantsColor(tty, {})).toBe(true);
    expect(wantsColor(pipe, {})).toBe(false);
    expect(wantsColor(tty, { TERM: 'dumb' })).toBe(false);
  });
  it('follows FORCE_COLOR first, then NO_COLOR; a flag overrides both', () => {
    expect(wantsColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(wantsColor(tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '' })).toBe(true);
    expect(wantsColor(pipe, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor(pipe, {}, true)).toBe(true);
    expect(wantsColor(tty, { FORCE_COLOR: '1' }, false)).toBe(false);
  });
  it('styles only when on', () => {
    const chunks: string[] = [];
    const sink = { write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream;
    expect(new Printer(sink, true).mark('pass')).toBe('\u001b[32m✓\u001b[39m');
    expect(new Printer(sink, false).mark('fail')).toBe('✗');
  });
});

describe('sanitize', () => {
  it('neutralises C0 and C1 control characters (terminal escapes), keeping text and newlines', () => {
    expect(sanitize('a\u001b[31mb\u0007c\u009bd\ne\tf')).toBe('a?[31mb?c?d\ne?f');
  });
});
