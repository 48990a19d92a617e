/**
 * `@scopeguard/redis`: a replay store in Redis for `@scopeguard/core`'s `ReplayStore` interface, so
 * that several API instances behind a load balancer accept a DPoP proof once between them (RFC 9449
 * §11.1). Bring a connected node-redis or ioredis client; Redis down means refused, never accepted.
 *
 * @packageDocumentation
 */

export type { IoRedisClient, NodeRedisClient, RedisClient } from './client.js';
export {
  isRedisReplayStoreError,
  RedisReplayStoreError,
  type RedisReplayStoreFailure,
} from './errors.js';
export { MIN_HOLD_MS } from './hold-time.js';
export { MAX_RAW_KEY_LENGTH } from './replay-key.js';
export {
  createRedisReplayStore,
  REDIS_REPLAY_STORE_DEFAULTS,
  type RedisReplayStoreOptions,
} from './redis-replay-store.js';
