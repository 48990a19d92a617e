import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { createMemoryReplayStore, ReplayStoreFullError } from './memory-replay-store.js';

function clock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('createMemoryReplayStore', () => {
  it('claims a key once; a repeat before it expires is a replay', async () => {
    const c = clock();
    const store = createMemoryReplayStore({ now: c.now });
    expect(await store.claim('a', c.now() + 1000)).toBe(true);
    expect(await store.claim('a', c.now() + 1000)).toBe(false);
    c.advance(999);
    expect(await store.claim('a', c.now() + 1000)).toBe(false);
    expect(await store.claim('b', c.now() + 1000)).toBe(true);
  });

  it('forgets a key once its expiry has passed, and claims it again', async () => {
    const c = clock();
    const store = createMemoryReplayStore({ now: c.now });
    await store.claim('a', c.now() + 1000);
    c.advance(1000);
    expect(await store.claim('a', c.now() + 1000)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('stores nothing for a key that has already expired', async () => {
    const c = clock();
    const store = createMemoryReplayStore({ now: c.now });
    expect(await store.claim('old', c.now() - 1)).toBe(true);
    expect(store.size).toBe(0);
  });

  it('when full of live keys, rejects new claims (fail closed) and still refuses every held key', async () => {
    const c = clock();
    const store = createMemoryReplayStore({ maxEntries: 3, now: c.now });
    for (const key of ['a', 'b', 'c']) expect(await store.claim(key, c.now() + 60_000)).toBe(true);
    await expect(store.claim('d', c.now() + 60_000)).rejects.toBeInstanceOf(ReplayStoreFullError);
    // Nothing live was forgotten to make room: the held keys are still replays.
    for (const key of ['a', 'b', 'c']) expect(await store.claim(key, c.now() + 60_000)).toBe(false);
    expect(store.size).toBe(3);
  });

  it('when full, makes room only by dropping expired keys', async () => {
    const c = clock();
    const store = createMemoryReplayStore({ maxEntries: 3, now: c.now });
    await store.claim('short', c.now() + 10);
    await store.claim('long-1', c.now() + 60_000);
    await store.claim('long-2', c.now() + 60_000);
    c.advance(10);
    expect(await store.claim('new', c.now() + 60_000)).toBe(true);
    expect(await store.claim('long-1', c.now() + 60_000)).toBe(false);
    await expect(store.claim('another', c.now() + 60_000)).rejects.toBeInstanceOf(ReplayStoreFullError);
  });

  it('rejects a claim without a string key or a numeric expiry instead of guessing', async () => {
    const store = createMemoryReplayStore();
    await expect(store.claim(undefined as unknown as string, 1)).rejects.toBeInstanceOf(TypeError);
    await expect(store.claim('k', Number.NaN)).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createMemoryReplayStore({ maxEntries: 0 })).toThrow(ConfigError);
    expect(() => createMemoryReplayStore({ maxEntries: 1.5 })).toThrow(ConfigError);
  });

  it('answers like a plain map of key → expiry for any sequence of claims and clock moves', async () => {
    const step = fc.oneof(
      fc.record({
        claim: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
        ttl: fc.integer({ min: -5, max: 50 }),
      }),
      fc.record({ advance: fc.integer({ min: 0, max: 30 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 1, max: 6 }),
        async (steps, max) => {
          const c = clock(0);
          const store = createMemoryReplayStore({ maxEntries: max, now: c.now });
          const model = new Map<string, number>();
          for (const s of steps) {
            if ('advance' in s) {
              c.advance(s.advance);
              continue;
            }
            const time = c.now();
            for (const [key, expiry] of model) if (expiry <= time) model.delete(key);
            const expiresAt = time + s.ttl;
            let expected: boolean | 'full';
            if (model.has(s.claim)) expected = false;
            else if (expiresAt <= time) expected = true;
            else if (model.size >= max) expected = 'full';
            else {
              model.set(s.claim, expiresAt);
              expected = true;
            }
            const actual = await store.claim(s.claim, expiresAt).catch((error: unknown) => {
              expect(error).toBeInstanceOf(ReplayStoreFullError);
              return 'full' as const;
            });
            expect(actual).toBe(expected);
            expect(store.size).toBe(model.size);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
