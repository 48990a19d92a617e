// Verify throughput (single thread, sequential awaited loops) and concurrency, per algorithm.
import { verify as cryptoVerify } from 'node:crypto';
import { createTestIssuer } from '@scopeguard/testing';
import {
  awaitedRate,
  concurrentRate,
  loneLatencies,
  median,
  percentile,
  roundRobin,
  syncRate,
  withTimeout,
} from '../lib/common.mjs';
import { fastJwt, jose, okta, scopeguard } from '../lib/libraries.mjs';
import { activePublicKey, assertFloorVerifies, floorInputs, mintDistinct } from '../lib/tokens.mjs';

async function checkAccepts(name, verify, token) {
  try {
    await withTimeout(Promise.resolve(verify(token)), 10_000, name);
  } catch (error) {
    throw new Error(`${name} refused a valid token: ${error?.code ?? ''} ${error?.message ?? error}`);
  }
}

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
        measure: (ms) =>
          syncRate((i) => {
            const input = inputs[i % n];
            if (!cryptoVerify(input.hash, input.data, input.keyArg, input.signature))
              throw new Error('floor');
          }, ms),
      },
      {
        // What no verifier that reads the claims can skip: split the token, decode the signing input, the
        // signature and the payload, JSON.parse the payload, crypto.verify. No checks at all: the ceiling
        // for any library's distinct-token row.
        name: 'reference: floor + split, decode, JSON.parse payload (no checks)',
        measure: (ms) =>
          syncRate((i) => {
            const token = tokens[i % n];
            const input = inputs[i % n];
            const first = token.indexOf('.');
            const second = token.indexOf('.', first + 1);
            const claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString());
            const data = Buffer.from(token.slice(0, second), 'latin1');
            const signature = Buffer.from(token.slice(second + 1), 'base64url');
            if (!cryptoVerify(input.hash, data, input.keyArg, signature) || typeof claims.exp !== 'number')
              throw new Error('reference');
          }, ms),
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
        measure:
          mode === 'repeated'
            ? (ms) => awaitedRate(() => verify(tokens[0]), ms)
            : (ms) => awaitedRate((i) => verify(tokens[i % n]), ms),
      });
    }
    log(`  ${alg}: ${rows.length} rows × ${config.runs} runs × ${config.runMs} ms`);
    const results = await roundRobin(rows, {
      runs: config.runs,
      ms: config.runMs,
      warmupMs: config.warmupMs,
    });
    const floor = results[0].opsPerSec;
    return {
      alg,
      tokenLength: tokens[0].length,
      rows: results.map((row) => ({ ...row, ratio: row.opsPerSec / floor })),
      skipped,
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
    const results = await roundRobin(rows, {
      runs: config.runs,
      ms: config.runMs,
      warmupMs: config.warmupMs,
    });
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
