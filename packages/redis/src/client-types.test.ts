import type { Cluster as IoRedisCluster, Redis as IoRedis } from 'ioredis';
import type { RedisClientType, RedisClusterType, RedisSentinelType } from 'redis';
import type { RedisClientType as RedisClientType5 } from 'redis5';
import { describe, expectTypeOf, it } from 'vitest';
import type { RedisClient } from './client.js';

// Checked by `tsc` (pnpm typecheck): the `client` option takes every client shape we document. The
// standalone clients are also exercised against a real Redis in redis-replay-store.test.ts.
describe('the client option (types)', () => {
  it('takes node-redis 6 clients, clusters and sentinels, and node-redis 5 clients', () => {
    expectTypeOf<RedisClientType>().toExtend<RedisClient>();
    expectTypeOf<RedisClusterType>().toExtend<RedisClient>();
    expectTypeOf<RedisSentinelType>().toExtend<RedisClient>();
    expectTypeOf<RedisClientType5>().toExtend<RedisClient>();
  });

  it('takes ioredis clients and clusters', () => {
    expectTypeOf<IoRedis>().toExtend<RedisClient>();
    expectTypeOf<IoRedisCluster>().toExtend<RedisClient>();
  });

  it('does not take an object without a SET and a readiness flag', () => {
    expectTypeOf<{ set: () => Promise<unknown> }>().not.toExtend<RedisClient>();
  });
});
