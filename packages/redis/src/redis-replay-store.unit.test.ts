import { ConfigError } from '@scopeguard/core';
import { describe, expect, it } from 'vitest';
import type { NodeRedisClient } from './client.js';
import { isRedisReplayStoreError, RedisReplayStoreError } from './errors.js';
import { createRedisReplayStore } from './redis-replay-store.js';

// The store's own rules, with a client that answers whatever the test says. The behaviour against a
// real Redis is pinned in redis-replay-store.test.ts and redis-outage.test.ts.

const inOneMinute = () => Date.now() + 60_000;

/** A node-redis-shaped client whose SET answers with `reply()`, recording what it was sent. */
function scripted(reply: () => Promise<unknown>, ready = true) {
  const sent: unknown[][] = [];
  const client: NodeRedisClient = {
    isReady: ready,
    set: (...args) => {
      sent.push(args);
      return reply();
    },
  };
  return { client, sent };
}

describe('createRedisReplayStore, whatever the client answers', () => {
  it('resolves true only for OK, false only for nil', async () => {
    expect(
      await createRedisReplayStore({ client: scripted(async () => 'OK').client }).claim('a', inOneMinute()),
    ).toBe(true);
    expect(
      await createRedisReplayStore({ client: scripted(async () => Buffer.from('OK')).client }).claim(
        'a',
        inOneMinute(),
      ),
    ).toBe(true);
    expect(
      await createRedisReplayStore({ client: scripted(async () => null).client }).claim('a', inOneMinute()),
    ).toBe(false);
  });

  it.each([['QUEUED'], ['ok'], [1], [true], [undefined], [{}]])(
    'rejects with reason "unexpected_reply" for %j, never true',
    async (reply) => {
      const store = createRedisReplayStore({ client: scripted(async () => reply).client });
      await expect(store.claim('a', inOneMinute())).rejects.toMatchObject({
        code: 'replay_store_unavailable',
        reason: 'unexpected_reply',
      });
    },
  );

  it('rejects with reason "timeout" when the client never answers', async () => {
    const store = createRedisReplayStore({
      client: scripted(() => new Promise(() => {})).client,
      timeoutMs: 30,
    });
    await expect(store.claim('a', inOneMinute())).rejects.toMatchObject({ reason: 'timeout' });
  });

  it('ignores an answer that arrives after the timeout (it cannot turn a refusal into an accept)', async () => {
    let answer: (value: unknown) => void = () => {};
    const store = createRedisReplayStore({
      client: scripted(() => new Promise((resolve) => (answer = resolve))).client,
      timeoutMs: 20,
    });
    const claim = store.claim('a', inOneMinute());
    await expect(claim).rejects.toMatchObject({ reason: 'timeout' });
    answer('OK');
    await expect(claim).rejects.toMatchObject({ reason: 'timeout' });
  });

  it('rejects with reason "command_failed" when the client throws or rejects, and keeps the cause', async () => {
    const cause = new Error("READONLY You can't write against a read only replica.");
    const rejecting = createRedisReplayStore({ client: scripted(() => Promise.reject(cause)).client });
    await expect(rejecting.claim('a', inOneMinute())).rejects.toMatchObject({
      reason: 'command_failed',
      cause,
    });
    const throwing = createRedisReplayStore({
      client: scripted(() => {
        throw cause;
      }).client,
    });
    await expect(throwing.claim('a', inOneMinute())).rejects.toMatchObject({
      reason: 'command_failed',
      cause,
    });
  });

  it('does not send anything when the client is not ready', async () => {
    const { client, sent } = scripted(async () => 'OK', false);
    await expect(createRedisReplayStore({ client }).claim('a', inOneMinute())).rejects.toMatchObject({
      reason: 'not_ready',
    });
    expect(sent).toEqual([]);
  });

  it('sends SET <prefix>k:<key> 1 with PX (the time left) and NX', async () => {
    const { client, sent } = scripted(async () => 'OK');
    await createRedisReplayStore({ client, prefix: 'app:' }).claim('jti-1', Date.now() + 30_000);
    expect(sent).toHaveLength(1);
    const [key, value, options] = sent[0] as [string, string, { expiration: { value: number } }];
    expect([key, value]).toEqual(['app:k:jti-1', '1']);
    expect(options).toMatchObject({ condition: 'NX', expiration: { type: 'PX' } });
    expect(options.expiration.value).toBeGreaterThan(29_000);
    expect(options.expiration.value).toBeLessThanOrEqual(30_000);
  });

  it('never puts the claimed key (an attacker-chosen jti) in an error message', async () => {
    const key = 'attacker-jti\r\nFAKE LOG LINE';
    for (const reply of [() => Promise.resolve('QUEUED'), () => Promise.reject(new Error('boom'))]) {
      const error = await createRedisReplayStore({ client: scripted(reply).client })
        .claim(key, inOneMinute())
        .catch((e: unknown) => e);
      expect(isRedisReplayStoreError(error)).toBe(true);
      expect((error as Error).message).not.toContain('attacker-jti');
    }
  });

  it('reports each failure to onError, and a throwing onError changes nothing', async () => {
    const seen: RedisReplayStoreError[] = [];
    const store = createRedisReplayStore({
      client: scripted(async () => 'QUEUED').client,
      onError: (error) => {
        seen.push(error);
        throw new Error('listener bug');
      },
    });
    const error = await store.claim('a', inOneMinute()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisReplayStoreError);
    expect(seen).toEqual([error]);
  });

  it('rejects an empty or non-string key with a TypeError', async () => {
    const store = createRedisReplayStore({ client: scripted(async () => 'OK').client });
    await expect(store.claim('', inOneMinute())).rejects.toBeInstanceOf(TypeError);
    await expect(store.claim(42 as unknown as string, inOneMinute())).rejects.toBeInstanceOf(TypeError);
  });
});

describe('createRedisReplayStore options', () => {
  const client = scripted(async () => 'OK').client;

  it.each([
    ['client', { client: undefined }],
    ['client', { client: {} }],
    ['client', { client: { set: () => Promise.resolve('OK') } }],
    ['prefix', { client, prefix: '' }],
    ['prefix', { client, prefix: 'x'.repeat(257) }],
    ['timeoutMs', { client, timeoutMs: 0 }],
    ['timeoutMs', { client, timeoutMs: Number.POSITIVE_INFINITY }],
    ['maxHoldMs', { client, maxHoldMs: -1 }],
    ['onError', { client, onError: 'log' }],
  ])('refuses a bad %s at construction with a ConfigError', (option, options) => {
    const build = () => createRedisReplayStore(options as never);
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(expect.objectContaining({ option }));
  });

  it('tells an ioredis client (status) from a node-redis one (isReady)', async () => {
    const sent: unknown[][] = [];
    const io = {
      status: 'ready',
      set: (...args: unknown[]) => {
        sent.push(args);
        return Promise.resolve('OK');
      },
    };
    expect(await createRedisReplayStore({ client: io as never }).claim('k', Date.now() + 5_000)).toBe(true);
    expect(sent[0]?.slice(0, 3)).toEqual(['scopeguard:replay:k:k', '1', 'PX']);
    expect(sent[0]?.[4]).toBe('NX');
    io.status = 'reconnecting';
    await expect(
      createRedisReplayStore({ client: io as never }).claim('k', Date.now() + 5_000),
    ).rejects.toMatchObject({ reason: 'not_ready' });
  });
});
