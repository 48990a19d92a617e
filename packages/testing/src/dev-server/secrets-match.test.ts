import { describe, expect, it } from 'vitest';
import { secretsMatch } from './secrets-match.js';

describe('secretsMatch', () => {
  it('accepts the same secret', () => {
    expect(secretsMatch('s3cr3t', 's3cr3t')).toBe(true);
  });

  it('rejects a different secret, whatever its length', () => {
    expect(secretsMatch('s3cr3t', 's3cr3T')).toBe(false);
    expect(secretsMatch('s3cr3t', 's3cr3t-and-more')).toBe(false);
    expect(secretsMatch('', 's3cr3t')).toBe(false);
  });
});
