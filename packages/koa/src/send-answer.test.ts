import type { HttpAnswer } from '@scopeguard/http';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { sendAnswer } from './send-answer.js';
import { closeServers, serve } from './test-support.js';

afterEach(closeServers);

/** An app whose only middleware sends `answer` through the adapter's response path. */
async function answering(answer: HttpAnswer) {
  const app = new Koa();
  app.use((ctx) => {
    sendAnswer(ctx, answer);
  });
  return serve(app);
}

describe('sendAnswer', () => {
  it('sends several WWW-Authenticate challenges as one field line each', async () => {
    // What the layer will answer once DPoP is on: a Bearer and a DPoP challenge.
    const client = await answering({
      status: 401,
      headers: {
        'WWW-Authenticate': ['Bearer realm="api", error="invalid_token"', 'DPoP algs="ES256", realm="api"'],
        'Cache-Control': 'no-store',
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: '{"error":"invalid_token"}',
    });
    const res = await client.get('/');
    expect(res.status).toBe(401);
    expect(res.lines('www-authenticate')).toEqual([
      'Bearer realm="api", error="invalid_token"',
      'DPoP algs="ES256", realm="api"',
    ]);
    expect(res.lines('content-type')).toEqual(['application/json; charset=utf-8']);
    expect(res.lines('content-length')).toEqual(['25']);
    expect(res.body).toBe('{"error":"invalid_token"}');
  });

  it('sends a one-challenge list as a plain value, and a 503 with Retry-After', async () => {
    const client = await answering({
      status: 503,
      headers: { 'Retry-After': '10', 'Cache-Control': 'no-store', 'WWW-Authenticate': ['Bearer realm="x"'] },
      body: undefined,
    });
    const res = await client.get('/');
    expect(res.status).toBe(503);
    expect(res.lines('www-authenticate')).toEqual(['Bearer realm="x"']);
    expect(res.lines('retry-after')).toEqual(['10']);
    expect(res.lines('content-length')).toEqual(['0']);
    expect(res.body).toBe('');
  });
});
