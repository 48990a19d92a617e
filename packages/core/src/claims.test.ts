import { describe, expect, it } from 'vitest';
import { type ClaimPolicy, checkClaims } from './claims.js';
import { TokenError } from './errors.js';

const policy: ClaimPolicy = {
  issuer: 'https://issuer.example/oauth2/default',
  audiences: ['api://default'],
  clientIds: undefined,
  clockTolerance: 5,
  maxTokenAge: undefined,
  typ: 'any',
  requiredClaims: [],
};
const now = 1_700_000_000_000;
const good = {
  iss: policy.issuer,
  aud: 'api://default',
  iat: 1_700_000_000,
  exp: 1_700_003_600,
  cid: 'c',
  scp: ['a'],
};

function refusal(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256' }) {
  try {
    checkClaims(header, claims, policy, now);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  }
  throw new Error('expected the claims to be refused');
}

describe('checkClaims: time claims must be finite numbers', () => {
  // JSON.parse('1e999') is Infinity: a token can carry it even though JSON.stringify cannot write it.
  it.each([
    ['exp', Number.POSITIVE_INFINITY],
    ['exp', Number.NaN],
    ['nbf', Number.NEGATIVE_INFINITY],
    ['iat', Number.POSITIVE_INFINITY],
  ])('refuses %s = %s', (claim, value) => {
    const error = refusal({ ...good, [claim]: value });
    expect(error.code).toBe('claim_invalid');
    expect(error.claim).toBe(claim);
  });

  it.each([
    ['exp', 1e308],
    ['exp', 253_402_300_800],
    ['nbf', -1],
    ['iat', -0.5],
  ])('refuses %s = %s: outside 0 … 253402300799 (year 9999)', (claim, value) => {
    const error = refusal({ ...good, [claim]: value });
    expect(error.code).toBe('claim_invalid');
    expect(error.message).toMatch(/must be a NumericDate \(seconds since 1970, from 0 to 253402300799\)/);
  });

  it('accepts fractional NumericDates (RFC 7519 §2) and the largest one', () => {
    expect(() =>
      checkClaims({ alg: 'RS256' }, { ...good, exp: 253_402_300_799, nbf: 1.5 }, policy, now),
    ).not.toThrow();
  });

  it('accepts the same claims with finite numbers', () => {
    expect(checkClaims({ alg: 'RS256' }, good, policy, now).scopes).toEqual(['a']);
  });

  it('refuses exactly at exp + tolerance, accepts one second before', () => {
    const at = (good.exp + 5) * 1000;
    expect(() => checkClaims({ alg: 'RS256' }, good, policy, at - 1000)).not.toThrow();
    expect(() => checkClaims({ alg: 'RS256' }, good, policy, at)).toThrow(TokenError);
  });

  it('refuses an id_token typ header as an ID token', () => {
    expect(refusal(good, { alg: 'RS256', typ: 'id_token+jwt' }).message).toMatch(/looks like an ID token/);
  });
});
