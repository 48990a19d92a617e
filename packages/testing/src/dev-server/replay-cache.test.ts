import { describe, expect, it } from 'vitest';
import { ReplayCache } from './replay-cache.js';

describe('ReplayCache', () => {
  it('accepts an identifier once and refuses it again before it expires', () => {
    const cache = new ReplayCache();
    expect(cache.use('jti-1', 200, 100)).toBe(true);
    expect(cache.use('jti-1', 200, 150)).toBe(false);
    expect(cache.use('jti-2', 200, 150)).toBe(true);
  });

  it('forgets identifiers once they have expired', () => {
    const cache = new ReplayCache();
    cache.use('jti-1', 200, 100);
    expect(cache.use('jti-1', 300, 201)).toBe(true);
  });
});
