import type { KeyObject } from 'node:crypto';
import type { Algorithm } from './algorithms.js';
import { type SigningInput, verifySignature, verifySignatureAsync } from './signature.js';

/**
 * Where signature checks run: `'auto'` (default) keeps a lone verification on the synchronous path (lowest
 * latency) and moves work to libuv's threadpool only when verifications overlap; `'never'` is always
 * synchronous; `'always'` always uses the threadpool.
 */
export type ThreadpoolMode = 'auto' | 'never' | 'always';

/** Counters, for tests and the benchmark. */
export interface SchedulerStats {
  sync: number;
  threadpool: number;
}

/** Runs one signature check, synchronously (a boolean) or in the threadpool (a promise). */
export interface SignatureScheduler {
  verify(
    alg: Algorithm,
    key: KeyObject,
    signingInput: SigningInput,
    signature: Buffer,
  ): boolean | Promise<boolean>;
  stats(): SchedulerStats;
}

/** Two verification starts closer than this (ms) mean the main thread is verifying back to back. */
const BUSY_GAP_MS = 0.25;
/** After a threadpool probe that no other verification overlapped, stay synchronous this many times. */
const BACKOFF = 256;

/**
 * Most checks queued in the threadpool at once: 16 per libuv pool thread (`UV_THREADPOOL_SIZE`, default 4,
 * so 64). Measured with 64 verifications in flight on 2 cores: a cap of 8 left `'auto'` at 0.68-0.77x the
 * single-thread floor (the main thread verified the overflow itself, competing with the pool), a cap of 64
 * matched `'always'` (1.02-1.14x). At ~30 us per RS256 check, a full queue delays `fs` and `dns.lookup`,
 * which share the pool, by about half a millisecond.
 */
export function defaultThreadpoolCap(): number {
  const size = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return 16 * (Number.isInteger(size) && size > 0 ? size : 4);
}

/**
 * Chooses, per signature, between `crypto.verify` on the main thread and `crypto.verify` with a callback
 * (libuv's threadpool, so other cores help). The evidence it acts on: a verification that starts while
 * another is still in the threadpool proves concurrent load, so more go there (up to `cap` queued) while
 * the main thread keeps verifying the rest itself. A sequential caller never overlaps, so after one probe
 * it is served synchronously again, and a lone request on an idle server never leaves the main thread.
 */
export function createSignatureScheduler(
  mode: ThreadpoolMode,
  cap: number = defaultThreadpoolCap(),
  now: () => number = () => performance.now(),
): SignatureScheduler {
  const stats: SchedulerStats = { sync: 0, threadpool: 0 };
  let inFlight = 0;
  let overlapped = false;
  let backoff = 0;
  let lastStart = Number.NEGATIVE_INFINITY;

  const sync = (alg: Algorithm, key: KeyObject, input: SigningInput, signature: Buffer) => {
    stats.sync++;
    return verifySignature(alg, key, input, signature);
  };

  const threadpool = (alg: Algorithm, key: KeyObject, input: SigningInput, signature: Buffer) => {
    stats.threadpool++;
    if (inFlight === 0) overlapped = false;
    inFlight++;
    return verifySignatureAsync(alg, key, input, signature).finally(() => {
      inFlight--;
      if (inFlight === 0 && !overlapped) backoff = BACKOFF;
    });
  };

  return {
    verify(alg, key, input, signature) {
      if (mode === 'never') return sync(alg, key, input, signature);
      if (mode === 'always') return threadpool(alg, key, input, signature);
      const started = now();
      const gap = started - lastStart;
      lastStart = started;
      if (inFlight > 0) {
        overlapped = true;
        return inFlight < cap ? threadpool(alg, key, input, signature) : sync(alg, key, input, signature);
      }
      if (backoff > 0) {
        backoff--;
        return sync(alg, key, input, signature);
      }
      return gap < BUSY_GAP_MS ? threadpool(alg, key, input, signature) : sync(alg, key, input, signature);
    },
    stats: () => ({ ...stats }),
  };
}
