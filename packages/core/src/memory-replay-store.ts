import { ConfigError, describeValue } from './errors.js';
import type { ReplayStore } from './replay-store.js';

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Most keys held at once. Default 100,000 (about 20 MB at most). */
  maxEntries?: number;
  /** Clock, in milliseconds since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** The in-memory {@link ReplayStore}, with what it holds. */
export interface MemoryReplayStore extends ReplayStore {
  /** Keys held now (expired ones may linger until the next `claim`). */
  readonly size: number;
  /** The bound it was created with. */
  readonly maxEntries: number;
}

/** Thrown (as a rejection) by `claim` when the store is full of live keys. */
export class ReplayStoreFullError extends Error {
  constructor(maxEntries: number) {
    super(
      `the replay store holds ${maxEntries} unexpired keys, its limit: refusing rather than forgetting one`,
    );
    this.name = 'ReplayStoreFullError';
  }
}

/**
 * A bounded {@link ReplayStore} in this process's memory. It is per process: behind a load balancer, or
 * with several workers, a replayed proof that reaches another process is not seen here; use a shared
 * store such as `@scopeguard/redis` there.
 *
 * Its promises:
 * - `claim(key, expiresAt)` resolves `true` once per key until `expiresAt` has passed, `false` for every
 *   repeat before then.
 * - It never holds more than `maxEntries` keys, and it never forgets an unexpired key to make room: expired
 *   keys are dropped first (in expiry order, from a min-heap, O(log n) per claim), and when every key is
 *   still live `claim` **rejects** with {@link ReplayStoreFullError}. A DPoP check then fails closed (503),
 *   it never accepts a proof it could not record.
 * - A key whose `expiresAt` is already past is never stored (nothing to remember) and claims `true`.
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): MemoryReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new ConfigError('maxEntries', `must be a positive integer, found ${describeValue(maxEntries)}`);
  }
  const now = options.now ?? Date.now;
  const held = new Map<string, number>();
  // A binary min-heap on expiry, as two parallel arrays; every key in `held` is in it exactly once.
  const heapKeys: string[] = [];
  const heapTimes: number[] = [];

  const swap = (a: number, b: number) => {
    const key = heapKeys[a]!;
    const time = heapTimes[a]!;
    heapKeys[a] = heapKeys[b]!;
    heapTimes[a] = heapTimes[b]!;
    heapKeys[b] = key;
    heapTimes[b] = time;
  };
  const push = (key: string, time: number) => {
    let at = heapKeys.push(key) - 1;
    heapTimes.push(time);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heapTimes[parent]! <= time) break;
      swap(at, parent);
      at = parent;
    }
  };
  const popMin = () => {
    const last = heapKeys.length - 1;
    swap(0, last);
    heapKeys.pop();
    heapTimes.pop();
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < last && heapTimes[left]! < heapTimes[smallest]!) smallest = left;
      if (right < last && heapTimes[right]! < heapTimes[smallest]!) smallest = right;
      if (smallest === at) return;
      swap(at, smallest);
      at = smallest;
    }
  };
  const dropExpired = (time: number) => {
    while (heapKeys.length > 0 && heapTimes[0]! <= time) {
      held.delete(heapKeys[0]!);
      popMin();
    }
  };

  return {
    maxEntries,
    get size() {
      return held.size;
    },
    claim(key: string, expiresAt: number): Promise<boolean> {
      if (typeof key !== 'string' || typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
        return Promise.reject(new TypeError('claim(key, expiresAt) needs a string and a number'));
      }
      const time = now();
      dropExpired(time);
      if (held.has(key)) return Promise.resolve(false);
      if (expiresAt <= time) return Promise.resolve(true);
      if (held.size >= maxEntries) return Promise.reject(new ReplayStoreFullError(maxEntries));
      held.set(key, expiresAt);
      push(key, expiresAt);
      return Promise.resolve(true);
    },
  };
}
