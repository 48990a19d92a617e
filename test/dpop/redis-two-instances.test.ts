import { authenticate } from '@scopeguard/express';
import { createRedisReplayStore } from '@scopeguard/redis';
import {
  createDpopKey,
  createTestIssuer,
  type DpopKey,
  mintDpopBoundToken,
  type TestIssuer,
} from '@scopeguard/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractApp } from '../contract/harness.js';
import { send } from '../contract/http-client.js';
import { serveOnLoopback } from '../contract/node-server.js';
import { connectClient, type TestClient } from '../support/redis-clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * Two API instances behind one load balancer share one replay view through Redis (RFC 9449 §11.1): a proof
 * accepted by one instance is refused by the other. With the default per-process store the replay would
 * succeed on the second instance, which is what the control case shows.
 */

const PUBLIC_ORIGIN = 'https://api.example.com';

let redis: RedisServer;
let clients: TestClient[] = [];
let issuer: TestIssuer;
let key: DpopKey;
const apps: ContractApp[] = [];

function instance(replayStore?: ReturnType<typeof createRedisReplayStore>): Promise<ContractApp> {
  const app = express();
  app.use(
    authenticate({
      issuer: issuer.issuer,
      audience: 'api://default',
      publicOrigin: PUBLIC_ORIGIN,
      dpop: replayStore === undefined ? 'allowed' : { mode: 'allowed', replayStore },
    }),
  );
  app.get('/orders', (req, res) => {
    res.json({ subject: req.auth?.subject });
  });
  return serveOnLoopback(app).then((started) => {
    apps.push(started);
    return started;
  });
}

beforeAll(async () => {
  redis = await startRedisServer();
  issuer = await createTestIssuer({ audience: 'api://default' });
  key = await createDpopKey();
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all(clients.map((client) => client.close()));
  clients = [];
  await issuer?.close();
  await redis?.stop();
});

async function proofRequest() {
  const token = await mintDpopBoundToken(issuer, key);
  const proof = await key.proof({ method: 'GET', url: `${PUBLIC_ORIGIN}/orders`, accessToken: token });
  return {
    path: '/orders',
    headers: [
      ['authorization', `DPoP ${token}`],
      ['dpop', proof],
    ] as [string, string][],
  };
}

describe('two Express instances sharing createRedisReplayStore on a real redis-server', () => {
  it('refuses at the second instance a proof the first one accepted (replay across instances)', async () => {
    // Each instance has its own client, as two processes would.
    const a = await connectClient('redis@6', redis);
    const b = await connectClient('redis@6', redis);
    clients.push(a, b);
    const first = await instance(createRedisReplayStore({ client: a.client }));
    const second = await instance(createRedisReplayStore({ client: b.client }));

    const request = await proofRequest();
    expect((await send(first.url, request)).status).toBe(200);
    const replay = await send(second.url, request);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.body)).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(replay.header('www-authenticate')[1]).toContain('error="invalid_dpop_proof"');
    // And a fresh proof is fine on either instance.
    expect((await send(second.url, await proofRequest())).status).toBe(200);
  });

  it('control: with per-process stores the same replay gets through the second instance', async () => {
    const first = await instance();
    const second = await instance();
    const request = await proofRequest();
    expect((await send(first.url, request)).status).toBe(200);
    expect((await send(second.url, request)).status).toBe(200);
  });

  it('answers 503 with Retry-After when Redis is down, never accepting an unchecked proof', async () => {
    const client = await connectClient('redis@6', redis);
    clients.push(client);
    const app = await instance(createRedisReplayStore({ client: client.client, timeoutMs: 200 }));
    await redis.kill();
    try {
      const response = await send(app.url, await proofRequest());
      expect(response.status).toBe(503);
      expect(response.header('retry-after')).toEqual(['10']);
      expect(response.header('www-authenticate')).toEqual([]);
    } finally {
      await redis.restart();
    }
  });
});
