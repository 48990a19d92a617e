// HTTP overhead: each Express 5 variant runs in its own process (bench/http-server.mjs); autocannon runs
// here, in the parent, with the test issuer. Loopback only.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { authenticate, requireScope } from '@scopeguard/express';
import { createTestIssuer } from '@scopeguard/testing';
import autocannon from 'autocannon';
import { median, withTimeout } from '../lib/common.mjs';
import { interleavedRates } from '../lib/interleave.mjs';
import { mintDistinct } from '../lib/tokens.mjs';

const SERVER = fileURLToPath(new URL('../http-server.mjs', import.meta.url));

export const HTTP_VARIANTS = [
  ['none', 'no auth'],
  ['none-again', 'no auth again (control: a second, identical app)'],
  ['scopeguard', 'scopeguard authenticate + requireScope'],
  ['auth0', 'express-oauth2-jwt-bearer auth + requiredScopes'],
  ['express-jwt', 'express-jwt + jwks-rsa'],
  ['okta', '@okta/jwt-verifier middleware'],
];

export function startServer(variant, issuer, maxMs) {
  const child = fork(SERVER, [variant, issuer.issuer, issuer.jwksUri, issuer.audience], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_SERVER_MAX_MS: String(maxMs) },
  });
  const ready = new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`http-server ${variant} exited early (${code})`)));
    child.once('error', reject);
  });
  return { child, ready: withTimeout(ready, 15_000, `starting http-server ${variant}`) };
}

export function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The server's CPU time (µs) and requests served so far, asked over IPC. */
export function usage(child) {
  const answer = new Promise((resolve) => {
    const onMessage = (message) => {
      if (message?.type !== 'usage') return;
      child.off('message', onMessage);
      resolve({ cpu: message.cpu.user + message.cpu.system, served: message.served });
    };
    child.on('message', onMessage);
  });
  child.send({ type: 'usage' });
  return withTimeout(answer, 5000, 'server usage');
}

/** One autocannon run at `url`: one token as a fixed header, or several taken in turn. */
export function cannon(url, { tokens, connections, seconds }) {
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

/** The status of one GET of `url`, with `token` as a Bearer token when given. */
export async function status(url, token) {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await response.arrayBuffer();
  return response.status;
}

/**
 * Measures `rows` (`{ variant, label, mode, modeLabel, url, modeTokens, child }`) round-robin: a warm-up
 * run of each, then `config.rounds` rounds of one autocannon run per row (in reverse order on odd rounds
 * with `alternate`), reading the server's CPU time around each run. Returns one result per row: its
 * median round by req/s, totals over every round, the median CPU per request and each round's figures.
 */
export async function measureRounds(rows, config, log, { alternate = false } = {}) {
  const rounds = config.rounds ?? 1;
  const samples = new Map();
  const results = [];
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
    for (const row of alternate && round % 2 === 1 ? [...rows].reverse() : rows) {
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
      cpuPerRequest: median(runs.map((run) => run.cpuPerRequest)),
      cpuRounds: runs.map((run) => run.cpuPerRequest),
    });
  }
  return results;
}

/**
 * scopeguard's own code per request, without HTTP: the Express app's two middlewares (authenticate +
 * requireScope, as bench/http-server.mjs mounts them) called directly on a request object shaped like
 * Node's (a fresh header string each time, as a socket gives), interleaved with a row that only builds
 * that object, by CPU time. The HTTP rows measure the whole server, whose per-request CPU moves by tens of
 * microseconds between runs on a shared machine; this isolates what the middlewares add.
 */
async function inProcessCost(issuer, tokens, log) {
  log('  in-process: middleware cost per request');
  const options = { issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri };
  const auth = authenticate(options);
  const scope = requireScope('customScope');
  const response = { headersSent: false, setHeader() {}, end() {} };
  const bytes = tokens.map((token) => Buffer.from(`Bearer ${token}`, 'latin1'));
  const request = (i) => {
    const authorization = bytes[i % bytes.length].toString('latin1');
    return {
      method: 'GET',
      url: '/api',
      headers: { host: '127.0.0.1', authorization },
      rawHeaders: ['Host', '127.0.0.1', 'Authorization', authorization, 'Accept', '*/*'],
    };
  };
  const handle = (req) =>
    new Promise((resolve, reject) =>
      auth(req, response, (error) => {
        if (error) return reject(error);
        scope(req, response, (denied) => (denied ? reject(denied) : resolve()));
      }),
    );
  for (let i = 0; i < tokens.length; i++) await handle(request(i)); // every token verified once: cache hits after
  const rows = [
    { name: 'build the request object (control)', run: (i) => request(i) },
    { name: 'same token', run: () => handle(request(0)) },
    { name: `${tokens.length.toLocaleString('en-US')} rotating tokens`, run: (i) => handle(request(i)) },
  ];
  const [control, same, rotating] = await interleavedRates(rows, { runs: 5, runMs: 300, warmupMs: 200 });
  return {
    controlMicros: control.cpuMicros,
    same: same.cpuMicros - control.cpuMicros,
    rotating: rotating.cpuMicros - control.cpuMicros,
  };
}

export async function httpOverhead(config, log) {
  const issuer = await createTestIssuer({ algorithm: 'RS256' });
  try {
    const tokens = await mintDistinct(issuer, config.distinctTokens);
    const modes = [
      ['same', 'same token', [tokens[0]]],
      ['rotating', `${tokens.length.toLocaleString('en-US')} rotating distinct tokens`, tokens],
    ];
    const results = [];
    // Start every app at once (they idle until their turn), check each answers 200 and 401, warm each up,
    // then measure round-robin: round 1 of every app and token mode, then round 2, ... A noisy neighbour
    // hurts every row alike, and each row reports its median round.
    const rounds = config.rounds ?? 1;
    const maxMs =
      (HTTP_VARIANTS.length * 2 * (rounds * config.seconds + config.warmupSeconds + 5) + 30) * 1000;
    const servers = HTTP_VARIANTS.map(([variant]) => startServer(variant, issuer, maxMs));
    try {
      const ports = await Promise.all(servers.map((server) => server.ready));
      const rows = [];
      for (const [index, [variant, label]] of HTTP_VARIANTS.entries()) {
        const url = `http://127.0.0.1:${ports[index]}/api`;
        const ok = await status(url, tokens[0]);
        const anonymous = await status(url);
        if (ok !== 200) throw new Error(`${variant}: a valid token got HTTP ${ok}`);
        if (!variant.startsWith('none') && anonymous !== 401)
          throw new Error(`${variant}: no token got HTTP ${anonymous}`);
        for (const [mode, modeLabel, modeTokens] of modes)
          rows.push({ variant, label, mode, modeLabel, url, modeTokens, child: servers[index].child });
      }
      results.push(...(await measureRounds(rows, config, log)));
    } finally {
      await Promise.all(servers.map((server) => stopServer(server.child)));
    }
    for (const row of results) {
      const base = results.find((r) => r.variant === 'none' && r.mode === row.mode);
      row.ratio = row.requestsPerSec / base.requestsPerSec;
      row.p50Ratio = row.p50 / base.p50;
      row.p99Ratio = row.p99 / base.p99;
      // Paired per round (the app and no-auth measured in the same round), then the median over rounds:
      // steadier than the difference of two medians when the machine's load moves between rounds.
      row.cpuOverheadRounds = row.cpuRounds.map((cpu, round) => cpu - base.cpuRounds[round]);
      row.cpuOverhead = median(row.cpuOverheadRounds);
      row.cpuRatio = base.cpuPerRequest / row.cpuPerRequest;
    }
    return {
      connections: config.connections,
      seconds: config.seconds,
      rounds,
      tokens: tokens.length,
      rows: results,
      inProcess: await inProcessCost(issuer, tokens, log),
    };
  } finally {
    await issuer.close();
  }
}
