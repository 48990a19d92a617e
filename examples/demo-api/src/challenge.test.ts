import { describe, expect, it } from 'vitest';
import { parseChallenges } from './challenge.js';

describe('parseChallenges', () => {
  it('reads resource_metadata from a Bearer challenge (RFC 9728 §5.1)', () => {
    expect(
      parseChallenges(
        'Bearer realm="demo-api", resource_metadata="http://127.0.0.1:1/.well-known/oauth-protected-resource/api"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'demo-api',
          resource_metadata: 'http://127.0.0.1:1/.well-known/oauth-protected-resource/api',
        },
      },
    ]);
  });

  it('separates several challenges, unquotes escapes and lower-cases names', () => {
    expect(
      parseChallenges('DPoP algs="ES256 EdDSA", error=invalid_token, Bearer Realm="a \\"b\\"", error="x, y"'),
    ).toEqual([
      { scheme: 'dpop', params: { algs: 'ES256 EdDSA', error: 'invalid_token' } },
      { scheme: 'bearer', params: { realm: 'a "b"', error: 'x, y' } },
    ]);
  });

  it('copes with an empty or broken value without throwing', () => {
    expect(parseChallenges('')).toEqual([]);
    // A stray '"' is skipped like any non-token character: no quoted-string starts outside a parameter.
    expect(parseChallenges('=x, "unterminated')).toEqual([
      { scheme: 'x', params: {} },
      { scheme: 'unterminated', params: {} },
    ]);
    expect(parseChallenges('Bearer realm="unterminated')).toEqual([
      { scheme: 'bearer', params: { realm: 'unterminated' } },
    ]);
  });
});
