import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createDpopKey,
  createTestIssuer,
  type DpopKey,
  mintDpopBoundToken,
  type TestIssuer,
} from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractApp, ContractTarget } from './harness.js';
import { send } from './http-client.js';

/**
 * DPoP (RFC 9449) works in every adapter: the rules live in `@scopeguard/http`, and each adapter passes
 * `dpop` / `publicOrigin` through and sends the layer's answers. Every target of `targets/` is started with
 * `dpop: 'allowed'` and played three rows: a good proof (200), a broken one (401 `invalid_dpop_proof`), and a
 * DPoP-bound token sent as Bearer (401 `invalid_token`, the stolen-token case of RFC 9449 §7.1).
 */

const TARGETS_DIR = fileURLToPath(new URL('./targets/', import.meta.url));
const AUDIENCE = 'api://scopeguard-contract';
const PUBLIC_ORIGIN = 'https://api.example.com';

const targets: ContractTarget[] = [];
for (const file of readdirSync(TARGETS_DIR)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .sort()) {
  const module = (await import(pathToFileURL(join(TARGETS_DIR, file)).href)) as { target: ContractTarget };
  targets.push(module.target);
}

let issuer: TestIssuer;
let key: DpopKey;

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: AUDIENCE });
  key = await createDpopKey();
});

afterAll(async () => {
  await issuer?.close();
});

it('covers at least Express, Fastify, Koa, Hono, fetch and NestJS', () => {
  const names = targets.map((target) => target.name).join(' ');
  for (const adapter of ['express', 'fastify', 'koa', 'hono', 'fetch', 'nestjs'])
    expect(names).toContain(adapter);
});

describe.each(targets.map((target) => [target.name, target] as const))('DPoP through %s', (_name, target) => {
  let app: ContractApp;

  beforeAll(async () => {
    app = await target.start({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      dpop: 'allowed',
      publicOrigin: PUBLIC_ORIGIN,
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers 200 to a DPoP-bound token with a good proof', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const proof = await key.proof({ method: 'GET', url: `${PUBLIC_ORIGIN}/me`, accessToken: token });
    const response = await send(app.url, {
      path: '/me',
      headers: [
        ['authorization', `DPoP ${token}`],
        ['dpop', proof],
      ],
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).auth).toMatchObject({ issuer: issuer.issuer });
  });

  it('answers 401 invalid_dpop_proof, in the DPoP challenge, to a broken proof', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const proof = await key.proof(
      { method: 'GET', url: `${PUBLIC_ORIGIN}/me`, accessToken: token },
      { defect: 'signature' },
    );
    const response = await send(app.url, {
      path: '/me',
      headers: [
        ['authorization', `DPoP ${token}`],
        ['dpop', proof],
      ],
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_dpop_proof' });
    const challenges = response.header('www-authenticate').join(', ');
    expect(challenges).toMatch(/DPoP realm="api", algs="ES256 [^"]*", error="invalid_dpop_proof"/);
    expect(challenges).toMatch(/^Bearer realm="api"/);
  });

  it('answers 401 invalid_token to a DPoP-bound token sent as Bearer (stolen token replayed as Bearer)', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const response = await send(app.url, { path: '/me', headers: [['authorization', `Bearer ${token}`]] });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_token' });
    expect(response.header('www-authenticate').join(', ')).toMatch(
      /^Bearer realm="api", error="invalid_token"/,
    );
  });
});
