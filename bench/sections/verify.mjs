// Verify throughput (single thread, sequential awaited loops) and concurrency, per algorithm.
import { constants, createPublicKey, verify as cryptoVerify, publicDecrypt } from 'node:crypto';
import { createVerifier as createScopeguardVerifier } from '@scopeguard/core';
import { createTestIssuer } from '@scopeguard/testing';
import {
  assertAccepts,
  awaitedRate,
  concurrentRate,
  loneLatencies,
  measureChecked,
  median,
  percentile,
  roundRobin,
  syncRate,
} from '../lib/common.mjs';
import { interleavedRates } from '../lib/interleave.mjs';
import { fastJwt, jose, okta, scopeguard } from '../lib/libraries.mjs';
import {
  activePublicKey,
  assertFloorVerifies,
  BENCH_CLAIMS,
  floorInputs,
  mintDistinct,
  referenceVerify,
} from '../lib/tokens.mjs';

const checkAccepts = (name, verify, token) => assertAccepts(name, () => verify(token), 10_000);

/**
 * What every section measures on: distinct tokens from `issuer`, the floor's inputs for them (checked to
 * verify, so a floor can never be measured on failing input), and the context the library adapters take.
 */
async function prepare(issuer, alg, config) {
  const tokens = await mintDistinct(issuer, config.distinctTokens);
  const { key } = activePublicKey(issuer);
  const inputs = floorInputs(tokens, alg, key);
  assertFloorVerifies(inputs);
  const context = {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: issuer.audience,
    alg,
    publicKey: key,
  };
  return { tokens, n: tokens.length, inputs, context };
}

/**
 * One algorithm: floor, scopeguard (distinct tokens, cache off), scopeguard (one repeated token, cache
 * on), jose, @okta/jwt-verifier (RS256 only), fast-jwt. Every row verifies the same 1,000 distinct tokens
 * (repeated row: the first of them), round-robin, median of `runs`.
 */
export async function verifyThroughput(alg, config, log) {
  const issuer = await createTestIssuer({ algorithm: alg });
  try {
    const { tokens, n, inputs, context } = await prepare(issuer, alg, config);

    const sgDistinct = scopeguard({ ...context, cache: false });
    const sgRepeated = scopeguard({ ...context });
    const libs = [
      [`scopeguard, ${n.toLocaleString('en-US')} distinct tokens (cache off)`, sgDistinct.verify, 'distinct'],
      ['scopeguard, one repeated token (cache on)', sgRepeated.verify, 'repeated'],
      ['jose jwtVerify + createRemoteJWKSet', jose(context).verify, 'distinct'],
      ['@okta/jwt-verifier', okta(context)?.verify, 'distinct'],
      ['fast-jwt (public PEM, sync)', fastJwt(context).verify, 'distinct'],
    ];
    const rows = [
      {
        name: 'floor: crypto.verify (sync, KeyObject)',
        run: (i) => {
          const input = inputs[i % n];
          if (!cryptoVerify(input.hash, input.data, input.keyArg, input.signature)) throw new Error('floor');
        },
      },
      {
        // What no verifier that reads the claims can skip: split the token, decode the signing input, the
        // signature and the payload, JSON.parse the payload, crypto.verify. No checks at all: the ceiling
        // for any library's distinct-token row.
        name: 'reference: floor + split, decode, JSON.parse payload (no checks)',
        run: referenceVerify(tokens, inputs[0].hash, inputs[0].keyArg),
      },
    ];
    const skipped = [];
    for (const [name, verify, mode] of libs) {
      if (!verify) {
        skipped.push(name);
        continue;
      }
      await checkAccepts(name, verify, tokens[0]); // also warms the JWKS
      rows.push({
        name,
        mode,
        // A cache hit takes a microsecond or so: longer turns keep the clock reads negligible.
        ...(mode === 'repeated'
          ? { run: () => verify(tokens[0]), batch: 1024 }
          : { run: (i) => verify(tokens[i % n]) }),
      });
    }
    // What cannot be faster than what: the reference does the floor's work and more; every peer verifies
    // with crypto.verify on the same inputs after parsing, so does the reference's work and more; so does
    // scopeguard except on RS* (its encode-and-compare RSA path is cheaper than crypto.verify's, so no
    // bound holds it there).
    const [floorRow, referenceRow] = rows;
    const bounds = [
      { row: referenceRow.name, floor: floorRow.name, why: 'the reference is the floor plus parsing' },
      ...rows
        .slice(2)
        .filter(
          (row) => row.mode === 'distinct' && !(alg.startsWith('RS') && row.name.startsWith('scopeguard')),
        )
        .map((row) => ({
          row: row.name,
          floor: referenceRow.name,
          why: "a verifier does the reference's work and more",
        })),
    ];
    log(`  ${alg}: ${rows.length} rows × ${config.runs} runs × ${config.runMs} ms`);
    // Interleaved (rows take turns every 32 verifications, shuffled), measured by the process's CPU time:
    // on a shared machine the wall-clock rate of 600 ms slots moved by ±30 % between neighbouring rows.
    const checked = await measureChecked(() => interleavedRates(rows, config), bounds, {
      attempts: config.attempts ?? 3,
      log,
      what: `${alg}: `,
      rate: (r) => r.opsPerCpuSecond,
    });
    const floor = checked.results[0].opsPerCpuSecond;
    return {
      alg,
      tokenLength: tokens[0].length,
      rows: checked.results.map((row) => ({
        name: row.name,
        opsPerSec: row.opsPerCpuSecond,
        wallOpsPerSec: row.opsPerSec,
        samples: row.cpuSamples,
        ratio: row.opsPerCpuSecond / floor,
      })),
      skipped,
      attempts: checked.attempts,
      noisy: checked.violations,
    };
  } finally {
    await issuer.close();
  }
}

/** RS256: libuv threadpool vs sync floor, scopeguard with 64 in flight, and the latency of a lone verification. */
export async function concurrency(config, log) {
  const alg = 'RS256';
  const issuer = await createTestIssuer({ algorithm: alg });
  try {
    const { tokens, n, inputs, context } = await prepare(issuer, alg, config);
    const sg = scopeguard({ ...context, cache: false });
    const sgCached = scopeguard({ ...context });
    await checkAccepts('scopeguard', sg.verify, tokens[0]);
    await checkAccepts('scopeguard (cache on)', sgCached.verify, tokens[0]);

    const asyncVerify = (i) =>
      new Promise((resolve, reject) => {
        const input = inputs[i % n];
        cryptoVerify(input.hash, input.data, input.keyArg, input.signature, (error, ok) =>
          error || !ok ? reject(error ?? new Error('async floor: false')) : resolve(ok),
        );
      });
    const inflight = config.inflight;
    const rows = [
      {
        name: 'floor: crypto.verify sync, 1 thread',
        measure: (ms) =>
          syncRate((i) => {
            const input = inputs[i % n];
            cryptoVerify(input.hash, input.data, input.keyArg, input.signature);
          }, ms),
      },
      {
        name: `crypto.verify callback (threadpool), ${inflight} in flight`,
        measure: (ms) => concurrentRate(asyncVerify, inflight, ms),
      },
      { name: 'crypto.verify callback, 1 in flight', measure: (ms) => awaitedRate(asyncVerify, ms) },
      {
        name: 'scopeguard distinct (cache off), 1 in flight',
        measure: (ms) => awaitedRate((i) => sg.verify(tokens[i % n]), ms),
      },
      {
        name: `scopeguard distinct (cache off), ${inflight} in flight`,
        measure: (ms) => concurrentRate((i) => sg.verify(tokens[i % n]), inflight, ms),
      },
    ];
    log(`  concurrency: ${rows.length} rows × ${config.runs} runs × ${config.runMs} ms`);
    // A callback through the threadpool, one at a time, cannot beat the synchronous call. (scopeguard with
    // 64 in flight is not bounded by the threadpool row: past its cap it verifies on the main thread too,
    // and its RS* main-thread path is cheaper than crypto.verify.)
    const bounds = [{ row: rows[2].name, floor: rows[0].name, why: 'the same call plus a threadpool hop' }];
    const checked = await measureChecked(
      () => roundRobin(rows, { runs: config.runs, ms: config.runMs, warmupMs: config.warmupMs }),
      bounds,
      { attempts: config.attempts ?? 3, log, what: 'concurrency: ' },
    );
    const results = checked.results;
    const floor = results[0].opsPerSec;

    const count = config.latencySamples;
    const lone = {
      'crypto.verify sync': await loneLatencies((i) => {
        const input = inputs[i % n];
        cryptoVerify(input.hash, input.data, input.keyArg, input.signature);
      }, count),
      'crypto.verify callback (threadpool)': await loneLatencies(asyncVerify, count),
      'scopeguard verify, distinct (cache off)': await loneLatencies((i) => sg.verify(tokens[i % n]), count),
      'scopeguard verify, repeated (cache hit)': await loneLatencies(() => sgCached.verify(tokens[0]), count),
    };
    return {
      alg,
      inflight,
      attempts: checked.attempts,
      noisy: checked.violations,
      rows: results.map((row) => ({ ...row, ratio: row.opsPerSec / floor })),
      latency: Object.entries(lone).map(([name, values]) => ({
        name,
        p50: median(values),
        p99: percentile(values, 99),
        samples: values.length,
      })),
    };
  } finally {
    await issuer.close();
  }
}

/**
 * Several trusted issuers (issue 14): RS256 verify throughput of a verifier trusting 1, 10 and 100
 * issuers, with tokens from one of them and with tokens spread across them (token i from issuer i mod N),
 * plus the single-issuer form and an issuers function (100 tenants) for reference. Every configured issuer
 * has its own key state (discovery is skipped: each names the same JWKS URI, so one signing key serves
 * every issuer and the rows differ only by routing, and by each issuer holding its own imported key);
 * tokens are distinct and the verified-token cache is off, so each verification routes, looks its key up
 * and checks a signature.
 *
 * Rows take turns batch by batch (32 verifications), each batch timed by the wall clock and by the
 * process's CPU time (on a shared machine the wall-clock rate moves by far more than 3 %). Spreading
 * tokens over N issuers means N RSA keys in turn, which slows the RSA operation itself (CPU caches),
 * whoever routes; so each row is compared with the raw RSA public operation cycling through the same
 * number of keys. The target: the `issuers` rows, each as a ratio to its floor, stay within 3 %
 * of each other (routing is one `Map` lookup by the exact `iss`, whatever the number of issuers).
 */
export async function issuerCount(config, log) {
  const alg = 'RS256';
  const keys = await createTestIssuer({ algorithm: alg });
  try {
    const n = config.distinctTokens;
    const issuerName = (i) => `https://tenant-${i}.bench.test/oauth2/default`;
    const configured = (count) =>
      Array.from({ length: count }, (_, i) => ({ issuer: issuerName(i), jwksUri: keys.jwksUri }));
    /** `n` distinct tokens, token i claiming issuer i mod `spread` (all signed with the one key). */
    const mintFor = async (spread) => {
      const out = new Array(n);
      for (let start = 0; start < n; start += 32) {
        const batch = [];
        for (let i = start; i < Math.min(n, start + 32); i++) {
          const claims = {
            ...BENCH_CLAIMS,
            uid: `00u${i.toString(36).padStart(8, '0')}`,
            iss: issuerName(i % spread),
          };
          batch.push(keys.mint(claims).then((token) => (out[i] = token)));
        }
        await Promise.all(batch);
      }
      return out;
    };
    const tokensBy = { 1: await mintFor(1), 10: await mintFor(10), 100: await mintFor(100) };
    // The floors, on the same tokens, cycling through as many separately imported copies of the key as
    // the row has issuers holding one: the raw RSA public operation (`publicDecrypt` without padding,
    // the step that dominates scopeguard's RS* path, and the one that slows when keys take turns), and
    // `crypto.verify` (the floor of the other sections) with one key, for reference.
    const { key } = activePublicKey(keys);
    const jwk = key.export({ format: 'jwk' });
    const rsaFloor = (count) => {
      const copies = Array.from({ length: count }, () => ({
        key: createPublicKey({ key: jwk, format: 'jwk' }),
        padding: constants.RSA_NO_PADDING,
      }));
      const signatures = tokensBy[count].map((token) =>
        Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url'),
      );
      return (i) => {
        if (publicDecrypt(copies[i % count], signatures[i % n]).length !== 256) throw new Error('floor');
      };
    };
    const inputs = floorInputs(tokensBy[1], alg, key);
    assertFloorVerifies(inputs);
    const verifyFloor = (i) => {
      const input = inputs[i % n];
      if (!cryptoVerify(input.hash, input.data, input.keyArg, input.signature)) throw new Error('floor');
    };

    const common = { audience: keys.audience, algorithms: [alg], cache: false };
    const single = createScopeguardVerifier({ issuer: issuerName(0), jwksUri: keys.jwksUri, ...common });
    const multi = (count) => createScopeguardVerifier({ issuers: configured(count), ...common });
    const tenants = new Map(configured(100).map((c) => [c.issuer, c]));
    const dynamic = createScopeguardVerifier({
      issuers: (iss) => tenants.get(iss),
      maxIssuers: 100,
      ...common,
    });
    const verifying = (verifier, keyCount) => {
      const tokens = tokensBy[keyCount];
      return (i) => verifier.verify(tokens[i % n]);
    };
    // [name, kind, run(i), keys in turn]
    const variants = [
      ['floor: RSA public operation, 1 key', 'floor', rsaFloor(1), 1],
      ['floor: RSA public operation, 10 keys in turn', 'floor', rsaFloor(10), 10],
      ['floor: RSA public operation, 100 keys in turn', 'floor', rsaFloor(100), 100],
      ['crypto.verify, 1 key', 'reference', verifyFloor, 1],
      ['single-issuer form ({ issuer })', 'reference', verifying(single, 1), 1],
      ['issuers: 1, tokens from it', 'target', verifying(multi(1), 1), 1],
      // The same configuration again, in another verifier: how far two identical rows drift in this run.
      ['control: issuers: 1 again (a second, identical verifier)', 'control', verifying(multi(1), 1), 1],
      ['issuers: 10, tokens from one', 'target', verifying(multi(10), 1), 1],
      ['issuers: 100, tokens from one', 'target', verifying(multi(100), 1), 1],
      ['issuers: 10, tokens spread across them', 'target', verifying(multi(10), 10), 10],
      ['issuers: 100, tokens spread across them', 'target', verifying(multi(100), 100), 100],
      ['issuers function, 100 live tenants, tokens spread', 'reference', verifying(dynamic, 100), 100],
    ];
    // Warm every issuer's keys (and the function's answers) so no row pays a fetch.
    for (const [name, kind, run] of variants) {
      if (kind === 'floor') continue;
      await assertAccepts(name, () => Promise.all(Array.from({ length: 100 }, (_, i) => run(i))), 30_000);
    }
    log(`  issuers: ${variants.length} rows × ${config.runs} runs × ${config.runMs} ms`);
    // Interleaved finely: within each run the rows take turns every 32 verifications, so a burst of load
    // from other processes falls on every row alike.
    // scopeguard's RS256 path is the RSA public operation plus parsing, hashing and checks: no scopeguard
    // row can do more verifications per CPU second than the RSA floor with as many keys in turn.
    const floorName = (keyCount) => variants.find(([, kind, , k]) => kind === 'floor' && k === keyCount)[0];
    const bounds = variants
      .filter(([name, kind]) => kind !== 'floor' && !name.startsWith('crypto.verify'))
      .map(([name, , , keyCount]) => ({
        row: name,
        floor: floorName(keyCount),
        why: 'scopeguard does the RSA operation and more',
      }));
    const checked = await measureChecked(
      () =>
        interleavedRates(
          variants.map(([name, , run]) => ({ name, run })),
          config,
        ),
      bounds,
      { attempts: config.attempts ?? 3, log, what: 'issuers: ', rate: (r) => r.opsPerCpuSecond },
    );
    const rates = checked.results;
    const measured = variants.map(([name, kind, , keyCount], index) => ({
      name,
      kind,
      keys: keyCount,
      opsPerSec: rates[index].opsPerSec,
      opsPerCpuSecond: rates[index].opsPerCpuSecond,
      cpuSamples: rates[index].cpuSamples,
    }));
    const floorOf = (keyCount) => measured.find((row) => row.kind === 'floor' && row.keys === keyCount);
    const rows = measured.map((row) => ({
      ...row,
      ratio: row.opsPerCpuSecond / floorOf(row.keys).opsPerCpuSecond,
    }));
    const spreadOf = (values) => Math.max(...values) / Math.min(...values) - 1;
    const targeted = rows.filter((row) => row.kind === 'target');
    const identical = rows.filter(
      (row) => row.keys === 1 && (row.kind === 'control' || row.name.startsWith('issuers: 1,')),
    );
    return {
      alg,
      tokens: n,
      attempts: checked.attempts,
      noisy: checked.violations,
      rows,
      noise: spreadOf(identical.map((row) => row.ratio)),
      spread: spreadOf(targeted.map((row) => row.ratio)),
      rawSpread: spreadOf(targeted.map((row) => row.opsPerCpuSecond)),
      wallSpread: spreadOf(targeted.map((row) => row.opsPerSec)),
    };
  } finally {
    await keys.close();
  }
}
