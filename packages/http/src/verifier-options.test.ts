import { describe, expect, it } from 'vitest';
import { configuresVerifier } from './verifier-options.js';

describe('configuresVerifier', () => {
  it('is false for nothing but the layer’s options and the adapter’s own keys', () => {
    expect(configuresVerifier({})).toBe(false);
    expect(configuresVerifier({ optional: true, realm: 'r', retryAfter: 5, errorBody: undefined })).toBe(
      false,
    );
    expect(configuresVerifier({ optional: true, env: {} }, ['env'])).toBe(false);
  });

  it('is true for any verifier option, or any unknown key, even undefined', () => {
    expect(configuresVerifier({ issuer: 'https://a', audience: 'b' })).toBe(true);
    expect(configuresVerifier({ verifier: undefined })).toBe(true);
    expect(configuresVerifier({ jwksUri: 'https://a/keys', optional: true })).toBe(true);
    expect(configuresVerifier({ env: {} })).toBe(true);
  });
});
