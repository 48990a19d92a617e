/**
 * Findings of the outside review (issue 11) that live in the HTTP layer, attacked through real HTTP
 * requests against Express apps on loopback:
 *
 * - F5: two `Authorization` headers. Node keeps only the first in `req.headers`, so `Basic …` +
 *   `Bearer <valid>` used to be "no credentials" (anonymous with `optional: true`) and
 *   `Bearer u1` + `Bearer u2` was answered as u1, while a proxy reading the last header saw u2.
 * - What callers are told: `error_description` used to carry `TokenError.message`, which names the
 *   expected audience, issuer, client allowlist, allowed algorithms and the JWKS URL.
 * - F3 (quadratic trim) is proven by `test/redos`, without timing; here, only that huge headers of
 *   spaces and tabs still get the right answers.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { createVerifier, TOKEN_ERROR_CODES, type TokenErrorCode } from '@scopeguard/core';
import { authenticate, requireScope } from '@scopeguard/express';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const express4 = createRequire(import.meta.url)('express4') as typeof express;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One GET with each `[name, value]` sent as its own header field line, repeats included. */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string | string[]>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // An array makes Node send one field line per value: the only way to send a repeated header.
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end();
  });
}

const servers: Server[] = [];

async function listen(app: (req: never, res: never) => void): Promise<number> {
  const server = createServer(app as never);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
  await issuer.close();
});

describe.each([
  { name: 'Express 5', create: () => express() },
  { name: 'Express 4', create: () => express4() },
])('F5: more than one Authorization header ($name)', ({ create }) => {
  let strict: number;
  let optional: number;

  beforeAll(async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
    const echo = (req: express.Request, res: express.Response) => {
      res.json({ client: req.auth?.clientId ?? null, subject: req.auth?.subject ?? null });
    };
    const strictApp = create();
    strictApp.use(authenticate({ verifier }));
    strictApp.get('/whoami', echo);
    strict = await listen(strictApp);
    const optionalApp = create();
    optionalApp.use(authenticate({ verifier, optional: true }));
    optionalApp.get('/whoami', echo);
    optional = await listen(optionalApp);
  });

  it('control: one valid Bearer header is accepted, and no header is anonymous in optional mode', async () => {
    const token = await issuer.mint({ sub: 'u1', cid: 'u1' });
    expect((await rawGet(strict, '/whoami', { Authorization: `Bearer ${token}` })).status).toBe(200);
    const anonymous = await rawGet(optional, '/whoami', {});
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.body)).toEqual({ client: null, subject: null });
  });

  it.each(['strict', 'optional'] as const)(
    'refuses Basic + Bearer <valid> with 400 invalid_request (%s mode), instead of "no credentials"',
    async (mode) => {
      const token = await issuer.mint();
      const res = await rawGet(mode === 'strict' ? strict : optional, '/whoami', {
        Authorization: ['Basic dXNlcjpwYXNz', `Bearer ${token}`],
      });
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_request", error_description="The request carries more than one Authorization header"',
      );
      expect(JSON.parse(res.body).error).toBe('invalid_request');
      expect(res.body).not.toContain(token);
    },
  );

  it.each(['strict', 'optional'] as const)(
    'refuses Bearer <u1> + Bearer <u2> with 400 (%s mode), instead of answering as u1',
    async (mode) => {
      const u1 = await issuer.mint({ sub: 'u1', cid: 'u1' });
      const u2 = await issuer.mint({ sub: 'u2', cid: 'u2' });
      const res = await rawGet(mode === 'strict' ? strict : optional, '/whoami', {
        Authorization: [`Bearer ${u1}`, `Bearer ${u2}`],
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toBe('invalid_request');
      expect(res.body).not.toContain('u1');
    },
  );

  it('refuses the same valid header sent twice', async () => {
    const token = await issuer.mint();
    const res = await rawGet(strict, '/whoami', { Authorization: [`Bearer ${token}`, `Bearer ${token}`] });
    expect(res.status).toBe(400);
  });
});

describe('what callers are told: error_description names what is wrong with the token, never our configuration', () => {
  // Distinctive configured values; none may reach an unauthenticated caller.
  const AUDIENCE = 'api://configured-audience-7f3a';
  const CLIENT = 'configured-client-9c1e';
  const TENANT = 'configured-tenant-4b2d';
  const EXTRA_ALG = 'PS384';
  let port: number;
  let detailedPort: number;
  let downPort: number;
  let down: TestIssuer;
  let configured: string[];

  function appFor(target: TestIssuer, exposeErrorDetails: boolean) {
    const app = express();
    app.use(
      authenticate({
        issuer: target.issuer,
        audience: AUDIENCE,
        jwksUri: target.jwksUri,
        clientIds: [CLIENT],
        algorithms: ['RS256', EXTRA_ALG],
        requiredClaims: { tenant: TENANT },
        jwks: { cooldown: 60_000, unknownKidTimeout: 0 },
        exposeErrorDetails,
      }),
    );
    app.get('/orders', requireScope('orders:read'), (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  }

  beforeAll(async () => {
    down = await createTestIssuer();
    down.setJwksFault({ kind: 'status', status: 500 });
    port = await listen(appFor(issuer, false));
    detailedPort = await listen(appFor(issuer, true));
    downPort = await listen(appFor(down, false));
    configured = [
      AUDIENCE,
      CLIENT,
      TENANT,
      EXTRA_ALG,
      issuer.issuer,
      issuer.jwksUri,
      issuer.origin,
      '127.0.0.1',
      down.jwksUri,
      down.origin,
    ];
    // Warm the key cache, so that an unknown kid is refused at once (inside the cooldown).
    const ok = await rawGet(port, '/orders', { Authorization: `Bearer ${await good()}` });
    expect(ok.status).toBe(200);
  });

  afterAll(async () => {
    await down.close();
  });

  const good = (claims: Record<string, unknown> = {}, options: Record<string, unknown> = {}) =>
    issuer.mint(
      { aud: AUDIENCE, cid: CLIENT, sub: CLIENT, tenant: TENANT, scp: ['orders:read'], ...claims },
      options,
    );

  /** One token (or header) per code, each refused for that code alone. */
  const cases: Record<TokenErrorCode, () => Promise<{ header: string; port?: number }>> = {
    token_malformed: async () => ({ header: 'Bearer not-a-jwt' }),
    alg_not_allowed: async () => ({ header: `Bearer ${await good({}, { header: { alg: 'ES512' } })}` }),
    key_not_found: async () => ({ header: `Bearer ${await good({}, { header: { kid: 'no-such-kid' } })}` }),
    signature_invalid: async () => ({ header: `Bearer ${await good({}, { foreignKey: true })}` }),
    token_expired: async () => ({ header: `Bearer ${await good({}, { expiresIn: -3600 })}` }),
    token_not_yet_valid: async () => ({ header: `Bearer ${await good({}, { notBefore: 3600 })}` }),
    issuer_invalid: async () => ({ header: `Bearer ${await good({ iss: 'https://evil.example/oauth2' })}` }),
    audience_invalid: async () => ({ header: `Bearer ${await good({ aud: 'api://someone-else' })}` }),
    client_not_allowed: async () => ({
      header: `Bearer ${await good({ cid: 'intruder', sub: 'intruder' })}`,
    }),
    claim_invalid: async () => ({ header: `Bearer ${await good({ tenant: 'another-tenant' })}` }),
    insufficient_scope: async () => ({ header: `Bearer ${await good({ scp: ['orders:none'] })}` }),
    jwks_unavailable: async () => ({
      header: `Bearer ${await down.mint({ aud: AUDIENCE })}`,
      port: downPort,
    }),
  };

  const STATUS: Partial<Record<TokenErrorCode, number>> = { insufficient_scope: 403, jwks_unavailable: 503 };

  it('covers every TokenError code', () => {
    expect(Object.keys(cases).sort()).toEqual([...TOKEN_ERROR_CODES].sort());
  });

  it.each(TOKEN_ERROR_CODES)('%s: the description echoes no configured value', async (code) => {
    const { header, port: target } = await cases[code]();
    const res = await rawGet(target ?? port, '/orders', { Authorization: header });
    expect(res.status).toBe(STATUS[code] ?? 401);
    const body = JSON.parse(res.body) as { error: string; error_description: string };
    const challenge = String(res.headers['www-authenticate'] ?? '');
    // The failure is the one this case is about (so the check below means something).
    if (res.status === 401) expect(body.error_description.startsWith(`${code}: `)).toBe(true);
    expect(body.error_description.length).toBeGreaterThan(10);
    for (const value of configured) {
      expect(body.error_description, `description leaks ${value}`).not.toContain(value);
      expect(challenge, `challenge leaks ${value}`).not.toContain(value);
    }
  });

  it('exposeErrorDetails: true (development) sends the full reason, configuration included', async () => {
    const res = await rawGet(detailedPort, '/orders', {
      Authorization: `Bearer ${await good({ aud: 'api://someone-else' })}`,
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error_description).toBe(
      `audience_invalid: aud 'api://someone-else' is not '${AUDIENCE}'`,
    );
  });
});

describe('F3: huge headers of spaces and tabs get the right answer (linear-time parsing is proven in test/redos)', () => {
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(authenticate({ issuer: issuer.issuer, audience: 'api://default' }));
    app.get('/x', (_req, res) => {
      res.json({ ok: true });
    });
    port = await listen(app);
  });

  it.each([
    ['spaces in the middle', `x${' '.repeat(15_000)}y`, 401],
    ['tabs and spaces after Bearer, then junk', `Bearer${' \t'.repeat(7_000)}$`, 400],
    ['Bearer, spaces, a token, spaces, junk', `Bearer ${' '.repeat(7_000)}abc${' '.repeat(7_000)}x`, 400],
    [
      'a Digest-like list of 2,000 parameters (over 4,096 characters: not read through)',
      `Digest ${'a=b, '.repeat(2_000)}c=d`,
      400,
    ],
    ['a Digest-like list of 800 parameters', `Digest ${'a=b, '.repeat(800)}c=d`, 401],
    ['only spaces', ' '.repeat(15_000), 401],
  ])('%s (%#)', async (_label, header, status) => {
    const res = await rawGet(port, '/x', { Authorization: header });
    expect(res.status).toBe(status);
  });

  it('control: a valid token after 7,000 spaces and tabs following the scheme is accepted', async () => {
    const token = await issuer.mint();
    const res = await rawGet(port, '/x', { Authorization: `Bearer${' \t'.repeat(3_500)}${token}` });
    expect(res.status).toBe(200);
  });
});
