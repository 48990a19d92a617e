// Fastify overhead (issue 13): no auth vs the scopeguard plugin vs @fastify/jwt + get-jwks, each Fastify 5
// app in its own process (bench/fastify-server.mjs); autocannon runs here, in the parent, with the test
// issuer. Same method as the Express section (sections/http.mjs): the same token and 1,000 rotating
// tokens, every app and token mode once per round, round-robin, median; the server's CPU time per request.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestIssuer } from '@scopeguard/testing';
import { median, withTimeout } from '../lib/common.mjs';
import { mintDistinct } from '../lib/tokens.mjs';
import { measureRounds, status, stopServer } from './http.mjs';

const SERVER = fileURLToPath(new URL('../fastify-server.mjs', import.meta.url));

export const FASTIFY_VARIANTS = [
  ['none', 'no auth'],
  ['none-again', 'no auth again (control: a second, identical app)'],
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
    const results = [];
    try {
      const ports = await Promise.all(servers.map((server) => server.ready));
      for (const [index, [variant]] of FASTIFY_VARIANTS.entries()) {
        const url = `http://127.0.0.1:${ports[index]}/api`;
        const ok = await status(url, tokens[0]);
        const anonymous = await status(url);
        if (ok !== 200) throw new Error(`${variant}: a valid token got HTTP ${ok}`);
        if (!variant.startsWith('none') && anonymous !== 401)
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
      results.push(...(await measureRounds(rows, config, log, { alternate: true })));
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
