// Redis replay store: what one `claim` (SET key 1 PX ms NX, one round trip) costs a DPoP request, on
// loopback, over a unix socket and over TCP, through node-redis and ioredis. A PING through the same
// client is the round-trip floor. The section starts and stops its own redis-server.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { concurrentRate, percentile } from '../lib/common.mjs';
import { redisServerVersion, startRedisServer } from '../lib/redis-server.mjs';

const ignore = () => {};

async function nodeRedis(socket) {
  const client = createClient({ socket });
  client.on('error', ignore);
  await client.connect();
  return { client, ping: () => client.ping(), close: () => client.destroy() };
}

async function ioredis(options) {
  const client = new Redis({ ...options, lazyConnect: true });
  client.on('error', ignore);
  await client.connect();
  return { client, ping: () => client.ping(), close: () => client.disconnect() };
}

/** Latencies (ms) of lone calls, one awaited after the other, until `count` or `maxMs`, whichever first. */
async function lone(fn, count, maxMs) {
  const latencies = [];
  const stopAt = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < stopAt; i++) {
    const t0 = performance.now();
    await fn(i);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

export async function redisReplay(config, log) {
  const version = redisServerVersion();
  if (!version) {
    return { skipped: 'redis-server is not installed (Debian: apt-get install -y redis-server)' };
  }
  const { createRedisReplayStore } = await import('@scopeguard/redis');
  const server = await startRedisServer();
  const connections = [];
  try {
    const transports = {
      'unix socket': { node: { path: server.socketPath }, io: { path: server.socketPath } },
      'TCP 127.0.0.1': {
        node: { host: '127.0.0.1', port: server.port },
        io: { host: '127.0.0.1', port: server.port },
      },
    };
    const rows = [];
    for (const [transport, options] of Object.entries(transports)) {
      for (const [library, connectClient] of [
        ['node-redis', () => nodeRedis(options.node)],
        ['ioredis', () => ioredis(options.io)],
      ]) {
        const c = await connectClient();
        connections.push(c);
        const store = createRedisReplayStore({ client: c.client, prefix: 'bench:' });
        let n = 0;
        // Every DPoP proof brings a fresh jti: each claim is a first claim of a new key.
        const claim = () =>
          store.claim(`${library}|${transport}|${n++}|https://api.example/resource`, Date.now() + 60_000);
        rows.push({ transport, library, claim, ping: c.ping });
      }
    }
    for (const row of rows) {
      await lone(row.ping, config.warmup, config.maxMs);
      await lone(row.claim, config.warmup, config.maxMs);
    }
    // Round-robin in slices, so that a noisy neighbour hurts every row alike.
    const samples = new Map(rows.map((row) => [row, { claim: [], ping: [] }]));
    const perSlice = Math.ceil(config.samples / config.slices);
    for (let s = 0; s < config.slices; s++) {
      for (const row of rows) {
        const into = samples.get(row);
        into.ping.push(...(await lone(row.ping, perSlice, config.maxMs / config.slices)));
        into.claim.push(...(await lone(row.claim, perSlice, config.maxMs / config.slices)));
      }
    }
    const results = [];
    for (const row of rows) {
      const { claim, ping } = samples.get(row);
      log(
        `  ${row.library} over ${row.transport}: ${claim.length} lone claims, ${config.inflight} in flight`,
      );
      const inflightRate = await concurrentRate(row.claim, config.inflight, config.inflightMs);
      results.push({
        transport: row.transport,
        library: row.library,
        samples: claim.length,
        p50: percentile(claim, 50),
        p99: percentile(claim, 99),
        pingP50: percentile(ping, 50),
        pingP99: percentile(ping, 99),
        inflightRate,
      });
    }
    return { version, inflight: config.inflight, rows: results };
  } finally {
    for (const c of connections) c.close();
    await server.stop();
  }
}
