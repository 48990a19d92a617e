import { TOKEN_ERROR_CODES, TokenError } from '@scopeguard/core';
import { describe, expect, it } from 'vitest';
import { failureFromTokenError } from './rfc6750.js';
import { describeTokenError } from './token-error-description.js';

/** RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E ). */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SECRET = 'api://configured-secret-value';

describe('describeTokenError', () => {
  it.each(TOKEN_ERROR_CODES)('describes %s from its code, never from its message', (code) => {
    const error = new TokenError(code, `expected ${SECRET}, found something else`, { claim: 'aud' });
    const text = describeTokenError(error);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('expected');
    expect(text).toMatch(DESCRIPTION_CHARS);
    expect(text.length).toBeGreaterThan(10);
  });

  it.each([
    ['audience_invalid', 'aud', "The token's aud does not name this API"],
    ['issuer_invalid', 'iss', "The token's iss does not name an issuer this API trusts"],
    ['alg_not_allowed', 'header.alg', 'The token is signed with an algorithm this API does not accept'],
    ['key_not_found', 'header.kid', 'The token names a signing key this API does not know'],
    ['token_expired', 'exp', 'The token has expired'],
    ['token_expired', 'iat', 'The token was issued too long ago'],
    ['token_not_yet_valid', 'nbf', 'The token is not valid yet'],
    ['claim_invalid', 'typ', 'The token is an ID token, not an access token'],
    ['claim_invalid', 'scp', "The token's scp claim has a wrong type or value"],
    ['token_malformed', 'header.crit', "The token's header parameter crit is not acceptable"],
  ] as const)('says what is wrong with the token for %s on %s', (code, claim, text) => {
    expect(describeTokenError(new TokenError(code, 'x', { claim }))).toBe(text);
  });

  it("does not name a claim that only this API's configuration knows (requiredClaims)", () => {
    const text = describeTokenError(new TokenError('claim_invalid', 'x', { claim: 'x-internal-tenant' }));
    expect(text).toBe('The token does not carry the claims this API requires');
  });

  it('has a neutral sentence for a code it does not know (a newer core)', () => {
    expect(describeTokenError({ code: 'brand_new' as never, claim: undefined })).toBe(
      'The token was refused',
    );
  });
});

describe('failureFromTokenError with exposeErrorDetails', () => {
  it('sends the full message only when asked to (development)', () => {
    const error = new TokenError('audience_invalid', `aud "api://a" is not "${SECRET}"`, { claim: 'aud' });
    expect(failureFromTokenError(error, 10).description).toBe(
      "audience_invalid: The token's aud does not name this API",
    );
    expect(failureFromTokenError(error, 10, undefined, { exposeErrorDetails: true }).description).toBe(
      `audience_invalid: aud 'api://a' is not '${SECRET}'`,
    );
  });
});
