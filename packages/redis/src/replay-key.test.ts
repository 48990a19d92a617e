import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_RAW_KEY_LENGTH, replayKey } from './replay-key.js';

const sha = (key: string) => createHash('sha256').update(key, 'utf8').digest('base64url');

describe('replayKey', () => {
  it('keeps a short key readable under the prefix', () => {
    expect(replayKey('p:', 'jti|https://api.example/x')).toBe('p:k:jti|https://api.example/x');
  });

  it(`hashes a key longer than ${MAX_RAW_KEY_LENGTH} characters, bounding every stored key`, () => {
    const edge = 'a'.repeat(MAX_RAW_KEY_LENGTH);
    expect(replayKey('p:', edge)).toBe(`p:k:${edge}`);
    expect(replayKey('p:', `${edge}a`)).toBe(`p:h:${sha(`${edge}a`)}`);
    expect(replayKey('p:', 'b'.repeat(1_000_000))).toHaveLength('p:h:'.length + 43);
  });

  it('hashes a key holding "{", so a caller\'s key cannot carry a Redis Cluster hash tag', () => {
    expect(replayKey('p:', 'a{b}c')).toBe(`p:h:${sha('a{b}c')}`);
  });

  it('keeps short keys and hashed keys in separate spaces (no short key equals a hashed one)', () => {
    const long = 'x'.repeat(500);
    const hashed = replayKey('p:', long);
    expect(replayKey('p:', hashed.slice('p:'.length))).not.toBe(hashed);
  });
});
