// Micro-benchmark: the cost of a DPoP proof check (createDpopVerifier().verify: every RFC 9449 §4.3 check
// plus the in-memory replay store) against its floor, one bare ES256 crypto.verify of a proof.
// Usage: pnpm build && node bench/dpop-proof.mjs [rounds=300] [calls-per-round=100] [--http]
//
// --http adds, after it, the cost over HTTP through the Express adapter (bench/dpop-server.mjs, forked): the
// server's CPU time per request of a DPoP request (distinct proof each, in-memory replay store; then the
// Redis store on a private redis-server over TCP loopback) against a cached Bearer request to the same app,
// in alternating rounds; and the latency of one Redis replay claim (p50/p99, lone claims on loopback).
//
// Each round runs `calls` of each side back to back and reads the process's CPU time (user + system) per
// call: on a shared machine wall time also counts the time other processes held the core. Rounds are short
// and alternate, so that a busy moment hits both sides alike; the totals give the mean per call, and the
// per-round differences their median.
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createDpopVerifier, createMemoryReplayStore, jwkThumbprint } from '@scopeguard/core';
import { median } from './lib/common.mjs';

const numbers = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const withHttp = process.argv.includes('--http');
const rounds = Number(numbers[0] ?? 300);
const calls = Number(numbers[1] ?? 100);
const URL = 'https://api.example.com/orders';
const b64 = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
const jwk = { kty, crv, x, y };
const jkt = jwkThumbprint(jwk);
// An access token of a realistic size (an Okta RS256 token is about 900 characters).
const accessToken = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ iss: 'https://issuer.example', cnf: { jkt }, pad: 'x'.repeat(500) })}.${randomBytes(256).toString('base64url')}`;
const ath = createHash('sha256').update(accessToken).digest('base64url');

// One distinct proof per call (a replay would be refused, and measure something else).
const count = (rounds + 6) * calls;
const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk });
const iat = Math.floor(Date.now() / 1000);
const proofs = [];
const inputs = [];
const signatures = [];
for (let i = 0; i < count; i++) {
  const input = `${header}.${b64({ jti: randomBytes(16).toString('base64url'), htm: 'GET', htu: URL, iat, ath })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  inputs.push(Buffer.from(input));
  signatures.push(signature);
  proofs.push(`${input}.${signature.toString('base64url')}`);
}

const dpop = createDpopVerifier({ replayStore: createMemoryReplayStore({ maxEntries: count }) });
let nextFloor = 0;
let nextProof = 0;
let nextReference = 0;
const sides = {
  floor: () => {
    const at = nextFloor++ % count;
    if (!verify('sha256', inputs[at], { key: publicKey, dsaEncoding: 'ieee-p1363' }, signatures[at])) {
      throw new Error('bad signature');
    }
  },
  // What any check of a JWT proof must do at the least, with no rule at all: split, decode, JSON.parse,
  // crypto.verify (the `reference` row of pnpm bench, for proofs). JS work between two verifies also evicts
  // OpenSSL's P-256 tables from the cache, which the floor, verifying back to back, never pays.
  reference: () => {
    const proof = proofs[nextReference++ % count];
    const first = proof.indexOf('.');
    const second = proof.indexOf('.', first + 1);
    JSON.parse(Buffer.from(proof.slice(0, first), 'base64url').toString());
    JSON.parse(Buffer.from(proof.slice(first + 1, second), 'base64url').toString());
    const ok = verify(
      'sha256',
      Buffer.from(proof.slice(0, second)),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(proof.slice(second + 1), 'base64url'),
    );
    if (!ok) throw new Error('bad signature');
  },
  dpop: () =>
    dpop.verify({
      proofs: [proofs[nextProof++]],
      method: 'GET',
      url: `${URL}?page=2`,
      accessToken,
      boundJkt: jkt,
    }),
};

/** CPU microseconds per call of `fn` over `n` calls (each awaited, as a request handler would). */
async function cpuPerCall(fn, n) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const names = Object.keys(sides);
const results = Object.fromEntries(names.map((name) => [name, []]));
for (let round = -5; round < rounds; round++) {
  for (const name of names) {
    const us = await cpuPerCall(sides[name], calls);
    if (round >= 0) results[name].push(us); // the first five rounds warm up
  }
}
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const minus = (a, b) => results[a].map((us, i) => us - results[b][i]);
const line = (label, values) =>
  `${label.padEnd(36)} mean ${mean(values).toFixed(1).padStart(6)} µs   median ${median(values).toFixed(1).padStart(6)} µs`;
console.log(
  `node ${process.version}, ${rounds} alternating rounds × ${calls} calls per side, CPU time per call`,
);
console.log(line('ES256 crypto.verify (floor)', results.floor));
console.log(line('reference: parse + crypto.verify', results.reference));
console.log(line('createDpopVerifier().verify', results.dpop));
console.log(line('verify − floor (same round)', minus('dpop', 'floor')));
console.log(line('verify − reference (same round)', minus('dpop', 'reference')));

if (withHttp) await httpPart();

/** DPoP vs cached Bearer over HTTP through the Express adapter, and the Redis claim round trip. */
async function httpPart() {
  const { fork } = await import('node:child_process');
  const { Agent, request } = await import('node:http');
  const { createTestIssuer, createDpopKey, mintDpopBoundToken } = await import('@scopeguard/testing');
  const { createRedisReplayStore } = await import('@scopeguard/redis');
  const { createClient } = await import('redis');
  const { startRedisServer } = await import('./lib/redis-server.mjs');
  const { percentile } = await import('./lib/common.mjs');

  const httpRounds = 10;
  const perRound = 400;
  const inflight = 8;
  const audience = 'api://bench';
  const issuer = await createTestIssuer({ audience });
  const redis = await startRedisServer();
  const key = await createDpopKey();
  const bearer = await issuer.mint({}, { scopes: ['a'] });
  const bound = await mintDpopBoundToken(issuer, key, {}, { scopes: ['a'] });
  const target = 'https://api.example.com/api';

  const servers = {};
  const children = [];
  for (const store of ['memory', 'redis']) {
    const child = fork(new globalThis.URL('./dpop-server.mjs', import.meta.url), [
      issuer.issuer,
      audience,
      store,
      String(redis.port),
    ]);
    children.push(child);
    const port = await new Promise((resolve, reject) => {
      child.once('message', (message) => resolve(message.port));
      child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
    });
    servers[store] = { child, port, agent: new Agent({ keepAlive: true, maxSockets: inflight }) };
  }
  const usage = (child) =>
    new Promise((resolve) => {
      const on = (message) => {
        if (message?.type !== 'usage') return;
        child.off('message', on);
        resolve(message);
      };
      child.on('message', on);
      child.send({ type: 'usage' });
    });
  const get = (server, headers) =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/api', agent: server.agent, headers },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  // Proofs made ahead, one per DPoP request: signing is the client's cost, not the server's.
  const proofCount = (httpRounds + 2) * perRound * 2;
  const proofs = [];
  for (let i = 0; i < proofCount; i++)
    proofs.push(await key.proof({ method: 'GET', url: target, accessToken: bound }));
  let nextProof = 0;
  const sidesHttp = {
    'Bearer, cached (memory app)': () => get(servers.memory, { authorization: `Bearer ${bearer}` }),
    'DPoP, memory replay store': () =>
      get(servers.memory, { authorization: `DPoP ${bound}`, dpop: proofs[nextProof++] }),
    'Bearer, cached (redis app)': () => get(servers.redis, { authorization: `Bearer ${bearer}` }),
    'DPoP, Redis replay store': () =>
      get(servers.redis, { authorization: `DPoP ${bound}`, dpop: proofs[nextProof++] }),
  };
  const serverOf = (name) => (name.includes('edis') ? servers.redis : servers.memory);
  const cpu = Object.fromEntries(Object.keys(sidesHttp).map((name) => [name, []]));
  for (let round = -2; round < httpRounds; round++) {
    for (const [name, fn] of Object.entries(sidesHttp)) {
      const server = serverOf(name);
      const before = await usage(server.child);
      let left = perRound;
      await Promise.all(
        Array.from({ length: inflight }, async () => {
          while (left-- > 0) await fn();
        }),
      );
      const after = await usage(server.child);
      const us =
        (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) /
        (after.served - before.served);
      if (round >= 0) cpu[name].push(us);
    }
  }
  const diff = (a, b) => cpu[a].map((us, i) => us - cpu[b][i]);
  console.log('');
  console.log(
    `Express 5 + scopeguard, dpop: 'allowed', ${httpRounds} alternating rounds × ${perRound} requests, ${inflight} in flight, server CPU per request`,
  );
  for (const name of Object.keys(sidesHttp)) console.log(line(name, cpu[name]));
  console.log(
    line(
      'DPoP (memory) − Bearer (same round)',
      diff('DPoP, memory replay store', 'Bearer, cached (memory app)'),
    ),
  );
  console.log(
    line(
      'DPoP (Redis) − Bearer (same round)',
      diff('DPoP, Redis replay store', 'Bearer, cached (redis app)'),
    ),
  );

  // One replay claim through @scopeguard/redis over TCP loopback, lone (one in flight).
  const client = createClient({ socket: { host: '127.0.0.1', port: redis.port } });
  client.on('error', () => {});
  await client.connect();
  const store = createRedisReplayStore({ client });
  const latencies = [];
  for (let i = 0; i < 5500; i++) {
    const start = process.hrtime.bigint();
    await store.claim(`bench:${i}:${randomBytes(8).toString('hex')}`, Date.now() + 60_000);
    if (i >= 500) latencies.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  console.log(
    `Redis replay claim (node-redis, TCP 127.0.0.1, 5,000 lone claims): p50 ${percentile(latencies, 50).toFixed(0)} µs, p99 ${percentile(latencies, 99).toFixed(0)} µs`,
  );
  client.destroy();
  for (const child of children) child.kill();
  for (const server of Object.values(servers)) server.agent.destroy();
  await redis.stop();
  await issuer.close();
}
