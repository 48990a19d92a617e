import { describe, expect, it } from 'vitest';
import { extractBearerToken } from './bearer.js';
import type { ScopeguardRequest } from './types.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/==';
const Q = encodeURIComponent(TOKEN);

function req(parts: Partial<ScopeguardRequest> & { authorization?: string; contentType?: string }) {
  const headers: ScopeguardRequest['headers'] = {};
  if (parts.authorization !== undefined) headers.authorization = parts.authorization;
  if (parts.contentType !== undefined) headers['content-type'] = parts.contentType;
  return { headers, url: parts.url ?? '/', body: parts.body } satisfies ScopeguardRequest;
}

describe('extractBearerToken: Authorization header', () => {
  it.each([
    ['Bearer', `Bearer ${TOKEN}`],
    ['lower-case scheme', `bearer ${TOKEN}`],
    ['upper-case scheme', `BEARER ${TOKEN}`],
    ['extra spaces after the scheme', `Bearer    ${TOKEN}`],
    ['surrounding spaces', `  Bearer ${TOKEN}  `],
    ['a tab after the scheme', `Bearer\t${TOKEN}`],
  ])('accepts %s', (_label, authorization) => {
    expect(extractBearerToken(req({ authorization }))).toEqual({
      kind: 'token',
      token: TOKEN,
      source: 'header',
    });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a blank header', '   '],
    ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ['a bare other scheme', 'Negotiate'],
    ['an auth-param scheme', 'Digest username="a", realm="b", nonce=xyz'],
  ])('sees no bearer credentials with %s', (_label, authorization) => {
    expect(extractBearerToken(req(authorization === undefined ? {} : { authorization }))).toEqual({
      kind: 'none',
    });
  });

  it.each([
    ['Bearer with no token', 'Bearer'],
    ['Bearer with only spaces', 'Bearer    '],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a comma-separated pair', `Bearer ${TOKEN}, Bearer ${TOKEN}`],
    ['characters outside b64token', 'Bearer abc$def'],
    ['padding in the middle', 'Bearer abc=def'],
    ['a quoted token', `Bearer "${TOKEN}"`],
    ['other scheme with junk', 'Basic a b c'],
    ['no scheme at all', '{"token": 1}'],
  ])('refuses %s as malformed', (_label, authorization) => {
    const result = extractBearerToken(req({ authorization }));
    expect(result.kind).toBe('malformed');
    if (result.kind === 'malformed') expect(result.description).not.toContain(TOKEN);
  });
});

describe('extractBearerToken: query and form body', () => {
  const form = 'application/x-www-form-urlencoded';

  it('ignores the query and the body unless enabled', () => {
    const request = req({ url: `/x?access_token=${Q}`, contentType: form, body: { access_token: TOKEN } });
    expect(extractBearerToken(request)).toEqual({ kind: 'none' });
  });

  it('reads the query when enabled', () => {
    const request = req({ url: `/x?a=1&access_token=${encodeURIComponent(TOKEN)}` });
    expect(extractBearerToken(request, { allowQueryToken: true })).toEqual({
      kind: 'token',
      token: TOKEN,
      source: 'query',
    });
  });

  it('prefers originalUrl to url', () => {
    const request = { ...req({ url: '/x' }), originalUrl: `/mount/x?access_token=${Q}` };
    expect(extractBearerToken(request, { allowQueryToken: true })).toMatchObject({ kind: 'token' });
  });

  it('reads a form body when enabled, only with the form content type', () => {
    expect(
      extractBearerToken(req({ contentType: `${form}; charset=utf-8`, body: { access_token: TOKEN } }), {
        allowBodyToken: true,
      }),
    ).toEqual({ kind: 'token', token: TOKEN, source: 'body' });
    expect(
      extractBearerToken(req({ contentType: 'application/json', body: { access_token: TOKEN } }), {
        allowBodyToken: true,
      }),
    ).toEqual({ kind: 'none' });
  });

  it.each([
    ['header and query', { authorization: `Bearer ${TOKEN}`, url: `/?access_token=${Q}` }],
    [
      'header and body',
      { authorization: `Bearer ${TOKEN}`, contentType: form, body: { access_token: TOKEN } },
    ],
    ['query and body', { url: `/?access_token=${Q}`, contentType: form, body: { access_token: TOKEN } }],
    ['a repeated query parameter', { url: `/?access_token=${Q}&access_token=${Q}` }],
    ['an empty query parameter', { url: '/?access_token=' }],
    ['a repeated form field', { contentType: form, body: { access_token: [TOKEN, TOKEN] } }],
  ])('refuses %s when enabled', (_label, parts) => {
    const result = extractBearerToken(req(parts), { allowQueryToken: true, allowBodyToken: true });
    expect(result.kind).toBe('malformed');
  });

  it('accepts a non-Bearer header together with a query token', () => {
    const request = req({ authorization: 'Basic dXNlcjpwYXNz', url: `/?access_token=${Q}` });
    expect(extractBearerToken(request, { allowQueryToken: true })).toMatchObject({
      kind: 'token',
      source: 'query',
    });
  });
});
