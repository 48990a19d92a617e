// One Express 5 app with scopeguard and `dpop: 'allowed'` on 127.0.0.1:0, started by bench/dpop-proof.mjs
// --http with child_process.fork. argv: <issuer> <audience> <store: memory|redis> [redis port]. Sends
// { port } once listening, and { cpu, served } when asked, so that the parent measures server CPU per
// request. Serves GET /api until the parent disconnects; exits by itself after BENCH_SERVER_MAX_MS.
import { authenticate } from '@scopeguard/express';
import { createRedisReplayStore } from '@scopeguard/redis';
import express from 'express';
import { createClient } from 'redis';
import { serveParent } from './lib/forked-server.mjs';

const [issuer, audience, store, redisPort] = process.argv.slice(2);

let replayStore;
if (store === 'redis') {
  const client = createClient({ socket: { host: '127.0.0.1', port: Number(redisPort) } });
  client.on('error', () => {});
  await client.connect();
  replayStore = createRedisReplayStore({ client });
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(
  authenticate({
    issuer,
    audience,
    publicOrigin: 'https://api.example.com',
    // Proofs are made ahead of the run: a long window keeps them acceptable for its whole length.
    dpop: { mode: 'allowed', maxProofAge: 3600, ...(replayStore ? { replayStore } : {}) },
  }),
);
app.get('/api', (_req, res) => {
  res.json({ ok: true });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
server.keepAliveTimeout = 30_000;
serveParent(server, 300_000);
