import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSignatureScheduler } from './signature-scheduler.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0');
const good = sign('sha256', input, privateKey);
const bad = Buffer.from(good);
bad[10] = (bad[10] ?? 0) ^ 1;

/** A clock the test moves by hand: `step` ms between two verification starts. */
function clock(step: number) {
  let t = 0;
  return () => {
    t += step;
    return t;
  };
}

describe('createSignatureScheduler', () => {
  it('gives the same answers on both paths', async () => {
    for (const mode of ['never', 'always'] as const) {
      const scheduler = createSignatureScheduler(mode);
      expect(await scheduler.verify('RS256', publicKey, input, good)).toBe(true);
      expect(await scheduler.verify('RS256', publicKey, input, bad)).toBe(false);
    }
  });

  it("'never' stays on the main thread and 'always' uses the threadpool", async () => {
    const never = createSignatureScheduler('never');
    const always = createSignatureScheduler('always');
    await Promise.all([1, 2, 3].map(() => never.verify('RS256', publicKey, input, good)));
    await Promise.all([1, 2, 3].map(() => always.verify('RS256', publicKey, input, good)));
    expect(never.stats()).toEqual({ sync: 3, threadpool: 0 });
    expect(always.stats()).toEqual({ sync: 0, threadpool: 3 });
  });

  it('keeps a lone verification on the synchronous path (an idle server answers with the lowest latency)', () => {
    const scheduler = createSignatureScheduler('auto', 2, clock(1_000));
    for (let i = 0; i < 5; i++) expect(scheduler.verify('RS256', publicKey, input, good)).toBe(true);
    expect(scheduler.stats()).toEqual({ sync: 5, threadpool: 0 });
  });

  it('serves a sequential caller synchronously after one probe that nothing overlapped', async () => {
    const scheduler = createSignatureScheduler('auto', 2, clock(0.01));
    for (let i = 0; i < 100; i++) expect(await scheduler.verify('RS256', publicKey, input, good)).toBe(true);
    expect(scheduler.stats().threadpool).toBe(1);
    expect(scheduler.stats().sync).toBe(99);
  });

  it('uses the threadpool up to its cap when verifications overlap, and the main thread for the rest', async () => {
    const scheduler = createSignatureScheduler('auto', 2, clock(0.01));
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => scheduler.verify('RS256', publicKey, input, i % 2 ? good : bad)),
    );
    expect(results).toEqual(Array.from({ length: 64 }, (_, i) => i % 2 === 1));
    const { sync, threadpool } = scheduler.stats();
    expect(threadpool).toBe(2);
    expect(sync).toBe(62);
  });
});
