import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from './exit-codes.js';
import { cleanToken, MAX_STDIN_BYTES, readToken } from './read-token.js';

describe('reading the token', () => {
  it('trims whitespace and drops a leading "Bearer " in any case, as copied from a header', () => {
    expect(cleanToken('  a.b.c \n')).toBe('a.b.c');
    expect(cleanToken('Bearer a.b.c')).toBe('a.b.c');
    expect(cleanToken('bearer \t a.b.c\r\n')).toBe('a.b.c');
    expect(cleanToken('Bearera.b.c')).toBe('Bearera.b.c');
  });

  it('reads stdin for -, and refuses an empty or oversized stdin', async () => {
    expect(await readToken('-', Readable.from(['Bearer x', '.y.z\n']))).toBe('x.y.z');
    await expect(readToken('-', Readable.from(['  \n']))).rejects.toBeInstanceOf(UsageError);
    await expect(readToken('-', Readable.from([Buffer.alloc(MAX_STDIN_BYTES + 1, 97)]))).rejects.toThrow(
      'more than',
    );
    await expect(readToken(undefined, Readable.from([]))).rejects.toThrow('a token is required');
  });
});
