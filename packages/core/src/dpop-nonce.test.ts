import { describe, expect, it } from 'vitest';
import { createDpopNonces } from './dpop-nonce.js';
import { ConfigError } from './errors.js';

const SECRET = 'a-test-secret-that-is-32-bytes-!';
const T0 = Date.UTC(2030, 0, 1); // a window boundary for 60 s windows

describe('createDpopNonces (RFC 9449 §8, §9)', () => {
  it('issues one nonce per window and accepts it during that window and the next', () => {
    const nonces = createDpopNonces({ secret: SECRET, window: 60 });
    const nonce = nonces.issue(T0);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonces.issue(T0 + 59_999)).toBe(nonce);
    expect(nonces.check(nonce, T0)).toBe(true);
    expect(nonces.check(nonce, T0 + 60_000)).toBe(true); // previous window
    expect(nonces.check(nonce, T0 + 119_999)).toBe(true);
    expect(nonces.issue(T0 + 60_000)).not.toBe(nonce);
  });

  it('refuses a nonce two windows old (stale)', () => {
    const nonces = createDpopNonces({ secret: SECRET, window: 60 });
    expect(nonces.check(nonces.issue(T0), T0 + 120_000)).toBe(false);
  });

  it('refuses a nonce from a later window (a nonce cannot be used before it was issued)', () => {
    const nonces = createDpopNonces({ secret: SECRET, window: 60 });
    expect(nonces.check(nonces.issue(T0 + 60_000), T0)).toBe(false);
  });

  it('agrees across instances that share the secret, with no shared state', () => {
    const a = createDpopNonces({ secret: SECRET });
    const b = createDpopNonces({ secret: Buffer.from(SECRET) });
    expect(b.check(a.issue(T0), T0 + 1000)).toBe(true);
    expect(a.issue(T0)).toBe(b.issue(T0));
  });

  it('refuses nonces made with another secret (forged nonces)', () => {
    const ours = createDpopNonces({ secret: SECRET });
    const theirs = createDpopNonces({ secret: 'another-secret-of-at-least-32-bytes' });
    expect(ours.check(theirs.issue(T0), T0)).toBe(false);
  });

  it('refuses anything that is not exactly a nonce: other types, lengths, a non-ASCII look-alike', () => {
    const nonces = createDpopNonces({ secret: SECRET });
    const nonce = nonces.issue(T0);
    for (const value of [undefined, null, 42, {}, '', nonce.slice(1), `${nonce}=`, ` ${nonce.slice(1)}`]) {
      expect(nonces.check(value, T0)).toBe(false);
    }
    // U+0100 + c truncates to c in latin1: a comparison of latin1 bytes would be fooled by it.
    const lookAlike = `${String.fromCharCode(0x100 + nonce.charCodeAt(0))}${nonce.slice(1)}`;
    expect(nonces.check(lookAlike, T0)).toBe(false);
  });

  it('refuses a secret shorter than 32 bytes, and a window under one second, at construction', () => {
    expect(() => createDpopNonces({ secret: 'short' })).toThrow(ConfigError);
    expect(() => createDpopNonces({ secret: new Uint8Array(31) })).toThrow(/at least 32 bytes, found 31/);
    expect(() => createDpopNonces({ secret: 42 as unknown as string })).toThrow(ConfigError);
    expect(() => createDpopNonces({ secret: SECRET, window: 0 })).toThrow(ConfigError);
    expect(() => createDpopNonces({ secret: SECRET, window: Number.NaN })).toThrow(ConfigError);
  });
});
