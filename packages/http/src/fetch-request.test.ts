import { describe, expect, it } from 'vitest';
import { findBearerToken } from './bearer.js';
import { fetchRequest, readsFormBody } from './fetch-request.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/==';

/** A WHATWG Request carrying each [name, value] as its own field line. */
function request(lines: [string, string][], init: RequestInit = {}): Request {
  const headers = new Headers();
  for (const [name, value] of lines) headers.append(name, value);
  return new Request('https://api.example/orders?page=2', { ...init, headers });
}

describe('fetchRequest', () => {
  it('reads method, headers (any case) and the absolute URL as the target; no trusted url', () => {
    const view = fetchRequest(request([['X-Other', 'z']], { method: 'POST', body: 'a=b' }));
    expect(view.method).toBe('POST');
    expect(view.target).toBe('https://api.example/orders?page=2');
    expect(view.header('x-other')).toBe('z');
    expect(view.header('authorization')).toBeUndefined();
    // request.url is usually built from Host: only the adapter's configuration may claim the URL.
    expect(view.url).toBeUndefined();
    expect(view.body).toBeUndefined();
  });

  it('takes the URL and the parsed body the adapter knows', () => {
    const view = fetchRequest(request([]), {
      url: 'https://api.example/orders',
      body: { access_token: 'x' },
    });
    expect(view.url).toBe('https://api.example/orders');
    expect(view.body).toEqual({ access_token: 'x' });
  });

  it('reads a Bearer token from the Authorization header', () => {
    expect(findBearerToken(fetchRequest(request([['Authorization', `Bearer ${TOKEN}`]])))).toEqual({
      kind: 'token',
      token: TOKEN,
      source: 'header',
    });
  });

  // Headers.get joins the field lines of a repeated header with ", ": the parser must refuse every
  // joined form, or a proxy that kept the other line would authorize another identity (issue 11, F5).
  it.each<[string, [string, string][]]>([
    [
      'Basic + Bearer <valid>',
      [
        ['Authorization', 'Basic dXNlcjpwYXNz'],
        ['Authorization', `Bearer ${TOKEN}`],
      ],
    ],
    [
      'Bearer <valid> + Basic',
      [
        ['Authorization', `Bearer ${TOKEN}`],
        ['Authorization', 'Basic dXNlcjpwYXNz'],
      ],
    ],
    [
      'Bearer <u1> + Bearer <u2>',
      [
        ['Authorization', `Bearer ${TOKEN}`],
        ['authorization', 'Bearer other.tok.en'],
      ],
    ],
    [
      'the same Bearer twice',
      [
        ['Authorization', `Bearer ${TOKEN}`],
        ['Authorization', `Bearer ${TOKEN}`],
      ],
    ],
    [
      'an empty line, then Bearer',
      [
        ['Authorization', ''],
        ['Authorization', `Bearer ${TOKEN}`],
      ],
    ],
    [
      'Bearer, then an empty line',
      [
        ['Authorization', `Bearer ${TOKEN}`],
        ['Authorization', ''],
      ],
    ],
    [
      'two auth-param lists',
      [
        ['Authorization', 'Digest a=b'],
        ['Authorization', 'Digest c=d'],
      ],
    ],
    [
      'two other schemes',
      [
        ['Authorization', 'Basic abc'],
        ['Authorization', 'Negotiate xyz'],
      ],
    ],
  ])('refuses two Authorization headers joined by Headers (%s) as malformed', (_label, lines) => {
    const raw = request(lines);
    expect(raw.headers.get('authorization')).toContain(',');
    const found = findBearerToken(fetchRequest(raw));
    expect(found.kind).toBe('malformed');
  });

  it('still accepts one auth-param list with commas (another scheme: no bearer credentials)', () => {
    const raw = request([['Authorization', 'Digest username="a", realm="b", nonce=xyz']]);
    expect(findBearerToken(fetchRequest(raw))).toEqual({ kind: 'none' });
  });
});

describe('readsFormBody', () => {
  const form = 'application/x-www-form-urlencoded';
  it('is true only with allowBodyToken and a form content type', () => {
    const post = (type: string) => request([['Content-Type', type]], { method: 'POST', body: 'a=b' });
    expect(readsFormBody(post(form), { allowBodyToken: true })).toBe(true);
    expect(readsFormBody(post(`${form}; charset=UTF-8`), { allowBodyToken: true })).toBe(true);
    expect(readsFormBody(post('APPLICATION/X-WWW-FORM-URLENCODED'), { allowBodyToken: true })).toBe(true);
    expect(readsFormBody(post(form), { allowBodyToken: false })).toBe(false);
    expect(readsFormBody(post('application/json'), { allowBodyToken: true })).toBe(false);
    expect(readsFormBody(post('multipart/form-data; boundary=x'), { allowBodyToken: true })).toBe(false);
    expect(readsFormBody(request([]), { allowBodyToken: true })).toBe(false);
  });
});
