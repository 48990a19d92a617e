// The adapter's behaviour on every Fastify version it claims, through both ways a request arrives:
// `inject` and real HTTP on 127.0.0.1 (where a repeated `Authorization` header is a real second field line).
import { createVerifier, type Verifier } from '@scopeguard/core';
import { requireAnyScope, requireScope, type ScopeguardOptions, scopeguard } from '@scopeguard/fastify';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  bearer,
  DESCRIPTION_CHARS,
  echo,
  FASTIFIES,
  type Send,
  TRANSPORTS,
} from './test-support.js';

const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function json(res: Answer): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>;
}

/** The token appears nowhere in the answer, not even its signature. */
function expectNotEchoed(res: Answer, token: string): void {
  const text = `${JSON.stringify(res.headers)}${res.body}`;
  expect(text).not.toContain(token);
  const signature = token.split('.')[2] ?? '';
  if (signature.length > 0) expect(text).not.toContain(signature);
  const challenge = String(res.headers['www-authenticate'] ?? '');
  const description = /error_description="([^"]*)"/.exec(challenge)?.[1] ?? '';
  expect(description).toMatch(DESCRIPTION_CHARS);
}

describe.each(FASTIFIES)('$name', ({ create }) => {
  let issuer: TestIssuer;
  let verifier: Verifier;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
  });

  afterAll(async () => {
    await issuer.close();
  });

  describe.each(TRANSPORTS)('over $name', ({ open }) => {
    /** The contract routes: /me (any token), /scoped (config.scopes), /pre (requireScope), /any (requireAnyScope). */
    async function app(options: Partial<ScopeguardOptions> = {}): Promise<Send> {
      const fastify = create();
      apps.push(fastify);
      fastify.get('/health', async () => ({ ok: true }));
      await fastify.register(async (api) => {
        await api.register(scopeguard, { verifier, ...options } as ScopeguardOptions);
        api.get('/me', echo);
        api.get('/scoped', { config: { scopes: ['customScope'] } }, echo);
        api.get('/pre', { preHandler: requireScope('customScope') }, echo);
        api.get('/any', { preHandler: requireAnyScope('read', 'write') }, echo);
        api.get('/both', { config: { scopes: ['a'], anyScopes: ['b', 'c'] } }, echo);
      });
      return open(fastify);
    }

    it('sets request.auth to the verified token', async () => {
      const send = await app();
      const token = await issuer.mint({ cid: 'svc', sub: 'svc' }, { scopes: ['customScope', 'x'] });
      const res = await send({ url: '/me', headers: bearer(token) });
      expect(res.status).toBe(200);
      expect(json(res)).toEqual({
        auth: {
          scopes: ['customScope', 'x'],
          clientId: 'svc',
          subject: 'svc',
          token,
          iss: issuer.issuer,
          expiresAt: expect.any(String),
        },
      });
      expect((await send({ url: '/health' })).status).toBe(200);
    });

    it('answers 401 with a bare challenge (no error code) when there are no credentials', async () => {
      const send = await app();
      for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }] as Record<string, string>[]) {
        const res = await send({ url: '/me', headers });
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(json(res)).toEqual({ error: 'unauthorized', error_description: 'A bearer token is required' });
      }
    });

    it('answers 400 invalid_request to two Authorization headers, whichever comes first (F5)', async () => {
      const send = await app();
      const valid = await issuer.mint({}, { scopes: ['customScope'] });
      const other = await issuer.mint({ sub: 'someone-else' }, { scopes: ['customScope'] });
      for (const pair of [
        ['Basic dXNlcjpwYXNz', `Bearer ${valid}`],
        [`Bearer ${valid}`, 'Basic dXNlcjpwYXNz'],
        [`Bearer ${valid}`, `Bearer ${other}`],
      ]) {
        const res = await send({ url: '/me', headers: { authorization: pair } });
        expect(res.status).toBe(400);
        expect(json(res).error).toBe('invalid_request');
        expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
        expectNotEchoed(res, valid);
      }
    });

    it('answers 400 invalid_request to a malformed Authorization header', async () => {
      const send = await app();
      for (const authorization of ['Bearer', 'Bearer a b', 'Bearer  ', `Bearer ${'a'.repeat(10)}"`]) {
        const res = await send({ url: '/me', headers: { authorization } });
        expect(res.status, authorization).toBe(400);
        expect(json(res).error).toBe('invalid_request');
      }
    });

    it('answers 401 invalid_token to an expired, forged or foreign token, never echoing it', async () => {
      const send = await app();
      const tokens = [
        await issuer.mint({}, { expiresIn: -3600 }),
        await issuer.mint({}, { foreignKey: true }),
        await issuer.mint({ aud: 'api://other' }),
        'not-a-jwt',
      ];
      for (const token of tokens) {
        const res = await send({ url: '/me', headers: bearer(token) });
        expect(res.status).toBe(401);
        expect(json(res).error).toBe('invalid_token');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
        expectNotEchoed(res, token);
      }
      const aud = json(await send({ url: '/me', headers: bearer(tokens[2] as string) }));
      // What is wrong with the token, never this API's configuration.
      expect(aud.error_description).toMatch(/^audience_invalid: /);
      expect(aud.error_description).not.toContain('api://default');
    });

    it('answers 403 insufficient_scope with scope="…" for config.scopes, requireScope and requireAnyScope', async () => {
      const send = await app();
      const lacking = await issuer.mint({}, { scopes: ['other'] });
      for (const [url, scope, description] of [
        ['/scoped', 'customScope', 'This resource requires the scope: customScope'],
        ['/pre', 'customScope', 'This resource requires the scope: customScope'],
        ['/any', 'read write', 'This resource requires one of these scopes: read, write'],
        ['/both', 'a b c', 'This resource requires the scope: a; and one of these scopes: b, c'],
      ] as const) {
        const res = await send({ url, headers: bearer(lacking) });
        expect(res.status, url).toBe(403);
        expect(res.headers['www-authenticate']).toBe(
          `Bearer realm="api", error="insufficient_scope", error_description="${description}", scope="${scope}"`,
        );
        expect(json(res)).toEqual({ error: 'insufficient_scope', error_description: description });
        expectNotEchoed(res, lacking);
      }
      const granted = await issuer.mint({}, { scopes: ['customScope', 'write', 'a', 'c'] });
      for (const url of ['/scoped', '/pre', '/any', '/both']) {
        expect((await send({ url, headers: bearer(granted) })).status, url).toBe(200);
      }
    });

    it('answers 503 with Retry-After, and no challenge, when the keys cannot be fetched on a cold cache', async () => {
      const down = await createTestIssuer();
      try {
        down.setJwksFault({ kind: 'status', status: 500 });
        const send = await app({
          verifier: undefined,
          issuer: down.issuer,
          audience: 'api://default',
          retryAfter: 30,
        } as Partial<ScopeguardOptions>);
        const token = await down.mint({}, { scopes: ['customScope'] });
        const res = await send({ url: '/scoped', headers: bearer(token) });
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('30');
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(res.headers['cache-control']).toBe('no-store');
        expect(json(res).error).toBe('temporarily_unavailable');
        expectNotEchoed(res, token);
      } finally {
        await down.close();
      }
    });

    it('with optional, lets a request without credentials through with request.auth null, and nothing else', async () => {
      const send = await app({ optional: true });
      expect(json(await send({ url: '/me' }))).toEqual({ auth: null });
      // A route that needs a scope still needs a token: 401, bare challenge.
      for (const url of ['/scoped', '/pre', '/any']) {
        const res = await send({ url });
        expect(res.status, url).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      }
      // A token that is present is still verified, and a repeated header is still malformed.
      const expired = await issuer.mint({}, { expiresIn: -3600 });
      expect((await send({ url: '/me', headers: bearer(expired) })).status).toBe(401);
      const valid = await issuer.mint();
      const twice = await send({
        url: '/me',
        headers: { authorization: ['Basic dXNlcjpwYXNz', `Bearer ${valid}`] },
      });
      expect(twice.status).toBe(400);
      expect(json(await send({ url: '/me', headers: bearer(valid) })).auth).toMatchObject({ token: valid });
    });

    it('answers 200 parallel requests with different identities, each with its own', async () => {
      const send = await app();
      const identities = Array.from({ length: 200 }, (_, i) => `client-${i}`);
      const tokens = await Promise.all(
        identities.map((id, i) =>
          issuer.mint({ cid: id, sub: id }, { scopes: i % 2 ? ['customScope'] : ['other'] }),
        ),
      );
      const answers = await Promise.all(
        tokens.map((token) => send({ url: '/scoped', headers: bearer(token) })),
      );
      answers.forEach((res, i) => {
        if (i % 2) {
          expect(res.status).toBe(200);
          expect(json(res).auth).toMatchObject({
            clientId: identities[i],
            subject: identities[i],
            token: tokens[i],
          });
        } else {
          expect(res.status).toBe(403);
          expect(res.body).not.toContain(identities[i]);
        }
      });
    });
  });
});
