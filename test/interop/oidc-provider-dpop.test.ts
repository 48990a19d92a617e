import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, requireScope } from '@scopeguard/express';
import express from 'express';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../contract/http-client.js';
import { type RunningOidcProvider, startOidcProvider } from './support/oidc-provider-issuer.js';

/**
 * Interop (RFC 9449): oidc-provider (DPoP on by default in v9) issues a DPoP-bound JWT access token to
 * openid-client 6, which holds the key (`getDPoPHandle`) and calls our Express API with
 * `Authorization: DPoP` and a proof of its own making. Neither side was written here. Then the attacks a
 * bearer-only API cannot stop: the same token as Bearer, and a captured proof replayed.
 */

const API = 'https://orders.example.com';
const CLIENT_ID = 'dpop-client';
const CLIENT_SECRET = 'a-dpop-client-secret-of-reasonable-length';

let op: RunningOidcProvider;
let config: client.Configuration;
let server: Server;
let base: string;
/** The DPoP proofs the API received, as a network observer would capture them. */
const captured: string[] = [];

beforeAll(async () => {
  op = await startOidcProvider({
    resourceServers: { [API]: { audience: API, scope: 'orders:read' } },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'orders:read',
      },
    ],
  });
  config = await client.discovery(
    new URL(op.issuer),
    CLIENT_ID,
    CLIENT_SECRET,
    client.ClientSecretBasic(CLIENT_SECRET),
    { execute: [client.allowInsecureRequests] },
  );
  // The API listens first: its public origin (what proofs' htu name) is its loopback address.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = express();
  app.use((req, _res, next) => {
    const proof = (req as IncomingMessage).headers.dpop;
    if (typeof proof === 'string') captured.push(proof);
    next();
  });
  app.use(authenticate({ issuer: op.issuer, audience: API, dpop: 'allowed', publicOrigin: base }));
  app.get('/orders', requireScope('orders:read'), (req, res) => {
    res.json({ scheme: req.auth?.scheme, client: req.auth?.clientId });
  });
  server.on('request', app);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await op?.close();
});

describe('oidc-provider + openid-client DPoP against the Express adapter', () => {
  it('accepts the DPoP-bound token with openid-client’s proofs; refuses it as Bearer and a replayed proof', async () => {
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.clientCredentialsGrant(
      config,
      { resource: API, scope: 'orders:read' },
      { DPoP },
    );
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload.cnf?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const response = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${base}/orders`),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ scheme: 'DPoP', client: CLIENT_ID });

    // The stolen token, without the key: as Bearer.
    const asBearer = await send(base, {
      path: '/orders',
      headers: [['authorization', `Bearer ${tokens.access_token}`]],
    });
    expect(asBearer.status).toBe(401);
    expect(asBearer.header('www-authenticate')[0]).toContain('error="invalid_token"');

    // The stolen token with the proof captured on the wire: replayed at once.
    const proof = captured.at(-1);
    expect(proof).toBeDefined();
    const replay = await send(base, {
      path: '/orders',
      headers: [
        ['authorization', `DPoP ${tokens.access_token}`],
        ['dpop', proof as string],
      ],
    });
    expect(replay.status).toBe(401);
    expect(replay.header('www-authenticate')[1]).toContain('error="invalid_dpop_proof"');
  });
});
