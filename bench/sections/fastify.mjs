// Fastify overhead (issue 13): no auth vs the scopeguard plugin vs @fastify/jwt + get-jwks, each Fastify 5
// app in its own process (bench/fastify-server.mjs); autocannon runs here, in the parent, with the test
// issuer. Same method as the Express section (sections/http.mjs): the same token and 1,000 rotating
// tokens, every app and token mode once per round, round-robin, median; the server's CPU time per request.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestIssuer } from '@scopeguard/testing';
import autocannon from 'autocannon';
import { median, withTimeout } from '../lib/common.mjs';
import { mintDistinct } from '../lib/tokens.mjs';
import { stopServer, usage } from './http.mjs';

const SERVER = fileURLToPath(new URL('../fastify-server.mjs', import.meta.url));

export const FASTIFY_VARIANTS = [
  ['none', 'no auth'],
  ['scopeguard', 'scopeguard plugin + config.scopes'],
  ['fastify-jwt', '@fastify/jwt + get-jwks, onRequest jwtVerify + scope check'],
];

function startServer(variant, issuer, maxMs) {
  const child = fork(SERVER, [variant, issuer.issuer, issuer.jwksUri, issuer.audience], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_SERVER_MAX_MS: String(maxMs) },
  });
  const ready = new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`fastify-server ${variant} exited early (${code})`)));
    child.once('error', reject);
  });
  return { child, ready: withTimeout(ready, 15_000, `starting fastify-server ${variant}`) };
}

function cannon(url, { tokens, connections, seconds }) {
  const options = { url, connections, duration: seconds, timeout: 10 };
  if (tokens.length === 1) {
    options.headers = { authorization: `Bearer ${tokens[0]}` };
  } else {
    let next = 0;
    options.requests = [
      {
        method: 'GET',
        path: '/api',
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
        }),
      },
    ];
  }
  return withTimeout(autocannon(options), (seconds + 20) * 1000, `autocannon ${url}`);
}

async function status(url, token) {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await response.arrayBuffer();
  return response.status;
}

export async function fastifyOverhead(config, log) {
  const issuer = await createTestIssuer({ algorithm: 'RS256' });
  try {
    const tokens = await mintDistinct(issuer, config.distinctTokens);
    const modes = [
      ['same', 'same token', [tokens[0]]],
      ['rotating', `${tokens.length.toLocaleString('en-US')} rotating distinct tokens`, tokens],
    ];
    const rounds = config.rounds ?? 1;
    const maxMs =
      (FASTIFY_VARIANTS.length * 2 * (rounds * config.seconds + config.warmupSeconds + 5) + 30) * 1000;
    const servers = FASTIFY_VARIANTS.map(([variant]) => startServer(variant, issuer, maxMs));
    const samples = new Map();
    const results = [];
    try {
      const ports = await Promise.all(servers.map((server) => server.ready));
      for (const [index, [variant]] of FASTIFY_VARIANTS.entries()) {
        const url = `http://127.0.0.1:${ports[index]}/api`;
        const ok = await status(url, tokens[0]);
        const anonymous = await status(url);
        if (ok !== 200) throw new Error(`${variant}: a valid token got HTTP ${ok}`);
        if (variant !== 'none' && anonymous !== 401)
          throw new Error(`${variant}: no token got HTTP ${anonymous}`);
      }
      // Rows of one token mode side by side, so that each app runs right next to the no-auth run it is
      // compared with; every other round runs them in reverse order, so that a drift in the machine's load
      // does not always favour the same app.
      const rows = [];
      for (const [mode, modeLabel, modeTokens] of modes) {
        for (const [index, [variant, label]] of FASTIFY_VARIANTS.entries()) {
          const url = `http://127.0.0.1:${ports[index]}/api`;
          rows.push({ variant, label, mode, modeLabel, url, modeTokens, child: servers[index].child });
        }
      }
      if (config.warmupSeconds > 0) {
        log(`  warm-up: ${rows.length} runs × ${config.warmupSeconds} s`);
        for (const row of rows) {
          await cannon(row.url, {
            tokens: row.modeTokens,
            connections: config.connections,
            seconds: config.warmupSeconds,
          });
        }
      }
      for (let round = 0; round < rounds; round++) {
        log(`  round ${round + 1} of ${rounds}: ${rows.length} runs × ${config.seconds} s`);
        for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
          const before = await usage(row.child);
          const r = await cannon(row.url, {
            tokens: row.modeTokens,
            connections: config.connections,
            seconds: config.seconds,
          });
          const after = await usage(row.child);
          const key = `${row.variant}/${row.mode}`;
          if (!samples.has(key)) samples.set(key, []);
          samples.get(key).push({
            requestsPerSec: r.requests.total / r.duration,
            p50: r.latency.p50,
            p99: r.latency.p99,
            total: r.requests.total,
            non2xx: r.non2xx,
            errors: r.errors + r.timeouts,
            cpuPerRequest: (after.cpu - before.cpu) / Math.max(1, after.served - before.served),
          });
        }
      }
      for (const { variant, label, mode, modeLabel } of rows) {
        const runs = samples.get(`${variant}/${mode}`);
        const sorted = [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
        const middle = sorted[Math.floor((sorted.length - 1) / 2)];
        results.push({
          variant,
          label,
          mode,
          modeLabel,
          ...middle,
          // Counted over every round: a single refused request anywhere shows.
          total: runs.reduce((sum, run) => sum + run.total, 0),
          non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
          errors: runs.reduce((sum, run) => sum + run.errors, 0),
          rounds: runs.map((run) => Math.round(run.requestsPerSec)),
          cpuRounds: runs.map((run) => run.cpuPerRequest),
          cpuPerRequest: median(runs.map((run) => run.cpuPerRequest)),
        });
      }
    } finally {
      await Promise.all(servers.map((server) => stopServer(server.child)));
    }
    for (const row of results) {
      const base = results.find((r) => r.variant === 'none' && r.mode === row.mode);
      row.ratio = row.requestsPerSec / base.requestsPerSec;
      row.p99Ratio = row.p99 / base.p99;
      row.cpuOverhead = row.cpuPerRequest - base.cpuPerRequest;
      // The CPU a request costs over no-auth, as a fraction of no-auth's (the target's measure): taken in
      // each round against that round's no-auth run of the same token mode, then the median over rounds,
      // so that a busy moment of the shared machine weighs on both sides of each ratio.
      row.cpuAddedRounds = row.cpuRounds.map((cpu, round) => cpu / base.cpuRounds[round] - 1);
      row.cpuAdded = median(row.cpuAddedRounds);
    }
    return {
      connections: config.connections,
      seconds: config.seconds,
      rounds,
      tokens: tokens.length,
      rows: results,
    };
  } finally {
    await issuer.close();
  }
}
