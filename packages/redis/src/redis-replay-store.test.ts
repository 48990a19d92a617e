import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adminClient,
  CLIENT_KINDS,
  connectClient,
  type AdminClient,
  type TestClient,
} from '../../../test/support/redis-clients.js';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server.js';
import { MIN_HOLD_MS } from './hold-time.js';
import { createRedisReplayStore, REDIS_REPLAY_STORE_DEFAULTS } from './redis-replay-store.js';

// Every test here talks to a real redis-server that this file starts on a private unix socket (and TCP
// on 127.0.0.1 for the two-instance test), once per client library.

let server: RedisServer;
let admin: AdminClient;
let unique = 0;
/** A key no other test uses. */
const freshKey = (label: string) => `${label}-${process.pid}-${++unique}`;
const inOneMinute = () => Date.now() + 60_000;
const { prefix } = REDIS_REPLAY_STORE_DEFAULTS;

beforeAll(async () => {
  server = await startRedisServer({ tcp: true });
  admin = await adminClient(server);
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

describe.each(CLIENT_KINDS)('createRedisReplayStore through %s', (kind) => {
  let a: TestClient;
  let b: TestClient;

  beforeAll(async () => {
    a = await connectClient(kind, server);
    // The second API instance: its own connection, over TCP this time.
    b = await connectClient(kind, server, { tcp: true });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('accepts a key the first time and refuses it every time after (a replayed proof)', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const key = freshKey('jti');
    expect(await store.claim(key, inOneMinute())).toBe(true);
    expect(await store.claim(key, inOneMinute())).toBe(false);
    expect(await store.claim(key, inOneMinute())).toBe(false);
  });

  it('shares one view between two instances: a proof used on instance A is refused on instance B', async () => {
    const instanceA = createRedisReplayStore({ client: a.client });
    const instanceB = createRedisReplayStore({ client: b.client });
    const first = freshKey('jti');
    expect(await instanceA.claim(first, inOneMinute())).toBe(true);
    expect(await instanceB.claim(first, inOneMinute())).toBe(false);
    const second = freshKey('jti');
    expect(await instanceB.claim(second, inOneMinute())).toBe(true);
    expect(await instanceA.claim(second, inOneMinute())).toBe(false);
  });

  it('lets exactly one of 100 parallel claims of one key win, across two instances', async () => {
    const stores = [
      createRedisReplayStore({ client: a.client }),
      createRedisReplayStore({ client: b.client }),
    ];
    const key = freshKey('race');
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => stores[i % 2]!.claim(key, inOneMinute())),
    );
    expect(answers.filter((answer) => answer === true)).toHaveLength(1);
    expect(answers.filter((answer) => answer === false)).toHaveLength(99);
  });

  it('holds a claim until expiresAt, as Redis itself reports, and accepts the key again after', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const key = freshKey('expiry');
    const holdMs = MIN_HOLD_MS + 200;
    expect(await store.claim(key, Date.now() + holdMs)).toBe(true);
    const ttl = Number(await admin.command('PTTL', `${prefix}k:${key}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(holdMs);
    // Redis's own clock decides when the key goes: poll it rather than sleeping a guessed time.
    await vi.waitFor(async () => expect(Number(await admin.command('PTTL', `${prefix}k:${key}`))).toBe(-2), {
      timeout: 10_000,
      interval: 50,
    });
    expect(await store.claim(key, inOneMinute())).toBe(true);
    expect(await store.claim(key, inOneMinute())).toBe(false);
  });

  it("holds a claim for its full time even when Redis's clock runs ahead of the API's (PX, not PXAT)", async () => {
    const store = createRedisReplayStore({ client: a.client });
    const key = freshKey('skew');
    // This API instance's clock is two minutes behind Redis's: an absolute PXAT of "its now + 1 min" would
    // lie in Redis's past, Redis would drop the key at once, and the replay below would be accepted.
    const behind = Date.now() - 120_000;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(behind);
    try {
      expect(await store.claim(key, behind + 60_000)).toBe(true);
      expect(await store.claim(key, behind + 60_000)).toBe(false);
    } finally {
      clock.mockRestore();
    }
    expect(Number(await admin.command('PTTL', `${prefix}k:${key}`))).toBeGreaterThan(50_000);
  });

  it('records a claim whose expiresAt has just passed for MIN_HOLD_MS, so true still means recorded', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const key = freshKey('late');
    expect(await store.claim(key, Date.now() - 5_000)).toBe(true);
    const ttl = Number(await admin.command('PTTL', `${prefix}k:${key}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MIN_HOLD_MS);
    expect(await store.claim(key, Date.now() - 5_000)).toBe(false);
  });

  it('rejects an expiresAt in seconds, in microseconds, or not a number, and writes nothing', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const key = freshKey('units');
    const seconds = Math.floor(Date.now() / 1000) + 60;
    await expect(store.claim(key, seconds)).rejects.toThrow(/seconds instead of milliseconds/);
    await expect(store.claim(key, inOneMinute() * 1000)).rejects.toThrow(/microseconds instead/);
    await expect(store.claim(key, Number.NaN)).rejects.toBeInstanceOf(RangeError);
    await expect(store.claim(key, '1' as unknown as number)).rejects.toBeInstanceOf(RangeError);
    expect(Number(await admin.command('EXISTS', `${prefix}k:${key}`))).toBe(0);
    expect(await store.claim(key, inOneMinute())).toBe(true);
  });

  it('writes only under its prefix, and stores with different prefixes do not see each other', async () => {
    const tenantA = createRedisReplayStore({ client: a.client, prefix: `test:${kind}:a:` });
    const tenantB = createRedisReplayStore({ client: b.client, prefix: `test:${kind}:b:` });
    const key = freshKey('ns');
    expect(await tenantA.claim(key, inOneMinute())).toBe(true);
    expect(await tenantB.claim(key, inOneMinute())).toBe(true);
    expect(await tenantA.claim(key, inOneMinute())).toBe(false);
    expect(await admin.command('GET', `test:${kind}:a:k:${key}`)).toBe('1');
    expect(await admin.command('GET', `test:${kind}:b:k:${key}`)).toBe('1');
    expect(Number(await admin.command('EXISTS', key))).toBe(0);
  });

  it('stores a long key as its SHA-256, bounded in length, and still refuses its replay', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const long = `${freshKey('long')}:${'x'.repeat(100_000)}`;
    expect(await store.claim(long, inOneMinute())).toBe(true);
    expect(await store.claim(long, inOneMinute())).toBe(false);
    const hashed = `${prefix}h:${createHash('sha256').update(long).digest('base64url')}`;
    expect(await admin.command('GET', hashed)).toBe('1');
    // A different long key with the same beginning is a different claim.
    expect(await store.claim(`${long}y`, inOneMinute())).toBe(true);
  });

  it('hashes a key holding "{" so an attacker\'s jti cannot choose the Redis Cluster hash slot', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const key = `${freshKey('tag')}{slot-7}`;
    expect(await store.claim(key, inOneMinute())).toBe(true);
    const hashed = `${prefix}h:${createHash('sha256').update(key).digest('base64url')}`;
    expect(await admin.command('GET', hashed)).toBe('1');
    expect(await store.claim(key, inOneMinute())).toBe(false);
  });

  it('keeps a short key that reads like a hashed one apart from the long key it imitates', async () => {
    const store = createRedisReplayStore({ client: a.client });
    const long = `${freshKey('victim')}${'z'.repeat(300)}`;
    const digest = createHash('sha256').update(long).digest('base64url');
    // The attacker claims the text of the long key's stored form first; the victim's claim still wins.
    expect(await store.claim(`h:${digest}`, inOneMinute())).toBe(true);
    expect(await store.claim(long, inOneMinute())).toBe(true);
  });
});
