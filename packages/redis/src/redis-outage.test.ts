import { setTimeout as sleep } from 'node:timers/promises';
import { Redis as IoRedis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AdminClient,
  adminClient,
  CLIENT_KINDS,
  connectClient,
  type TestClient,
} from '../../../test/support/redis-clients.js';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server.js';
import { RedisReplayStoreError } from './errors.js';
import { createRedisReplayStore } from './redis-replay-store.js';

// Redis down, dying, hung or refusing writes: every claim must reject with a RedisReplayStoreError
// (the HTTP layer answers 503), none may resolve true, and a hung Redis must not hold a claim longer
// than timeoutMs. Each client library gets its own redis-server, since these tests kill it.

let unique = 0;
const freshKey = (label: string) => `${label}-${process.pid}-${++unique}`;
const inOneMinute = () => Date.now() + 60_000;

/** What a claim came to: an answer, or the error it rejected with. */
async function outcome(claim: Promise<boolean>): Promise<boolean | RedisReplayStoreError> {
  try {
    return await claim;
  } catch (error) {
    if (error instanceof RedisReplayStoreError) return error;
    throw error;
  }
}

describe.each(CLIENT_KINDS)('Redis unavailable, through %s', (kind) => {
  let server: RedisServer;
  let admin: AdminClient;
  let api: TestClient;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = await adminClient(server);
    api = await connectClient(kind, server);
  });

  afterAll(async () => {
    await api?.close();
    await admin?.close();
    await server?.stop();
  });

  it('refuses every claim while Redis is down, without waiting, and accepts again once the client reconnects', async () => {
    const errors: RedisReplayStoreError[] = [];
    const store = createRedisReplayStore({
      client: api.client,
      timeoutMs: 1_000,
      onError: (e) => errors.push(e),
    });
    const before = freshKey('before');
    expect(await store.claim(before, inOneMinute())).toBe(true);

    await server.kill();
    // Right after the crash the client may not know yet: whatever it answers, it is not `true`.
    const duringCrash = await outcome(store.claim(freshKey('crash'), inOneMinute()));
    expect(duringCrash).toBeInstanceOf(RedisReplayStoreError);
    await vi.waitFor(() => expect(api.ready()).toBe(false), { timeout: 10_000, interval: 10 });
    const whileDown = await outcome(store.claim(freshKey('down'), inOneMinute()));
    expect(whileDown).toBeInstanceOf(RedisReplayStoreError);
    expect((whileDown as RedisReplayStoreError).reason).toBe('not_ready');
    expect((whileDown as RedisReplayStoreError).code).toBe('replay_store_unavailable');
    expect(errors).toContain(whileDown);

    await server.restart();
    await vi.waitFor(() => expect(api.ready()).toBe(true), { timeout: 10_000, interval: 20 });
    const after = freshKey('after');
    expect(await store.claim(after, inOneMinute())).toBe(true);
    expect(await store.claim(after, inOneMinute())).toBe(false);
    // Documented limitation: a Redis restarted without persistence has forgotten what it held.
    expect(await store.claim(before, inOneMinute())).toBe(true);
  });

  it('rejects a claim that is in flight when Redis dies', async () => {
    await vi.waitFor(() => expect(api.ready()).toBe(true), { timeout: 10_000, interval: 20 });
    const store = createRedisReplayStore({ client: api.client, timeoutMs: 5_000 });
    // Writes are paused, so the SET is surely unanswered when the server dies.
    await admin.command('CLIENT', 'PAUSE', '20000', 'WRITE');
    const pending = outcome(store.claim(freshKey('in-flight'), inOneMinute()));
    await sleep(50);
    await server.kill();
    expect(await pending).toBeInstanceOf(RedisReplayStoreError);
    await server.restart();
    await vi.waitFor(() => expect(api.ready()).toBe(true), { timeout: 10_000, interval: 20 });
  });

  it('rejects with reason "timeout" after timeoutMs when Redis hangs, and the late write still refuses the replay', async () => {
    await vi.waitFor(() => expect(api.ready()).toBe(true), { timeout: 10_000, interval: 20 });
    const timeoutMs = 300;
    const store = createRedisReplayStore({ client: api.client, timeoutMs });
    const key = freshKey('hung');
    await admin.command('CLIENT', 'PAUSE', '20000', 'WRITE');
    try {
      const started = performance.now();
      const first = await outcome(store.claim(key, inOneMinute()));
      const waited = performance.now() - started;
      expect(first).toBeInstanceOf(RedisReplayStoreError);
      expect((first as RedisReplayStoreError).reason).toBe('timeout');
      expect(waited).toBeGreaterThanOrEqual(timeoutMs - 5);
      // Still paused: the next claim is not stuck behind the first either.
      const second = await outcome(store.claim(freshKey('hung'), inOneMinute()));
      expect((second as RedisReplayStoreError).reason).toBe('timeout');
    } finally {
      await admin.command('CLIENT', 'UNPAUSE');
    }
    // The first SET reached Redis after all: the key is held, so a retry of that proof is refused.
    await vi.waitFor(
      async () => expect(Number(await admin.command('EXISTS', `scopeguard:replay:k:${key}`))).toBe(1),
      { timeout: 5_000, interval: 20 },
    );
    expect(await store.claim(key, inOneMinute())).toBe(false);
  });

  it('rejects with reason "command_failed" when Redis refuses the write (maxmemory reached)', async () => {
    const store = createRedisReplayStore({ client: api.client, timeoutMs: 5_000 });
    await admin.command('CONFIG', 'SET', 'maxmemory', '1');
    try {
      const refused = await outcome(store.claim(freshKey('oom'), inOneMinute()));
      expect(refused).toBeInstanceOf(RedisReplayStoreError);
      expect((refused as RedisReplayStoreError).reason).toBe('command_failed');
      expect((refused as RedisReplayStoreError).message).toMatch(/OOM/);
    } finally {
      await admin.command('CONFIG', 'SET', 'maxmemory', '0');
    }
    expect(await store.claim(freshKey('oom'), inOneMinute())).toBe(true);
  });
});

describe('a client that was never connected', () => {
  it('is refused with reason "not_ready" (node-redis)', async () => {
    const client = createClient({ socket: { path: '/nonexistent/redis.sock', tls: false } });
    const store = createRedisReplayStore({ client });
    await expect(store.claim('jti', inOneMinute())).rejects.toMatchObject({
      code: 'replay_store_unavailable',
      reason: 'not_ready',
    });
  });

  it('is refused with reason "not_ready" (ioredis, lazyConnect)', async () => {
    const client = new IoRedis({ path: '/nonexistent/redis.sock', lazyConnect: true });
    const store = createRedisReplayStore({ client });
    await expect(store.claim('jti', inOneMinute())).rejects.toMatchObject({
      code: 'replay_store_unavailable',
      reason: 'not_ready',
    });
    client.disconnect();
  });
});
