// Key events: what each library does to the issuer's JWKS endpoint on a key rotation under load, on a
// flood of unknown `kid`s, and when the endpoint goes down. Every library gets its own loopback test
// issuer; fetches are counted by the issuer itself (requests.jwks).
import { createTestIssuer } from '@scopeguard/testing';
import { sleep, withTimeout } from '../lib/common.mjs';
import { auth0, expressJwt, jose, okta, scopeguard } from '../lib/libraries.mjs';
import { BENCH_CLAIMS, mintDistinct, randomKidTokens } from '../lib/tokens.mjs';

/** [id, label, factory, what bounds its JWKS fetches] */
export const KEY_LIBRARIES = [
  ['scopeguard', 'scopeguard', scopeguard, 'cooldown'],
  ['jose', 'jose createRemoteJWKSet', jose, 'cooldown'],
  ['okta', '@okta/jwt-verifier (jwks-rsa)', okta, 'rate limit 10/min'],
  ['express-jwt', 'express-jwt + jwks-rsa', expressJwt, 'rate limit 5/min'],
  ['auth0', 'express-oauth2-jwt-bearer (jose 4 remote JWKS)', auth0, 'cooldown'],
];

const alg = 'RS256';

function describeError(error) {
  return `${error?.code ?? error?.name ?? 'Error'}: ${String(error?.message ?? error).slice(0, 120)}`;
}

async function settleAll(promises, ms, what) {
  return withTimeout(Promise.allSettled(promises), ms, what);
}

/** Settles now into { status, value | reason }, so a rejection waiting for its turn is never "unhandled". */
function reflect(promise) {
  return Promise.resolve(promise).then(
    (value) => ({ status: 'fulfilled', value }),
    (reason) => ({ status: 'rejected', reason }),
  );
}

function contextOf(issuer, extra) {
  return { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: issuer.audience, alg, ...extra };
}

/** Warm verifier, then rotateKeys(), then `concurrent` verifications of distinct tokens with the new kid. */
async function rotation(issuer, factory, config) {
  const lib = factory(contextOf(issuer, { cooldown: config.cooldownMs }));
  await lib.verify(await issuer.mint(BENCH_CLAIMS));
  const warmedAt = performance.now();
  await issuer.rotateKeys();
  const tokens = await mintDistinct(issuer, config.concurrent);
  // A rotation happens long after start-up: let the initial fetch's cooldown pass first.
  await sleep(Math.max(0, config.cooldownMs + 100 - (performance.now() - warmedAt)));
  const before = issuer.requests.jwks;
  const t0 = performance.now();
  const settled = await settleAll(
    tokens.map((token) => lib.verify(token)),
    15_000,
    'rotation',
  );
  const elapsedMs = performance.now() - t0;
  const refused = settled.filter((s) => s.status === 'rejected');
  return {
    fetches: issuer.requests.jwks - before,
    accepted: settled.length - refused.length,
    total: settled.length,
    elapsedMs,
    firstError: refused[0] ? describeError(refused[0].reason) : undefined,
  };
}

/**
 * `floodSize` tokens with random unknown kids, sent in batches over `floodMs`; halfway through, the issuer
 * rotates to a genuine new key and a token signed with it is verified.
 */
async function kidFlood(issuer, factory, config) {
  const lib = factory(contextOf(issuer, { cooldown: config.cooldownMs }));
  const template = await issuer.mint(BENCH_CLAIMS);
  await lib.verify(template);
  const flood = randomKidTokens(template, alg, config.floodSize);
  await sleep(config.cooldownMs + 100);
  const before = issuer.requests.jwks;
  const since = Date.now();
  const batches = config.floodBatches;
  const perBatch = Math.ceil(flood.length / batches);
  const pending = [];
  let genuine;
  const t0 = performance.now();
  const t0Epoch = Date.now();
  for (let b = 0; b < batches; b++) {
    for (const token of flood.slice(b * perBatch, (b + 1) * perBatch))
      pending.push(reflect(lib.verify(token)));
    if (b === Math.floor(batches / 2)) {
      genuine = (async () => {
        await issuer.rotateKeys();
        const token = await issuer.mint(BENCH_CLAIMS);
        const started = performance.now();
        try {
          await lib.verify(token);
          return { accepted: true, latencyMs: performance.now() - started };
        } catch (error) {
          return { accepted: false, latencyMs: performance.now() - started, error: describeError(error) };
        }
      })();
    }
    await sleep(config.floodMs / batches);
  }
  const floodEnd = performance.now();
  // jwks-rsa queues verifications behind its token bucket (minutes): wait a bounded time, count the rest.
  const outcomes = pending.map(() => 'pending');
  for (const [i, p] of pending.entries()) {
    p.then((s) => {
      outcomes[i] = s.status;
    });
  }
  const genuineOutcome = { accepted: false, pending: true };
  genuine.then((g) => Object.assign(genuineOutcome, g, { pending: false }));
  await Promise.race([Promise.all([Promise.all(pending), genuine]), sleep(config.settleMs)]);
  // The genuine token also waited for rotateKeys() (RSA key generation): give it a little longer.
  await Promise.race([genuine, sleep(config.settleMs)]);
  const durationMs = floodEnd - t0;
  const fetchTimes = issuer.requests.all.filter((r) => r.route === 'jwks' && r.at >= since).map((r) => r.at);
  const gaps = fetchTimes.slice(1).map((at, i) => at - fetchTimes[i]);
  const windowMs = fetchTimes.length > 0 ? fetchTimes[fetchTimes.length - 1] - t0Epoch : 0;
  return {
    fetches: issuer.requests.jwks - before,
    // one per cooldown over the time fetches were seen (the last may come after the flood, for its waiters)
    allowed: Math.floor(windowMs / config.cooldownMs) + 1,
    minGapMs: gaps.length > 0 ? Math.min(...gaps) : undefined,
    durationMs,
    floodAccepted: outcomes.filter((o) => o === 'fulfilled').length,
    floodRefused: outcomes.filter((o) => o === 'rejected').length,
    floodPending: outcomes.filter((o) => o === 'pending').length,
    settleMs: performance.now() - t0,
    genuine: { ...genuineOutcome },
  };
}

/** Warm verifier, then the JWKS endpoint answers 503, then the issuer is gone altogether. */
async function endpointDown(issuer, factory, config) {
  const lib = factory(contextOf(issuer, { cooldown: config.cooldownMs, maxAge: config.maxAgeMs }));
  const tokens = await mintDistinct(issuer, 3 * config.downProbes + 1);
  await lib.verify(tokens.pop());
  const before = issuer.requests.jwks;
  const probe = async (batch) => {
    let passed = 0;
    let lastError;
    for (const token of batch) {
      try {
        await withTimeout(lib.verify(token), 3000, 'probe');
        passed++;
      } catch (error) {
        lastError = describeError(error);
      }
    }
    return { passed, total: batch.length, lastError };
  };
  const k = config.downProbes;
  issuer.setJwksFault({ kind: 'status', status: 503 });
  const fresh = await probe(tokens.slice(0, k));
  await sleep(config.maxAgeMs + 200);
  const stale = await probe(tokens.slice(k, 2 * k));
  await sleep(150); // a background refresh started by the last probe is still on its way
  const fetchesWhile503 = issuer.requests.jwks - before;
  await issuer.close();
  await sleep(config.maxAgeMs + 200);
  const gone = await probe(tokens.slice(2 * k));
  return { fresh, stale, gone, fetchesWhile503 };
}

export async function keyEvents(config, log) {
  // Libraries run side by side (each against its own issuer): the scenarios mostly wait on timers.
  log(`  ${KEY_LIBRARIES.map(([, label]) => label).join('; ')} (in parallel)`);
  const rows = await Promise.all(
    KEY_LIBRARIES.map(async ([id, label, factory, bound]) => {
      const row = { id, label, bound };
      // One issuer per library for the three scenarios, in this order (the last one closes it).
      const issuer = await createTestIssuer({ algorithm: alg });
      try {
        for (const [name, scenario] of [
          ['rotation', rotation],
          ['flood', kidFlood],
          ['down', endpointDown],
        ]) {
          try {
            row[name] = await scenario(issuer, factory, config);
          } catch (error) {
            row[name] = { crashed: describeError(error) };
          }
        }
      } finally {
        await issuer.close();
      }
      return row;
    }),
  );
  return {
    cooldownMs: config.cooldownMs,
    maxAgeMs: config.maxAgeMs,
    concurrent: config.concurrent,
    floodSize: config.floodSize,
    floodMs: config.floodMs,
    settleMs: config.settleMs,
    rows,
    notes: [
      'fast-jwt has no JWKS client (it takes a key or a key callback): no key-event row.',
      "express-oauth2-jwt-bearer's verifier is not exported: its auth() middleware is called with a minimal request.",
    ],
  };
}
