import { TOKEN_ERROR_CODES, TokenError } from '@scopeguard/core';
import { describe, expect, it } from 'vitest';
import {
  challenge,
  failureFromTokenError,
  invalidRequest,
  noCredentials,
  sanitizeDescription,
} from './rfc6750.js';

/** RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E ). */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

describe('sanitizeDescription', () => {
  it('keeps only the characters RFC 6750 allows', () => {
    const text = sanitizeDescription('iss "https://a\\b" \u2026 caf\u00e9\r\n\tend');
    expect(text).toMatch(DESCRIPTION_CHARS);
    expect(text).toBe("iss 'https://a/b' ... caf? end");
  });

  it('truncates long text', () => {
    expect(sanitizeDescription('x'.repeat(1000)).length).toBeLessThanOrEqual(200);
  });

  it('masks the token if it appears', () => {
    expect(sanitizeDescription('bad token abc.def.ghi here', 'abc.def.ghi')).toBe('bad token [token] here');
  });
});

describe('failureFromTokenError', () => {
  it.each(TOKEN_ERROR_CODES)('maps %s to a status and a safe description', (code) => {
    const failure = failureFromTokenError(new TokenError(code, 'expected "a\\b", found "c"'), 7);
    const expected = code === 'jwks_unavailable' ? 503 : code === 'insufficient_scope' ? 403 : 401;
    expect(failure.status).toBe(expected);
    expect(failure.description).toMatch(DESCRIPTION_CHARS);
    if (expected === 401) {
      expect(failure.error).toBe('invalid_token');
      expect(failure.description.startsWith(`${code}: `)).toBe(true);
    }
    if (expected === 503) expect(failure.retryAfter).toBe(7);
  });
});

describe('challenge', () => {
  it('has no error code without credentials', () => {
    expect(challenge(noCredentials(), 'api')).toBe('Bearer realm="api"');
  });

  it('carries error and description for 400', () => {
    expect(challenge(invalidRequest('bad "header"'), 'r')).toBe(
      `Bearer realm="r", error="invalid_request", error_description="bad 'header'"`,
    );
  });

  it('lists the required scopes for 403', () => {
    const error = new TokenError('insufficient_scope', 'nope', { requiredScopes: ['a', 'b:c'] });
    // The description comes from the code, not from the TokenError's message (issue 11).
    expect(challenge(failureFromTokenError(error, 1), 'api')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a scope this resource requires", scope="a b:c"',
    );
  });

  it('sends no challenge for 503', () => {
    expect(
      challenge(failureFromTokenError(new TokenError('jwks_unavailable', 'down'), 1), 'api'),
    ).toBeUndefined();
  });
});
