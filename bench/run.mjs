// scopeguard benchmark: `pnpm bench` (= pnpm build && node bench/run.mjs).
//   node bench/run.mjs [--quick] [--only=verify,http,fastify,headers,redis,keys,memory]
// Loopback only (every server on 127.0.0.1:0), bounded in time. Prints Markdown tables on stdout and writes
// bench/RESULTS.md (bench/RESULTS.quick.md with --quick, bench/RESULTS.partial.md with --only). Failing targets are reported, not hidden; the
// exit code is 0 unless the harness crashed.
import { statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmtInt, fmtMs, fmtRatio, machine, packageVersion, table } from './lib/common.mjs';

const SECTIONS = ['verify', 'growth', 'http', 'fastify', 'headers', 'redis', 'keys', 'memory'];
const rawArgv = process.argv.slice(2);
// `--baseline <ref>` is accepted as well as `--baseline=<ref>`.
const argv = rawArgv.flatMap((a, i) =>
  a === '--baseline' ? [`--baseline=${rawArgv[i + 1] ?? ''}`] : rawArgv[i - 1] === '--baseline' ? [] : [a],
);
const unknown = argv.filter(
  (a) => a !== '--quick' && !a.startsWith('--only=') && !a.startsWith('--baseline='),
);
if (unknown.length > 0) {
  console.error(
    `unknown argument(s): ${unknown.join(' ')}\nusage: node bench/run.mjs [--quick] [--only=${SECTIONS.join(',')}] [--baseline=<git ref>]`,
  );
  process.exit(2);
}
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='));
const baselineArg = argv.find((a) => a.startsWith('--baseline='));
const baselineRef = baselineArg?.slice('--baseline='.length);
if (baselineArg && !baselineRef) {
  console.error('--baseline needs a git ref (for example --baseline=309792a)');
  process.exit(2);
}
// Opt-in: `--baseline=<ref>` alone runs only the baseline section; with --only, those sections too.
const only = onlyArg
  ? onlyArg.slice('--only='.length).split(',').filter(Boolean)
  : baselineRef
    ? []
    : SECTIONS;
const badSections = only.filter((s) => !SECTIONS.includes(s));
if (badSections.length > 0) {
  console.error(`unknown section(s): ${badSections.join(', ')}; choose among ${SECTIONS.join(', ')}`);
  process.exit(2);
}

const CONFIG = quick
  ? {
      verify: {
        distinctTokens: 100,
        runs: 2,
        runMs: 150,
        warmupMs: 50,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
      concurrency: {
        distinctTokens: 100,
        runs: 2,
        runMs: 150,
        warmupMs: 50,
        inflight: 64,
        latencySamples: 200,
      },
      issuers: { distinctTokens: 200, runs: 2, runMs: 150, warmupMs: 50 },
      growth: { distinctTokens: 100, runs: 2, runMs: 100, warmupMs: 50, cacheEntries: [1, 10, 100, 1000] },
      baseline: {
        distinctTokens: 100,
        runs: 2,
        runMs: 100,
        warmupMs: 50,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
      http: { distinctTokens: 100, connections: 10, seconds: 0.5, warmupSeconds: 0, rounds: 1 },
      fastify: { distinctTokens: 100, connections: 10, seconds: 0.5, warmupSeconds: 0, rounds: 1 },
      headers: {
        size: 16_384,
        httpSize: 16_000,
        runs: 2,
        runMs: 100,
        warmupMs: 50,
        oldTrimCalls: 1,
        connections: 10,
        seconds: 0.5,
        warmupSeconds: 0.2,
        rounds: 1,
      },
      keys: {
        cooldownMs: 300,
        maxAgeMs: 300,
        concurrent: 50,
        floodSize: 200,
        floodMs: 600,
        floodBatches: 6,
        downProbes: 3,
        settleMs: 800,
      },
      memory: { tokens: 3000, controlTokens: 1000, maxMs: 60_000 },
      redis: { warmup: 50, samples: 200, slices: 2, maxMs: 2_000, inflight: 64, inflightMs: 200 },
    }
  : {
      verify: {
        distinctTokens: 1000,
        runs: 5,
        // RS256 (Okta's algorithm, where the targets are) gets longer runs than ES256 and EdDSA.
        runMs: 600,
        otherRunMs: 400,
        warmupMs: 250,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
      concurrency: {
        distinctTokens: 1000,
        runs: 3,
        runMs: 500,
        warmupMs: 200,
        inflight: 64,
        latencySamples: 2000,
      },
      issuers: { distinctTokens: 1000, runs: 7, runMs: 400, warmupMs: 200 },
      growth: {
        distinctTokens: 500,
        runs: 5,
        runMs: 250,
        warmupMs: 100,
        cacheEntries: [1, 10, 100, 1000, 10_000],
      },
      baseline: {
        distinctTokens: 1000,
        runs: 7,
        runMs: 300,
        warmupMs: 200,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      },
      // Five rounds each: the server's CPU per request moves by tens of µs between runs here, and the
      // targets (+15 µs for Express, +10 % for Fastify) are finer than that.
      http: { distinctTokens: 1000, connections: 10, seconds: 1.5, warmupSeconds: 1, rounds: 5 },
      fastify: { distinctTokens: 1000, connections: 10, seconds: 1.5, warmupSeconds: 1, rounds: 5 },
      // 16 KiB headers in-process; 16,000 characters over HTTP (Node's default limit is 16 KiB for all headers).
      headers: {
        size: 16_384,
        httpSize: 16_000,
        runs: 5,
        runMs: 300,
        warmupMs: 100,
        oldTrimCalls: 3,
        connections: 10,
        seconds: 1.5,
        warmupSeconds: 0.5,
        rounds: 3,
      },
      keys: {
        cooldownMs: 1000,
        maxAgeMs: 1000,
        concurrent: 200,
        floodSize: 1000,
        floodMs: 2000,
        floodBatches: 20,
        downProbes: 10,
        settleMs: 3000,
      },
      memory: { tokens: 100_000, controlTokens: 20_000, maxMs: 240_000 },
      redis: { warmup: 500, samples: 5000, slices: 5, maxMs: 10_000, inflight: 64, inflightMs: 1000 },
    };

const log = (message) => process.stderr.write(`${message}\n`);
const started = Date.now();
const machineBefore = machine();

async function main() {
  try {
    await import('@scopeguard/core');
    await import('@scopeguard/express');
    await import('@scopeguard/fastify');
    await import('@scopeguard/http');
    await import('@scopeguard/testing');
  } catch (error) {
    console.error(`cannot load the built packages (run \`pnpm build\` first): ${error.message}`);
    process.exit(1);
  }
  const { concurrency, issuerCount, verifyThroughput } = await import('./sections/verify.mjs');
  const { costGrowth } = await import('./sections/growth.mjs');
  const { baselineCompare } = await import('./sections/baseline.mjs');
  const { httpOverhead } = await import('./sections/http.mjs');
  const { fastifyOverhead } = await import('./sections/fastify.mjs');
  const { headerCost } = await import('./sections/headers.mjs');
  const { keyEvents } = await import('./sections/keys.mjs');
  const { memory } = await import('./sections/memory.mjs');
  const { redisReplay } = await import('./sections/redis.mjs');

  const results = {};
  const crashes = [];
  const guard = async (name, fn) => {
    const t0 = performance.now();
    try {
      results[name] = await fn();
    } catch (error) {
      crashes.push(`${name}: ${error?.stack ?? error}`);
      log(`!! ${name} crashed: ${error?.stack ?? error}`);
    }
    log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };

  log(
    `scopeguard bench${quick ? ' (quick)' : ''}: ${[...only, ...(baselineRef ? [`baseline ${baselineRef}`] : [])].join(', ')}`,
  );
  if (baselineRef) {
    log(`baseline: core of ${baselineRef} vs this tree's core`);
    await guard('baseline', () => baselineCompare(baselineRef, CONFIG.baseline, log));
  }
  if (only.includes('verify')) {
    log('verify throughput');
    results.verify = [];
    for (const alg of CONFIG.verify.algorithms) {
      await guard(`verify ${alg}`, async () => {
        const runMs =
          alg === 'RS256' ? CONFIG.verify.runMs : (CONFIG.verify.otherRunMs ?? CONFIG.verify.runMs);
        const r = await verifyThroughput(alg, { ...CONFIG.verify, runMs }, log);
        results.verify.push(r);
        return r;
      });
    }
    log('concurrency');
    await guard('concurrency', () => concurrency(CONFIG.concurrency, log));
    log('several issuers');
    await guard('issuers', () => issuerCount(CONFIG.issuers, log));
  }
  if (only.includes('growth')) {
    log('how cost grows');
    await guard('growth', () => costGrowth(CONFIG.growth, log));
  }
  if (only.includes('http')) {
    log('HTTP overhead');
    await guard('http', () => httpOverhead(CONFIG.http, log));
  }
  if (only.includes('fastify')) {
    log('Fastify overhead');
    await guard('fastify', () => fastifyOverhead(CONFIG.fastify, log));
  }
  if (only.includes('headers')) {
    log('hostile Authorization headers');
    await guard('headers', () => headerCost(CONFIG.headers, log));
  }
  if (only.includes('redis')) {
    log('Redis replay store');
    await guard('redis', () => redisReplay(CONFIG.redis, log));
  }
  // Key events mostly wait on timers, so the memory child (one core) runs alongside them.
  const parallel = [];
  if (only.includes('keys')) {
    log('key events');
    parallel.push(guard('keys', () => keyEvents(CONFIG.keys, log)));
  }
  if (only.includes('memory')) {
    log('memory');
    parallel.push(guard('memory', () => memory(CONFIG.memory, log)));
  }
  await Promise.all(parallel);

  const report = render(results, crashes);
  console.log(report);
  // A --quick smoke test must not overwrite the real results.
  // Only a full run replaces RESULTS.md; --quick and --only runs write beside it.
  const partial = only.length < SECTIONS.length || baselineRef !== undefined;
  const name = quick ? 'RESULTS.quick.md' : partial ? 'RESULTS.partial.md' : 'RESULTS.md';
  const file = fileURLToPath(new URL(name, import.meta.url));
  writeFileSync(file, `${report}\n`);
  log(`wrote ${file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return crashes.length === 0 ? 0 : 1;
}

function distTime(pkg) {
  try {
    return new Date(
      statSync(fileURLToPath(new URL(`../packages/${pkg}/dist/index.js`, import.meta.url))).mtimeMs,
    )
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
  } catch {
    return 'not built';
  }
}

function render(results, crashes) {
  const m = machine();
  const out = [];
  const targets = [];
  // A target reads PASS or FAIL; NOISY when the run it reads failed its own checks after every retry (a
  // row measured faster than a row it cannot beat), so neither verdict can be trusted. `info` targets are
  // shown in lower case and are not part of the issue's targets.
  const target = (name, ok, detail, { info = false, noisy = false } = {}) =>
    targets.push({ name, ok, detail, info, noisy });
  out.push('# scopeguard benchmark results', '');
  out.push(
    `Command: \`node bench/run.mjs${quick ? ' --quick' : ''}${onlyArg ? ` ${onlyArg}` : ''}${baselineArg ? ` ${baselineArg}` : ''}\``,
  );
  out.push(
    `(after \`pnpm build\`; \`pnpm bench\` = \`pnpm build && node bench/run.mjs\`), ${new Date(started).toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s${quick ? ' — QUICK MODE: smoke test only, figures are not meaningful' : ''}.`,
  );
  out.push('');
  out.push(
    `- Machine: ${m.cpu}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ${m.memoryGiB} GiB RAM, ${m.platform}`,
  );
  out.push(
    `- Load average (1/5/15 min) before: ${machineBefore.loadavg.join(' / ')}, after: ${m.loadavg.join(' / ')}`,
  );
  out.push(`- Node ${m.node}, libuv threadpool ${m.uvThreadpool}`);
  const v = (name) => `${name} ${packageVersion(name)}`;
  out.push(
    `- Versions: ${['@scopeguard/core', '@scopeguard/http', '@scopeguard/express', '@scopeguard/testing'].map(v).join(', ')} (dist built ${distTime('core')}); ${['jose', '@okta/jwt-verifier', 'fast-jwt', 'express', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', 'autocannon'].map(v).join(', ')}`,
  );
  out.push(
    '- Everything on loopback (127.0.0.1, port 0). The machine may be shared: absolute figures are noisy; ratios are measured in the same run, round-robin, so they are more stable than the absolutes.',
  );
  out.push('');

  if (results.verify?.length) {
    out.push('## Verify throughput (single thread, one verification at a time, warm JWKS)', '');
    const c = CONFIG.verify;
    out.push(
      `${c.runs} runs × ${c.runMs} ms (RS256) or ${c.otherRunMs ?? c.runMs} ms (others) per row; within a run the rows take turns every 32 verifications (1,024 for the cache hit) in a shuffled order, each turn timed by the process's CPU time (asynchronous rows awaited one at a time; CPU time counts every thread of the process, the threadpool included). Figures over all runs. Ratio = row / the crypto.verify floor of the same algorithm on the same signing inputs, both per CPU second. Distinct rows cycle through ${c.distinctTokens.toLocaleString('en-US')} distinct tokens minted by the test kit.`,
      '',
    );
    const rows = [];
    for (const r of results.verify) {
      for (const row of r.rows)
        rows.push([
          r.alg,
          row.name,
          fmtInt(row.opsPerSec),
          fmtRatio(row.ratio),
          fmtInt(row.wallOpsPerSec),
          row.samples.map(fmtInt).join(' / '),
        ]);
      for (const name of r.skipped) rows.push([r.alg, name, 'n/a (RS256 only)', '', '', '']);
    }
    out.push(
      table(['alg', 'verifier', 'per CPU s', '× floor', 'ops/s (wall)', 'runs (per CPU s)'], rows),
      '',
    );
    for (const r of results.verify) {
      if (r.noisy.length > 0) {
        out.push(
          `**${r.alg}: noisy run.** After ${r.attempts} attempts, ${r.noisy.map((v) => `"${v.row}" still measured ${(v.excess * 100).toFixed(1)} % faster than "${v.floor}" (${v.why})`).join('; ')}. The ${r.alg} figures above are not trustworthy; targets that read them say NOISY.`,
          '',
        );
      } else if (r.attempts > 1) {
        out.push(
          `${r.alg}: measured ${r.attempts} times (earlier attempts had a row faster than its floor: noisy); the figures are from the first clean attempt.`,
          '',
        );
      }
    }
    for (const r of results.verify) {
      const get = (prefix) => r.rows.find((row) => row.name.startsWith(prefix));
      const floor = get('floor');
      const reference = get('reference');
      const distinct = r.rows.find(
        (row) => row.name.startsWith('scopeguard') && row.name.includes('distinct'),
      );
      const repeated = get('scopeguard, one repeated');
      const jose = get('jose');
      if (!distinct || !repeated || !jose || !reference) continue;
      const noisy = r.noisy.length > 0;
      const peers = r.rows.filter(
        (row) => row !== floor && row !== reference && !row.name.startsWith('scopeguard'),
      );
      target(
        `verify ${r.alg}: scopeguard distinct-token ≥ 0.93 × the check-free reference`,
        distinct.opsPerSec / reference.opsPerSec >= 0.93,
        `${fmtRatio(distinct.opsPerSec / reference.opsPerSec)} (${fmtInt(distinct.opsPerSec)} vs ${fmtInt(reference.opsPerSec)} per CPU s; ${fmtRatio(distinct.ratio)} vs ${fmtRatio(reference.ratio)} the floor)`,
        { noisy },
      );
      target(
        `verify ${r.alg}: scopeguard distinct-token ahead of every peer`,
        peers.every((peer) => distinct.opsPerSec > peer.opsPerSec),
        `${fmtInt(distinct.opsPerSec)} per CPU s vs ${peers.map((peer) => `${peer.name.split(' ')[0]} ${fmtInt(peer.opsPerSec)} (${fmtRatio(distinct.opsPerSec / peer.opsPerSec)})`).join(', ')}`,
        { noisy },
      );
      target(
        `verify ${r.alg}: scopeguard distinct-token ≥ 2.5 × jose`,
        distinct.opsPerSec / jose.opsPerSec >= 2.5,
        `${fmtRatio(distinct.opsPerSec / jose.opsPerSec)}`,
        { info: r.alg !== 'RS256', noisy },
      );
      target(
        `verify ${r.alg}: scopeguard repeated-token ≥ 10 × floor`,
        repeated.ratio >= 10,
        `${fmtRatio(repeated.ratio)}`,
        { info: r.alg !== 'RS256', noisy },
      );
    }
  }

  if (results.concurrency) {
    const r = results.concurrency;
    out.push(`## Concurrency (${r.alg}; sync floor vs libuv threadpool, ${r.inflight} in flight)`, '');
    out.push(
      table(
        ['path', 'ops/s', '× single-thread floor'],
        r.rows.map((row) => [row.name, fmtInt(row.opsPerSec), fmtRatio(row.ratio)]),
      ),
      '',
    );
    out.push('Latency of a lone verification (one in flight, idle event loop):', '');
    out.push(
      table(
        ['path', 'p50', 'p99', 'samples'],
        r.latency.map((l) => [l.name, fmtMs(l.p50), fmtMs(l.p99), String(l.samples)]),
      ),
      '',
    );
    const conc = r.rows.find(
      (row) => row.name.startsWith('scopeguard') && row.name.includes(`${r.inflight} in flight`),
    );
    if (r.noisy.length > 0) {
      out.push(
        `**Noisy run.** After ${r.attempts} attempts, ${r.noisy.map((v) => `"${v.row}" still measured ${(v.excess * 100).toFixed(1)} % faster than "${v.floor}" (${v.why})`).join('; ')}.`,
        '',
      );
    }
    const pool = r.rows.find(
      (row) => row.name.startsWith('crypto.verify callback') && row.name.includes(`${r.inflight} in flight`),
    );
    if (conc) {
      target(
        `concurrency: scopeguard distinct-token with ${r.inflight} in flight ≥ 1.2 × single-thread floor`,
        conc.ratio >= 1.2,
        `${fmtRatio(conc.ratio)}${pool ? ` (crypto.verify alone in the threadpool: ${fmtRatio(pool.ratio)}; scopeguard reaches ${fmtRatio(conc.opsPerSec / pool.opsPerSec)} of it)` : ''}`,
        { noisy: r.noisy.length > 0 },
      );
    }
  }

  if (results.issuers) {
    const r = results.issuers;
    const c = CONFIG.issuers;
    out.push(
      `## Several trusted issuers (${r.alg}, single thread, ${r.tokens.toLocaleString('en-US')} distinct tokens, cache off)`,
      '',
    );
    out.push(
      `${c.runs} runs of ${c.runMs} ms per row, figures over all of them (every verification over all the time it took); within a run the rows take turns every 32 verifications in a shuffled order, each batch timed by the wall clock and by the process's CPU time (the measure here: on a shared machine the wall-clock rate moves by far more than 3 %). Every configured issuer has its own key state and its own imported key; all name the same JWKS, so the rows differ only by routing (one \`Map\` lookup by the exact \`iss\`) and by how many keys are used in turn. "Spread": token i claims issuer i mod N. Cycling through N keys slows the RSA operation itself (CPU caches), so each row is compared with the raw RSA public operation (\`publicDecrypt\` without padding, the step that dominates scopeguard's RS256 path) cycling through as many keys; a second, identical \`issuers: 1\` verifier shows how far two identical rows drift in the run. Target rows are the \`issuers\` lists; the single-issuer form and an issuers function are shown for reference.`,
      '',
    );
    out.push(
      table(
        [
          'verifier',
          'keys in turn',
          'verifications per CPU s',
          '× RSA op (same keys)',
          'ops/s (wall)',
          'runs (per CPU s)',
        ],
        r.rows.map((row) => [
          `${row.name}${row.kind === 'reference' ? ' (reference)' : ''}`,
          String(row.keys),
          fmtInt(row.opsPerCpuSecond),
          fmtRatio(row.ratio),
          fmtInt(row.opsPerSec),
          row.cpuSamples.map(fmtInt).join(' / '),
        ]),
      ),
      '',
    );
    if (r.noisy.length > 0) {
      out.push(
        `**Noisy run.** After ${r.attempts} attempts, ${r.noisy.map((v) => `"${v.row}" still measured ${(v.excess * 100).toFixed(1)} % faster than "${v.floor}" (${v.why})`).join('; ')}.`,
        '',
      );
    }
    target(
      'several issuers: 1, 10 and 100 trusted issuers (tokens from one, and spread) within 3 % of each other',
      r.spread <= 0.03,
      `spread ${(r.spread * 100).toFixed(1)} % between the target rows' ratios to their floor (per CPU second, without the floors: ${(r.rawSpread * 100).toFixed(1)} %; wall clock: ${(r.wallSpread * 100).toFixed(1)} %); two identical rows differed by ${(r.noise * 100).toFixed(1)} % in this run`,
      { noisy: r.noisy.length > 0 },
    );
  }

  if (results.baseline) {
    const b = results.baseline;
    const c = CONFIG.baseline;
    out.push(`## Same-run baseline: this tree's core vs the core of ${b.subject}`, '');
    out.push(
      `\`node bench/run.mjs --baseline=${b.ref}\` (${b.commit}). Both cores bundled from their sources by the same esbuild, loaded side by side; the same ${fmtInt(c.distinctTokens)} distinct tokens from one test issuer per algorithm; rows interleaved every 32 verifications in a shuffled order, ${c.runs} runs × ${c.runMs} ms per row, CPU time over all runs. "control" is a second verifier of this tree's core: how far two identical rows drift in this run. Ratio = this tree ÷ baseline, verifications per CPU second (below 1: slower now). Target (issue 11): no row more than 5 % slower.`,
      '',
    );
    out.push(
      table(
        ['alg', 'row', 'baseline µs', 'now µs', 'now ÷ baseline', 'control drift'],
        b.rows.map((row) => [
          row.alg,
          row.mode,
          row.before.cpuMicros.toFixed(2),
          row.after.cpuMicros.toFixed(2),
          fmtRatio(row.ratio),
          `${(row.noise * 100).toFixed(1)} %`,
        ]),
      ),
      '',
    );
    for (const row of b.rows) {
      target(
        `baseline ${row.alg}, ${row.mode}: no more than 5 % slower than ${b.ref}`,
        row.ratio >= 0.95,
        `${fmtRatio(row.ratio)} (${row.after.cpuMicros.toFixed(2)} vs ${row.before.cpuMicros.toFixed(2)} CPU µs per verification; control drift ${(row.noise * 100).toFixed(1)} %)`,
      );
    }
  }

  if (results.growth) {
    const g = results.growth;
    const c = CONFIG.growth;
    out.push('## How cost grows (scopeguard, CPU time per verification)', '');
    out.push(
      `${c.runs} runs of ${c.runMs} ms per row, rows interleaved every 32 verifications in a shuffled order, CPU time over all runs. Tokens signed in the bench with node:crypto, keys from a loopback JWKS endpoint; RS256 and cache off for the key-set and token-size rows (${fmtInt(c.distinctTokens)} distinct tokens each), EdDSA for the cache rows (cycling through as many distinct tokens as the cache holds, as the Express rotating row does). "Flat" = the rows of a dimension within ${(g.flatWithin * 100).toFixed(0)} % of each other (5 %, or twice the gap between two identical rows in this run: ${(g.noise * 100).toFixed(1)} %).`,
      '',
    );
    out.push(
      table(
        ['dimension', 'row', 'CPU µs per verification', 'verifications per CPU s', 'runs (per CPU s)'],
        g.rows.map((row) => [
          {
            jwks: 'JWK Set size',
            control: 'noise',
            size: 'token size',
            'size-reference': 'token size',
            cache: 'cache entries',
          }[row.group],
          row.name,
          row.cpuMicros.toFixed(1),
          fmtInt(row.opsPerCpuSecond),
          row.cpuSamples.map(fmtInt).join(' / '),
        ]),
      ),
      '',
    );
    const verdict = (v) =>
      v.flat
        ? `**flat** (rows within ${(v.spread * 100).toFixed(1)} %)`
        : `**grows**: last row ${fmtRatio(v.last)} the first (spread ${(v.spread * 100).toFixed(1)} %)`;
    out.push(`- JWK Sets of 1, 10 and 100 keys: ${verdict(g.jwks)}.`);
    out.push(
      `- Tokens of ${g.tokenSizes.map((x) => fmtInt(x)).join(', ')} characters: ${g.size.flat ? verdict(g.size) : `**grows with token size**: ${g.size.perKb.toFixed(1)} µs per KB of token (the check-free reference on the same tokens: ${g.size.referencePerKb.toFixed(1)} µs per KB, so our checks add ${(g.size.perKb - g.size.referencePerKb).toFixed(1)} µs per KB)`}.`,
    );
    if (results.issuers) {
      const r = results.issuers;
      out.push(
        `- 1, 10 and 100 trusted issuers (the several-issuers section above): ${r.spread <= 0.03 ? '**flat**' : '**not flat**'} (spread ${(r.spread * 100).toFixed(1)} % between the rows' ratios to their RSA floor).`,
      );
    } else {
      out.push('- 1, 10 and 100 trusted issuers: see the several-issuers section (`--only=verify`).');
    }
    out.push(
      `- Verified-token cache hit, ${c.cacheEntries.map((x) => fmtInt(x)).join(' → ')} entries: ${verdict(g.cache)}.`,
      `- Heap per cached token: about ${fmtInt(g.bytesPerEntry)} bytes (${fmtInt(g.entries)} EdDSA tokens of ${fmtInt(g.cacheTokenLength)} characters, heap after GC with the cache vs without; the bench holds the token strings either way, so in a server, where the cache keeps the only reference, add the token's length in bytes).`,
      '',
    );
  }

  if (results.http) {
    const r = results.http;
    out.push(
      `## HTTP overhead (Express 5, autocannon ${r.connections} connections, median of ${r.rounds} round-robin runs × ${r.seconds} s after a warm-up)`,
      '',
    );
    out.push(
      'Each app variant runs in its own process (bench/http-server.mjs); autocannon and the test issuer run in the parent. Every variant checks the scope `customScope`. Tokens carry both `scp: ["customScope"]` (Okta; read by scopeguard, express-jwt and the Okta middleware) and `scope: "customScope"` (read by express-oauth2-jwt-bearer\'s `requiredScopes`). Rotating = autocannon cycles through the distinct tokens with `setupRequest` (scopeguard\'s verified-token cache, 10,000 entries by default, holds them all after the first pass). Latency is autocannon\'s (1 ms resolution), from the median run; req/s of every round in the last column.',
      '',
    );
    out.push(
      table(
        [
          'app',
          'tokens',
          'req/s',
          '× no-auth',
          'p50',
          'p99',
          'p99 × no-auth',
          'server CPU µs/req (vs no-auth)',
          'CPU: no-auth ÷ app',
          'non-2xx',
          'errors',
          'rounds (req/s)',
        ],
        r.rows.map((row) => [
          row.label,
          row.modeLabel,
          fmtInt(row.requestsPerSec),
          fmtRatio(row.ratio),
          `${row.p50} ms`,
          `${row.p99} ms`,
          fmtRatio(row.p99Ratio),
          `${row.cpuPerRequest.toFixed(0)} (${row.cpuOverhead >= 0 ? '+' : ''}${row.cpuOverhead.toFixed(0)})`,
          fmtRatio(row.cpuRatio),
          String(row.non2xx),
          String(row.errors),
          row.rounds.map(fmtInt).join(' / '),
        ]),
      ),
      '',
    );
    if (r.inProcess) {
      const { same, rotating, controlMicros } = r.inProcess;
      out.push(
        `What the middlewares themselves cost, without HTTP (authenticate + requireScope called directly on a Node-shaped request, interleaved by CPU time, less the ${controlMicros.toFixed(2)} µs of building the request): **${same.toFixed(1)} µs** per request with the same token, **${rotating.toFixed(1)} µs** with ${fmtInt(r.tokens)} rotating tokens. The server rows above measure the whole process, whose CPU per request moves by tens of microseconds between runs here.`,
        '',
      );
    }
    for (const mode of ['same', 'rotating']) {
      const sg = r.rows.find((row) => row.variant === 'scopeguard' && row.mode === mode);
      if (!sg) continue;
      const name = mode === 'same' ? 'same token' : `${fmtInt(r.tokens)} rotating tokens`;
      // The control (a second no-auth app) shows how far two identical apps drift apart in this run: a miss
      // no larger than that drift cannot be told from noise, and reads NOISY.
      const control = r.rows.find((row) => row.variant === 'none-again' && row.mode === mode);
      const drift = control ? Math.abs(control.cpuOverhead) : 0;
      const ok = sg.cpuOverhead <= 15 && sg.non2xx === 0;
      target(
        `Express: scopeguard adds ≤ 15 µs server CPU per request over no-auth (${name})`,
        ok,
        `${sg.cpuOverhead >= 0 ? '+' : ''}${sg.cpuOverhead.toFixed(1)} µs (paired per round: ${sg.cpuOverheadRounds.map((x) => x.toFixed(0)).join(' / ')}; ${sg.cpuPerRequest.toFixed(0)} µs/req; the control, identical to no-auth, measured ${control ? `${control.cpuOverhead >= 0 ? '+' : ''}${control.cpuOverhead.toFixed(1)} µs` : 'n/a'}; in-process the middlewares cost ${r.inProcess ? r.inProcess[mode === 'same' ? 'same' : 'rotating'].toFixed(1) : 'n/a'} µs)`,
        { noisy: !ok && sg.non2xx === 0 && sg.cpuOverhead - 15 <= drift },
      );
      target(
        `Express: scopeguard ${name} ≥ ${mode === 'same' ? '0.9' : '0.8'} × no-auth req/s`,
        sg.ratio >= (mode === 'same' ? 0.9 : 0.8) && sg.non2xx === 0,
        fmtRatio(sg.ratio),
        { info: true },
      );
    }
  }

  if (results.fastify) {
    const r = results.fastify;
    out.push(
      `## Fastify overhead (Fastify 5, autocannon ${r.connections} connections, median of ${r.rounds} round-robin runs × ${r.seconds} s after a warm-up)`,
      '',
    );
    out.push(
      `Each Fastify app runs in its own process (bench/fastify-server.mjs); autocannon and the test issuer run in the parent. Every variant checks the scope \`customScope\` (scp). scopeguard: \`app.register(scopeguard, { issuer, audience, jwksUri })\` and \`config: { scopes: ['customScope'] }\` on the route. @fastify/jwt + get-jwks: the setup get-jwks's README shows (\`decode: { complete: true }\`, \`secret\` = \`getJwks.getPublicKey({ kid, alg, domain: iss })\` restricted to the one issuer, fast-jwt checking issuer, audience and RS256; fast-jwt's verified-token cache off, as there), \`await request.jwtVerify()\` in an \`onRequest\` hook, then the scope. Same tokens as the Express section; rotating = autocannon cycles through them with \`setupRequest\`. "CPU added" = server CPU per request ÷ no-auth's in the same round, minus 1, median over rounds (each round's value in the last column). Versions: fastify ${packageVersion('fastify')}, @scopeguard/fastify ${packageVersion('@scopeguard/fastify')}, @fastify/jwt ${packageVersion('@fastify/jwt')}, get-jwks ${packageVersion('get-jwks')}.`,
      '',
    );
    const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
    out.push(
      table(
        [
          'app',
          'tokens',
          'req/s',
          '× no-auth',
          'p50',
          'p99',
          'server CPU µs/req (vs no-auth)',
          'CPU added',
          'non-2xx',
          'errors',
          'rounds: req/s',
          'rounds: CPU added',
        ],
        r.rows.map((row) => [
          row.label,
          row.modeLabel,
          fmtInt(row.requestsPerSec),
          fmtRatio(row.ratio),
          `${row.p50} ms`,
          `${row.p99} ms`,
          `${row.cpuPerRequest.toFixed(1)} (${row.cpuOverhead >= 0 ? '+' : ''}${row.cpuOverhead.toFixed(1)})`,
          row.variant === 'none' ? '' : pct(row.cpuAdded),
          String(row.non2xx),
          String(row.errors),
          row.rounds.map(fmtInt).join(' / '),
          row.variant === 'none' ? '' : row.cpuAddedRounds.map((x) => pct(x)).join(' / '),
        ]),
      ),
      '',
    );
    if (r.inProcess) {
      const { same, rotating, controlMicros } = r.inProcess;
      out.push(
        `What the middlewares themselves cost, without HTTP (authenticate + requireScope called directly on a Node-shaped request, interleaved by CPU time, less the ${controlMicros.toFixed(2)} µs of building the request): **${same.toFixed(1)} µs** per request with the same token, **${rotating.toFixed(1)} µs** with ${fmtInt(r.tokens)} rotating tokens. The server rows above measure the whole process, whose CPU per request moves by tens of microseconds between runs here.`,
        '',
      );
    }
    for (const mode of ['same', 'rotating']) {
      const sg = r.rows.find((row) => row.variant === 'scopeguard' && row.mode === mode);
      const peers = r.rows.filter(
        (row) => !row.variant.startsWith('none') && row.variant !== 'scopeguard' && row.mode === mode,
      );
      if (!sg) continue;
      const name = mode === 'same' ? 'same token' : 'rotating distinct tokens';
      // As in the Express section: a miss no larger than the control's drift cannot be told from noise.
      const control = r.rows.find((row) => row.variant === 'none-again' && row.mode === mode);
      const drift = control ? Math.abs(control.cpuAdded) : 0;
      const ok = sg.cpuAdded <= 0.1 && sg.non2xx === 0;
      target(
        `Fastify: scopeguard adds ≤ 10 % server CPU per request over no-auth (${name})`,
        ok,
        `${pct(sg.cpuAdded)} (${sg.cpuPerRequest.toFixed(1)} vs ${(sg.cpuPerRequest - sg.cpuOverhead).toFixed(1)} µs/req; the control, identical to no-auth, measured ${control ? pct(control.cpuAdded) : 'n/a'})`,
        { noisy: !ok && sg.non2xx === 0 && sg.cpuAdded - 0.1 <= drift },
      );
      if (peers.length > 0) {
        target(
          `Fastify: scopeguard adds less CPU per request than any peer (${name})`,
          peers.every((peer) => sg.cpuAdded < peer.cpuAdded),
          `${pct(sg.cpuAdded)} vs ${peers.map((peer) => `${peer.variant} ${pct(peer.cpuAdded)}`).join(', ')}`,
        );
      }
    }
  }

  if (results.redis) {
    const r = results.redis;
    out.push('## Redis replay store (`@scopeguard/redis`, one `claim` per DPoP request, loopback)', '');
    if (r.skipped) {
      out.push(`Not measured: ${r.skipped}.`, '');
    } else {
      out.push(
        `redis-server ${r.version} started by the section (no persistence), redis ${packageVersion('redis')}, ioredis ${packageVersion('ioredis')}. A claim is one \`SET key 1 PX ms NX\` of a new key (every proof has a fresh \`jti\`), timed one at a time (client → Redis → client, plus the store's key and timer work), rows round-robin in slices; PING through the same client is the round-trip floor. The last column keeps ${r.inflight} claims in flight on the one connection (pipelined).`,
        '',
      );
      out.push(
        table(
          [
            'transport',
            'client',
            'claim p50',
            'claim p99',
            'PING p50',
            'PING p99',
            'samples',
            `claims/s, ${r.inflight} in flight`,
          ],
          r.rows.map((row) => [
            row.transport,
            row.library,
            fmtMs(row.p50),
            fmtMs(row.p99),
            fmtMs(row.pingP50),
            fmtMs(row.pingP99),
            fmtInt(row.samples),
            fmtInt(row.inflightRate),
          ]),
        ),
        '',
      );
    }
  }

  if (results.headers) {
    const r = results.headers;
    out.push('## Hostile Authorization headers (issue 11, F3)', '');
    out.push(
      `Parsing alone: \`findBearerToken\` of @scopeguard/http per header shape (${r.size.toLocaleString('en-US')} characters; the normal one is a real token), round-robin, median. For contrast, the regex trim \`/^[ \\t]+|[ \\t]+$/g\` that parsed these headers before took **${fmtMs(r.oldTrimMs, 1)}** on the F3 shape (median of ${r.oldTrimCalls} calls).`,
      '',
    );
    out.push(
      table(
        ['header', 'characters', 'verdict', 'µs per parse', '× normal'],
        r.parse.map((row) => [
          row.name,
          fmtInt(row.length),
          row.verdict,
          row.microseconds.toFixed(2),
          fmtRatio(row.ratio),
        ]),
      ),
      '',
    );
    out.push(
      `Whole request: the scopeguard Express app of the http section, server CPU per request (median of the rounds), ${r.httpSize.toLocaleString('en-US')}-character headers (Node's default header limit is 16 KiB in all).`,
      '',
    );
    out.push(
      table(
        ['header', 'characters', 'status', 'server CPU µs/req', '× normal'],
        r.http.map((row) => [
          row.name,
          fmtInt(row.length),
          row.statuses.join(', '),
          row.cpu.toFixed(0),
          fmtRatio(row.ratio),
        ]),
      ),
      '',
    );
    const worst = Math.max(...r.http.slice(1).map((row) => row.ratio));
    target(
      'headers: a 16 KiB hostile Authorization header costs ≤ 1.5 × the server CPU of a normal request',
      worst <= 1.5,
      `worst ${fmtRatio(worst)}`,
    );
  }

  if (results.keys) {
    const r = results.keys;
    out.push(
      '## Key events (RS256, one loopback test issuer per library, JWKS requests counted by the issuer)',
      '',
    );
    out.push(
      `Settings, where the library has them: cooldown between unknown-kid fetches ${r.cooldownMs} ms (scopeguard \`jwks.cooldown\`, jose/express-oauth2-jwt-bearer \`cooldownDuration\`; jwks-rsa has a per-minute rate limit instead), key-set max age ${r.maxAgeMs} ms for the endpoint-down row (\`jwks.maxAge\`, \`cacheMaxAge\`). Libraries run side by side.`,
      '',
    );
    out.push(
      `- **Rotation**: warm verifier, \`rotateKeys()\`, cooldown elapsed, then ${r.concurrent} concurrent verifications of distinct tokens signed with the new key.`,
      `- **Kid flood**: ${r.floodSize.toLocaleString('en-US')} tokens with random unknown kids over ~${r.floodMs} ms; halfway, the issuer rotates and a genuine token with the new kid is verified. "allowed" = one fetch per cooldown over the window the fetches were seen in; "min gap" = shortest time between two JWKS requests. Still-pending verifications are counted after ${r.settleMs} ms more.`,
      '- **Endpoint down**: warm, then the JWKS endpoint answers 503: distinct valid tokens verified while the key set is fresh, then past its max age, then after the issuer is closed (connection refused).',
      '',
    );
    const cell = (x, f) => (x === undefined ? 'n/a' : x.crashed ? `crashed: ${x.crashed}` : f(x));
    out.push(
      table(
        [
          'library',
          'rotation: JWKS fetches',
          'rotation: accepted',
          'flood: fetches (allowed)',
          'flood: min gap',
          'flood: refused / pending',
          'genuine new kid mid-flood',
          'down, fresh',
          'down, past max age',
          'down, issuer gone',
          'fetches while 503',
        ],
        r.rows.map((row) => [
          row.label,
          cell(row.rotation, (x) => String(x.fetches)),
          cell(
            row.rotation,
            (x) =>
              `${x.accepted}/${x.total} in ${x.elapsedMs.toFixed(0)} ms${x.firstError ? ` (${x.firstError})` : ''}`,
          ),
          cell(row.flood, (x) => `${x.fetches} (${row.bound === 'cooldown' ? x.allowed : row.bound})`),
          cell(row.flood, (x) => (x.minGapMs === undefined ? '–' : `${x.minGapMs} ms`)),
          cell(
            row.flood,
            (x) =>
              `${x.floodRefused} / ${x.floodPending}${x.floodAccepted ? ` (accepted ${x.floodAccepted}!)` : ''}`,
          ),
          cell(row.flood, (x) =>
            x.genuine.pending
              ? 'still pending'
              : x.genuine.accepted
                ? `accepted in ${x.genuine.latencyMs.toFixed(0)} ms`
                : `refused (${x.genuine.error})`,
          ),
          cell(row.down, (x) => `${x.fresh.passed}/${x.fresh.total}`),
          cell(
            row.down,
            (x) =>
              `${x.stale.passed}/${x.stale.total}${x.stale.lastError ? ` (${x.stale.lastError.slice(0, 60)})` : ''}`,
          ),
          cell(row.down, (x) => `${x.gone.passed}/${x.gone.total}`),
          cell(row.down, (x) => String(x.fetchesWhile503)),
        ]),
      ),
      '',
    );
    for (const note of r.notes) out.push(`- ${note}`);
    out.push('');
    const sg = r.rows.find((row) => row.id === 'scopeguard');
    if (sg?.rotation && !sg.rotation.crashed) {
      target(
        `keys: rotation under ${r.concurrent} concurrent requests → exactly one JWKS fetch, all accepted`,
        sg.rotation.fetches === 1 && sg.rotation.accepted === sg.rotation.total,
        `${sg.rotation.fetches} fetch(es), ${sg.rotation.accepted}/${sg.rotation.total} accepted`,
      );
    }
    if (sg?.flood && !sg.flood.crashed) {
      const gapOk = sg.flood.minGapMs === undefined || sg.flood.minGapMs >= r.cooldownMs * 0.95;
      target(
        `keys: random-kid flood → at most one JWKS fetch per cooldown (${r.cooldownMs} ms)`,
        sg.flood.fetches <= sg.flood.allowed && gapOk,
        `${sg.flood.fetches} fetches, allowed ${sg.flood.allowed}, min gap ${sg.flood.minGapMs ?? '–'} ms; genuine kid ${sg.flood.genuine.accepted ? 'accepted' : 'NOT accepted'}`,
      );
    }
  }

  if (results.memory) {
    out.push('## Memory (scopeguard, verified-token cache, EdDSA tokens signed with node:crypto)', '');
    out.push(
      'Each run is a fresh process (`--expose-gc`, GC before each sample) verifying distinct, validly signed Okta-shaped tokens one after another. The cache is bounded by `maxEntries` (default 10,000).',
      '',
    );
    const rows = [];
    for (const run of results.memory.runs) {
      for (const s of run.samples) {
        rows.push([
          run.cacheMode === 'off' ? 'cache: false' : 'cache on (default, 10,000)',
          fmtInt(s.verified),
          `${s.rssMiB.toFixed(1)} MiB`,
          `${s.heapUsedMiB.toFixed(1)} MiB`,
          `${s.externalMiB.toFixed(1)} MiB`,
        ]);
      }
    }
    out.push(table(['verifier', 'tokens verified', 'RSS', 'heap used', 'external'], rows), '');
    const on = results.memory.runs.find((run) => run.cacheMode === 'default');
    const off = results.memory.runs.find((run) => run.cacheMode === 'off');
    if (on && off) {
      const last = on.samples[on.samples.length - 1];
      const offLast = off.samples[off.samples.length - 1];
      const perEntry = ((last.heapUsedMiB - offLast.heapUsedMiB) * 2 ** 20) / Math.min(10_000, on.total);
      out.push(
        `After ${fmtInt(on.total)} distinct tokens (${on.tokenLength} characters each) with the cache on: **RSS ${last.rssMiB.toFixed(1)} MiB** (heap used ${last.heapUsedMiB.toFixed(1)} MiB) vs ${offLast.rssMiB.toFixed(1)} MiB (heap ${offLast.heapUsedMiB.toFixed(1)} MiB) with \`cache: false\` → about ${fmtInt(perEntry)} bytes of heap per cached token; flat once the cache is full. Loop rate (sign + verify + cache insert/evict): ${fmtInt(on.opsPerSec)} tokens/s with the cache, ${fmtInt(off.opsPerSec)} without.`,
        '',
      );
    }
  }

  out.push('## Targets', '');
  if (targets.length === 0) out.push('(no target measured in this run)');
  else {
    const main = targets.filter((t) => !t.info);
    const count = (f) => main.filter(f).length;
    out.push(
      `${count((t) => t.ok && !t.noisy)} PASS, ${count((t) => !t.ok && !t.noisy)} FAIL, ${count((t) => t.noisy)} NOISY of ${main.length} targets (lower case: informative, not targets).`,
      '',
    );
  }
  for (const t of targets) {
    out.push(
      `- ${t.noisy ? (t.info ? 'noisy' : '**NOISY**') : t.info ? (t.ok ? 'pass' : 'fail') : t.ok ? '**PASS**' : '**FAIL**'} ${t.name}: ${t.detail}${t.noisy ? ` (would read ${t.ok ? 'PASS' : 'FAIL'})` : ''}`,
    );
  }
  out.push('');
  if (crashes.length > 0) {
    out.push('## Harness errors', '', '```', ...crashes, '```', '');
  }
  return out.join('\n');
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
