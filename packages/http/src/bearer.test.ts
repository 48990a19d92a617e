import { describe, expect, it } from 'vitest';
import { findBearerToken } from './bearer.js';
import type { HeaderValue, HttpRequest } from './types.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/==';

function request(headers: Record<string, HeaderValue>, parts: { target?: string; body?: unknown } = {}) {
  return {
    method: 'GET',
    target: parts.target ?? '/',
    body: parts.body,
    header: (name: string) => headers[name],
  } satisfies HttpRequest;
}

describe('findBearerToken: header lists', () => {
  it('reads a header given as a one-element list or as a string', () => {
    const expected = { kind: 'token', token: TOKEN, source: 'header' };
    expect(findBearerToken(request({ authorization: [`Bearer ${TOKEN}`] }))).toEqual(expected);
    expect(findBearerToken(request({ authorization: `Bearer ${TOKEN}` }))).toEqual(expected);
  });

  it('sees an empty list as no header', () => {
    expect(findBearerToken(request({ authorization: [] }))).toEqual({ kind: 'none' });
  });

  it.each([
    ['Basic and Bearer', ['Basic dXNlcjpwYXNz', `Bearer ${TOKEN}`]],
    ['two Bearer tokens', [`Bearer ${TOKEN}`, 'Bearer other']],
    ['the same header twice', [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]],
    ['an empty one and a Bearer one', ['', `Bearer ${TOKEN}`]],
  ])('refuses two Authorization field lines (%s) as malformed', (_label, lines) => {
    const result = findBearerToken(request({ authorization: lines }));
    expect(result).toEqual({
      kind: 'malformed',
      description: 'The request carries more than one Authorization header',
    });
  });

  it('refuses the comma-joined form of two headers (what WHATWG Headers.get gives)', () => {
    expect(findBearerToken(request({ authorization: `Basic dXNlcjpwYXNz, Bearer ${TOKEN}` })).kind).toBe(
      'malformed',
    );
    expect(findBearerToken(request({ authorization: `Bearer ${TOKEN}, Bearer other` })).kind).toBe(
      'malformed',
    );
  });

  it('examines auth-param lists of another scheme up to 4,096 characters, and refuses longer ones', () => {
    const list = (n: number) => `Digest ${Array.from({ length: n }, (_, i) => `p${i}=v`).join(', ')}`;
    const short = list(500); // about 3,800 characters of parameters
    expect(short.length - 'Digest '.length).toBeLessThanOrEqual(4096);
    expect(findBearerToken(request({ authorization: short }))).toEqual({ kind: 'none' });
    expect(findBearerToken(request({ authorization: list(1000) })).kind).toBe('malformed');
    // A long token68 of another scheme (a Kerberos ticket) is still "not ours", not malformed.
    expect(findBearerToken(request({ authorization: `Negotiate ${'A'.repeat(12_000)}==` }))).toEqual({
      kind: 'none',
    });
  });

  it('ignores a repeated content type rather than guess which one the body parser used', () => {
    const form = 'application/x-www-form-urlencoded';
    const result = findBearerToken(
      request({ 'content-type': [form, form] }, { body: { access_token: TOKEN } }),
      { allowBodyToken: true },
    );
    expect(result).toEqual({ kind: 'none' });
  });

  it.each([
    ['application/x-www-form-urlencoded', true],
    ['Application/X-WWW-Form-Urlencoded;charset=utf-8', true],
    ['application/x-www-form-urlencoded \t ; charset=utf-8', true],
    ['application/x-www-form-urlencodedx', false],
    ['application/json', false],
    ['text/plain; application/x-www-form-urlencoded', false],
  ])('reads the body for content type %j: %s', (contentType, read) => {
    const result = findBearerToken(
      request({ 'content-type': contentType }, { body: { access_token: TOKEN } }),
      { allowBodyToken: true },
    );
    expect(result.kind).toBe(read ? 'token' : 'none');
  });
});
