import type { HttpAnswer } from '@scopeguard/http';
import { describe, expect, it } from 'vitest';
import { answerResponse, appendHeaders } from './response.js';

describe('answerResponse', () => {
  it('carries status, headers and body of the answer', async () => {
    const answer: HttpAnswer = {
      status: 503,
      headers: {
        'Retry-After': '10',
        'Cache-Control': 'no-store',
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: '{"error":"temporarily_unavailable"}',
    };
    const response = answerResponse(answer);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('{"error":"temporarily_unavailable"}');
  });

  it('keeps every WWW-Authenticate challenge, in order (one append each)', () => {
    const response = answerResponse({
      status: 401,
      headers: { 'WWW-Authenticate': ['Bearer realm="api"', 'DPoP algs="ES256", realm="api"'] },
      body: undefined,
    });
    // A fetch Headers shows repeated values as one list, which is also how runtimes send them: a valid
    // WWW-Authenticate field value (RFC 9110 §11.6.1), read by clients as two challenges.
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", DPoP algs="ES256", realm="api"',
    );
  });

  it('sends an empty body when the answer has none, and adds the extra headers of a granted outcome', async () => {
    const response = answerResponse(
      { status: 403, headers: { 'Cache-Control': 'no-store' }, body: undefined },
      { 'DPoP-Nonce': 'n1' },
    );
    expect(response.body).toBeNull();
    expect(await response.text()).toBe('');
    expect(response.headers.get('dpop-nonce')).toBe('n1');
  });
});

describe('appendHeaders', () => {
  it('adds to existing headers without replacing them', () => {
    const headers = new Headers({ Vary: 'Origin' });
    appendHeaders(headers, { Vary: 'Authorization', 'X-One': ['a', 'b'] });
    expect(headers.get('vary')).toBe('Origin, Authorization');
    expect(headers.get('x-one')).toBe('a, b');
  });
});
