// Hostile Authorization headers (issue 11, F3): what a 16 KiB header of spaces, tabs and junk costs,
// next to a normal one. In-process: @scopeguard/http's findBearerToken per header shape (round-robin,
// median), plus the regex trim it replaced, timed on a few calls. Over HTTP: the server CPU per request
// of the scopeguard Express app (bench/http-server.mjs) for a normal token and for the hostile headers.
import { createTestIssuer } from '@scopeguard/testing';
import { findBearerToken } from '@scopeguard/http';
import autocannon from 'autocannon';
import { median, roundRobin, syncRate, withTimeout } from '../lib/common.mjs';
import { mintDistinct } from '../lib/tokens.mjs';
import { startServer, stopServer, usage } from './http.mjs';

/** Header shapes of `size` characters (the normal one is the token's own size, one list is 4 KiB). */
export function hostileHeaders(token, size) {
  const fill = (unit, room) => unit.repeat(Math.ceil(room / unit.length)).slice(0, Math.max(0, room));
  return [
    ['normal: Bearer <token>', `Bearer ${token}`],
    ['spaces in the middle: x, spaces, y (the F3 case)', `x${fill(' ', size - 2)}y`],
    ['Bearer, spaces and tabs, then junk', `Bearer${fill(' \t', size - 7)}$`],
    ['Bearer <token>, spaces, junk', `Bearer ${token}${fill(' ', size - token.length - 8)}x`],
    [
      'Digest-like list of auth-params (not read through: over 4,096)',
      `Digest ${fill('a=b, ', size - 10)}c=d`,
    ],
    ['Digest-like list, 4,093 characters (about the longest examined)', `Digest ${'a=b, '.repeat(818)}c=d`],
    ['quoted-string with escapes, unterminated', `Digest a="${fill('\\"', size - 10)}`],
  ];
}

/** The regex trim bearer.ts ran on every non-trivial header before issue 11 (kept here as the "before"). */
const OLD_TRIM = /^[ \t]+|[ \t]+$/g;

function requestWith(header) {
  return { method: 'GET', target: '/api', header: (name) => (name === 'authorization' ? header : undefined) };
}

function cannon(url, header, { connections, seconds }) {
  return withTimeout(
    autocannon({ url, connections, duration: seconds, timeout: 10, headers: { authorization: header } }),
    (seconds + 20) * 1000,
    `autocannon ${url}`,
  );
}

export async function headerCost(config, log) {
  const issuer = await createTestIssuer({ algorithm: 'RS256' });
  try {
    const [token] = await mintDistinct(issuer, 1);

    // 1. Parsing alone, in-process.
    const shapes = hostileHeaders(token, config.size);
    const rows = shapes.map(([name, header]) => {
      const request = requestWith(header);
      return { name, measure: (ms) => syncRate(() => findBearerToken(request), ms) };
    });
    log(`  parse: ${rows.length} shapes, ${config.runs} rounds × ${config.runMs} ms`);
    const parsed = await roundRobin(rows, { runs: config.runs, ms: config.runMs, warmupMs: config.warmupMs });
    const normalRate = parsed[0].opsPerSec;
    const parse = parsed.map((row, i) => ({
      name: row.name,
      length: shapes[i][1].length,
      verdict: findBearerToken(requestWith(shapes[i][1])).kind,
      microseconds: 1e6 / row.opsPerSec,
      ratio: normalRate / row.opsPerSec,
    }));
    const trimTimes = [];
    const f3 = shapes[1][1];
    for (let i = 0; i < config.oldTrimCalls; i++) {
      const t0 = performance.now();
      f3.replace(OLD_TRIM, '');
      trimTimes.push(performance.now() - t0);
    }

    // 2. The whole request, server CPU per request (same method as the http section).
    const httpShapes = [
      ['normal: Bearer <token> (200)', `Bearer ${token}`],
      ...hostileHeaders(token, config.httpSize)
        .slice(1)
        .map(([name, header]) => [name, header]),
    ];
    const maxMs = (httpShapes.length * (config.rounds * config.seconds + 5) + 60) * 1000;
    const server = startServer('scopeguard', issuer, maxMs);
    const http = [];
    try {
      const port = await server.ready;
      const url = `http://127.0.0.1:${port}/api`;
      const samples = httpShapes.map(() => []);
      const statuses = httpShapes.map(() => new Set());
      for (const [, header] of httpShapes)
        await cannon(url, header, { ...config, seconds: config.warmupSeconds });
      for (let round = 0; round < config.rounds; round++) {
        log(`  HTTP round ${round + 1} of ${config.rounds}: ${httpShapes.length} runs × ${config.seconds} s`);
        for (const [index, [, header]] of httpShapes.entries()) {
          const before = await usage(server.child);
          const r = await cannon(url, header, config);
          const after = await usage(server.child);
          samples[index].push((after.cpu - before.cpu) / Math.max(1, after.served - before.served));
          for (const code of Object.keys(r.statusCodeStats ?? {})) statuses[index].add(code);
        }
      }
      const normal = median(samples[0]);
      for (const [index, [name, header]] of httpShapes.entries()) {
        const cpu = median(samples[index]);
        http.push({
          name,
          length: header.length,
          statuses: [...statuses[index]].sort(),
          cpu,
          ratio: cpu / normal,
        });
      }
    } finally {
      await stopServer(server.child);
    }
    return {
      size: config.size,
      httpSize: config.httpSize,
      parse,
      oldTrimMs: median(trimTimes),
      oldTrimCalls: trimTimes.length,
      http,
    };
  } finally {
    await issuer.close();
  }
}
