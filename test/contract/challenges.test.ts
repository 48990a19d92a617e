import { describe, expect, it } from 'vitest';
import { parseChallenges } from './challenges.js';

describe('parseChallenges (the contract reads WWW-Authenticate with it)', () => {
  it('reads a Bearer challenge with quoted parameters, names in any case, values unescaped', () => {
    expect(
      parseChallenges(['Bearer Realm="api", error="invalid_token", error_description="a \\"b\\" c"']),
    ).toEqual([
      {
        scheme: 'Bearer',
        params: { realm: 'api', error: 'invalid_token', error_description: 'a "b" c' },
        token68: undefined,
      },
    ]);
  });

  it('reads two challenges the same from two field lines and from one joined line', () => {
    const lines = ['Bearer realm="api", scope="a b"', 'DPoP algs="ES256 RS256"'];
    const expected = [
      { scheme: 'Bearer', params: { realm: 'api', scope: 'a b' }, token68: undefined },
      { scheme: 'DPoP', params: { algs: 'ES256 RS256' }, token68: undefined },
    ];
    expect(parseChallenges(lines)).toEqual(expected);
    expect(parseChallenges([lines.join(', ')])).toEqual(expected);
  });

  it('reads token parameters, token68, a bare scheme and no header at all', () => {
    expect(parseChallenges(['Basic realm=api, Negotiate abc+/==, Bearer'])).toEqual([
      { scheme: 'Basic', params: { realm: 'api' }, token68: undefined },
      { scheme: 'Negotiate', params: {}, token68: 'abc+/==' },
      { scheme: 'Bearer', params: {}, token68: undefined },
    ]);
    expect(parseChallenges([])).toEqual([]);
  });

  it.each([
    ['an unterminated quoted-string', 'Bearer realm="api'],
    ['a repeated parameter', 'Bearer realm="a", realm="b"'],
    ['junk after a parameter', 'Bearer realm="api" junk'],
    ['a parameter without a value', 'Bearer realm="api", error='],
    ['no space after the scheme', 'Bearer"x"'],
    ['a separator for a scheme', 'Bearer realm="api", ="x"'],
  ])('throws on %s', (_, value) => {
    expect(() => parseChallenges([value])).toThrow(/malformed WWW-Authenticate/);
  });
});
