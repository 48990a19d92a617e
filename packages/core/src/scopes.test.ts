import { describe, expect, it } from 'vitest';
import { TokenError } from './errors.js';
import { assertScopes, hasScopes, readScopes } from './scopes.js';

describe('readScopes', () => {
  it('reads Okta scp arrays', () => {
    expect(readScopes({ scp: ['a', 'b'] })).toEqual(['a', 'b']);
  });
  it('reads RFC 9068 space-delimited scope strings, tolerating repeated spaces', () => {
    expect(readScopes({ scope: 'a  b c' })).toEqual(['a', 'b', 'c']);
  });
  it('returns no scopes when neither claim is present', () => {
    expect(readScopes({})).toEqual([]);
  });
  it('accepts scp and scope together when they agree', () => {
    expect(readScopes({ scp: ['a', 'b'], scope: 'b a' })).toEqual(['a', 'b']);
  });
  it.each([
    ['scp as a string', { scp: 'a b' }],
    ['scp with a non-string member', { scp: ['a', 1] }],
    ['scp with an element containing a space (two scopes smuggled in one)', { scp: ['a b'] }],
    ['scope as an array', { scope: ['a'] }],
    ['scp and scope that disagree', { scp: ['a'], scope: 'a admin' }],
  ])('refuses %s', (_, claims) => {
    expect(readScopes(claims)).toBeUndefined();
  });
});

describe('hasScopes / assertScopes', () => {
  const granted = ['read', 'write'];
  it('checks all-of', () => {
    expect(hasScopes(granted, { allOf: ['read', 'write'] })).toBe(true);
    expect(hasScopes(granted, { allOf: ['read', 'admin'] })).toBe(false);
  });
  it('checks any-of', () => {
    expect(hasScopes(granted, { anyOf: ['admin', 'write'] })).toBe(true);
    expect(hasScopes(granted, { anyOf: ['admin'] })).toBe(false);
  });
  it('checks both together', () => {
    expect(hasScopes(granted, { allOf: ['read'], anyOf: ['admin', 'write'] })).toBe(true);
    expect(hasScopes(granted, { allOf: ['admin'], anyOf: ['write'] })).toBe(false);
  });
  it('does not treat a scope as a prefix or substring of another', () => {
    expect(hasScopes(['customScope:read'], { allOf: ['customScope'] })).toBe(false);
  });
  it('throws insufficient_scope naming what is required and what the token has', () => {
    let error: unknown;
    try {
      assertScopes(granted, { allOf: ['read', 'admin'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).code).toBe('insufficient_scope');
    expect((error as TokenError).requiredScopes).toEqual(['read', 'admin']);
    expect((error as TokenError).message).toBe(
      'scope must include all of "read admin" (missing "admin"); token has "read write"',
    );
  });
  it('does not throw when satisfied', () => {
    expect(() => assertScopes(granted, { anyOf: ['write'] })).not.toThrow();
  });
});
