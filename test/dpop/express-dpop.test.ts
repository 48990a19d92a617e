import { authenticate, requireScope } from '@scopeguard/express';
import {
  createDpopKey,
  createTestIssuer,
  DPOP_PROOF_DEFECTS,
  type DpopKey,
  type DpopProofDefect,
  mintDpopBoundToken,
  type TestIssuer,
} from '@scopeguard/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractApp } from '../contract/harness.js';
import { type ContractResponse, send } from '../contract/http-client.js';
import { serveOnLoopback } from '../contract/node-server.js';

/**
 * DPoP (RFC 9449) through the Express adapter, over real HTTP on loopback: every §4.3 failure the test kit
 * can make, each with its status and challenge; the Host-header `htu` attack; nonces; replays.
 */

const PUBLIC_ORIGIN = 'https://api.example.com';
const NONCE_SECRET = 'a-test-secret-of-at-least-32-bytes!!';

let issuer: TestIssuer;
let key: DpopKey;
let plain: ContractApp;
let withNonces: ContractApp;

function startApp(dpop: Parameters<typeof authenticate>[0]['dpop']): Promise<ContractApp> {
  const app = express();
  app.use(
    authenticate({ issuer: issuer.issuer, audience: 'api://default', dpop, publicOrigin: PUBLIC_ORIGIN }),
  );
  app.get('/orders', requireScope('orders:read'), (req, res) => {
    res.json({ scheme: req.auth?.scheme, subject: req.auth?.subject });
  });
  return serveOnLoopback(app);
}

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: 'api://default' });
  key = await createDpopKey();
  plain = await startApp('allowed');
  withNonces = await startApp({ mode: 'allowed', nonce: { secret: NONCE_SECRET } });
});

afterAll(async () => {
  await plain?.close();
  await withNonces?.close();
  await issuer?.close();
});

function dpopHeaders(token: string, proof: string | readonly string[]): [string, string][] {
  const proofs = typeof proof === 'string' ? [proof] : proof;
  return [['authorization', `DPoP ${token}`], ...proofs.map((p): [string, string] => ['dpop', p])];
}

function challenges(response: ContractResponse): { bearer: string; dpop: string } {
  const list = response.header('www-authenticate');
  expect(list).toHaveLength(2);
  return { bearer: list[0] as string, dpop: list[1] as string };
}

/** The nonce the server issues now: asked for with a proof that carries none. */
async function currentNonce(token: string): Promise<string> {
  const proof = await key.proof({ method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token });
  const response = await send(withNonces.url, { path: '/orders', headers: dpopHeaders(token, proof) });
  expect(response.status).toBe(401);
  const [nonce] = response.header('dpop-nonce');
  expect(nonce).toBeDefined();
  return nonce as string;
}

const NONCE_DEFECTS: readonly DpopProofDefect[] = ['missing-nonce', 'nonce'];

/** The `error_description` each defect gets: proof that its own check caught it, not another one. */
const CLAIMS = 'The DPoP proof lacks a required claim (jti, htm, htu, iat, ath) or one has the wrong type';
const CAUGHT_BY: Readonly<Record<string, string>> = {
  typ: "The DPoP proof's typ is not dpop+jwt",
  // An empty signature: refused by the strict parse (check 2) before its alg is read.
  'alg-none': 'The DPoP proof is not a well-formed JWT',
  'alg-hs256': 'The DPoP proof is signed with an algorithm this API does not accept',
  signature: "The DPoP proof's signature does not verify with its jwk",
  'private-jwk': "The DPoP proof's jwk is not a usable public key",
  'no-jwk': "The DPoP proof's jwk is not a usable public key",
  htm: "The DPoP proof's htm is not this request's method",
  htu: "The DPoP proof's htu is not this request's URI",
  'missing-jti': CLAIMS,
  'missing-htm': CLAIMS,
  'missing-htu': CLAIMS,
  'missing-iat': CLAIMS,
  'missing-ath': CLAIMS,
  'stale-iat': "The DPoP proof's iat is too old or in the future",
  'future-iat': "The DPoP proof's iat is too old or in the future",
  ath: "The DPoP proof's ath is not the hash of the access token",
  'foreign-key': 'The DPoP proof is signed by another key than the one the token is bound to',
};

describe('DPoP through Express: every RFC 9449 §4.3 failure is refused with its status and challenge', () => {
  it('accepts a good proof (200), as the control for the table below', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
    const proof = await key.proof({ method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token });
    const response = await send(plain.url, { path: '/orders', headers: dpopHeaders(token, proof) });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ scheme: 'DPoP' });
  });

  it.each(DPOP_PROOF_DEFECTS.filter((defect) => !NONCE_DEFECTS.includes(defect)))(
    'refuses a proof broken by %s: 401 invalid_dpop_proof in the DPoP challenge, Bearer bare',
    async (defect) => {
      const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
      const proof = await key.proof(
        { method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token },
        { defect },
      );
      const response = await send(plain.url, { path: '/orders', headers: dpopHeaders(token, proof) });
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toEqual({
        error: 'invalid_dpop_proof',
        error_description: CAUGHT_BY[defect],
      });
      const { bearer, dpop } = challenges(response);
      expect(bearer).toBe('Bearer realm="api"');
      expect(dpop).toMatch(
        /^DPoP realm="api", algs="ES256 [^"]*", error="invalid_dpop_proof", error_description="[^"]+"$/,
      );
      expect(response.everything).not.toContain(token);
      expect(response.everything).not.toContain(proof);
    },
  );

  it.each(NONCE_DEFECTS)(
    'refuses a proof broken by %s on a server with nonces: 401 use_dpop_nonce with a DPoP-Nonce header',
    async (defect) => {
      const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
      const nonce = await currentNonce(token);
      const proof = await key.proof(
        { method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token, nonce },
        { defect },
      );
      const response = await send(withNonces.url, { path: '/orders', headers: dpopHeaders(token, proof) });
      expect(response.status).toBe(401);
      expect(response.header('dpop-nonce')).toEqual([nonce]);
      expect(challenges(response).dpop).toContain('error="use_dpop_nonce"');
    },
  );

  it('accepts the server nonce, and sends a fresh DPoP-Nonce on the 200', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
    const nonce = await currentNonce(token);
    const proof = await key.proof({
      method: 'GET',
      url: `${PUBLIC_ORIGIN}/orders`,
      accessToken: token,
      nonce,
    });
    const response = await send(withNonces.url, { path: '/orders', headers: dpopHeaders(token, proof) });
    expect(response.status).toBe(200);
    expect(response.header('dpop-nonce')).toEqual([nonce]);
  });

  it('refuses two DPoP headers (check 1) as a malformed request: 400 invalid_request', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
    const url = `${PUBLIC_ORIGIN}/orders`;
    const proofs = [
      await key.proof({ method: 'GET', url, accessToken: token }),
      await key.proof({ method: 'GET', url, accessToken: token }),
    ];
    const response = await send(plain.url, { path: '/orders', headers: dpopHeaders(token, proofs) });
    expect(response.status).toBe(400);
    expect(challenges(response).dpop).toContain('error="invalid_request"');
  });

  it('refuses a replayed proof: the second use is 401 invalid_dpop_proof (RFC 9449 §11.1)', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
    const proof = await key.proof({ method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token });
    const first = await send(plain.url, { path: '/orders', headers: dpopHeaders(token, proof) });
    expect(first.status).toBe(200);
    const replay = await send(plain.url, { path: '/orders', headers: dpopHeaders(token, proof) });
    expect(replay.status).toBe(401);
    expect(challenges(replay).dpop).toContain('error="invalid_dpop_proof"');
  });

  it('refuses a proof made for http://evil.example/… sent with Host: evil.example (Host header htu spoofing)', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
    // The attack that works against a resource server building the htu URL from the request: a proof
    // captured from (or made for) another host is accepted because the attacker also sends that Host.
    const proof = await key.proof({ method: 'GET', url: 'http://evil.example/orders', accessToken: token });
    const response = await send(plain.url, {
      path: '/orders',
      headers: [['host', 'evil.example'], ...dpopHeaders(token, proof)],
    });
    expect(response.status).toBe(401);
    expect(challenges(response).dpop).toContain('error="invalid_dpop_proof"');
    expect(JSON.parse(response.body).error_description).toBe(
      "The DPoP proof's htu is not this request's URI",
    );
  });

  it('refuses a DPoP-bound token sent as Bearer: 401 invalid_token in the Bearer challenge', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['orders:read'] });
    const response = await send(plain.url, {
      path: '/orders',
      headers: [['authorization', `Bearer ${token}`]],
    });
    expect(response.status).toBe(401);
    const { bearer, dpop } = challenges(response);
    expect(bearer).toContain('error="invalid_token"');
    expect(dpop).not.toContain('error=');
  });

  it('answers a DPoP request without the scope with 403 insufficient_scope in the DPoP challenge', async () => {
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['other'] });
    const proof = await key.proof({ method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token });
    const response = await send(plain.url, { path: '/orders', headers: dpopHeaders(token, proof) });
    expect(response.status).toBe(403);
    const { bearer, dpop } = challenges(response);
    expect(bearer).toBe('Bearer realm="api"');
    expect(dpop).toContain('error="insufficient_scope"');
    expect(dpop).toContain('scope="orders:read"');
  });

  it('sends both bare challenges, no error code, to a request without credentials', async () => {
    const response = await send(plain.url, { path: '/orders' });
    expect(response.status).toBe(401);
    const { bearer, dpop } = challenges(response);
    expect(bearer).toBe('Bearer realm="api"');
    expect(dpop).toMatch(/^DPoP realm="api", algs="[^"]+"$/);
  });
});
