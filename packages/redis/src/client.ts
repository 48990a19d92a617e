import { ConfigError } from '@scopeguard/core';

/**
 * What the store uses of a node-redis client (`redis` v5 or v6: `createClient`, `createCluster`,
 * `createSentinel`). Any object of this shape works.
 */
export interface NodeRedisClient {
  /** node-redis: connected and ready for commands. */
  readonly isReady: boolean;
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'PX'; value: number }; condition: 'NX' },
  ): Promise<unknown>;
}

/** What the store uses of an ioredis client (`new Redis(...)` or `new Cluster(...)`, v5 or v6). */
export interface IoRedisClient {
  /** ioredis: `'ready'` when connected and ready for commands. */
  readonly status: string;
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number, nx: 'NX'): Promise<unknown>;
}

/** A connected Redis client the store sends its commands through: node-redis or ioredis. */
export type RedisClient = NodeRedisClient | IoRedisClient;

/** The two things the store does with a client, whichever library it comes from. */
export interface ClientDriver {
  /** Whether a command sent now can be answered (false: refuse at once rather than queue and wait). */
  ready(): boolean;
  /** `SET key 1 PX ms NX`: resolves `'OK'` when the key was set, `null` when it already existed. */
  setIfAbsent(key: string, holdMs: number): Promise<unknown>;
}

/** Wraps a node-redis or ioredis client; throws `ConfigError` for anything else. */
export function clientDriver(client: unknown): ClientDriver {
  if (typeof client !== 'object' || client === null || typeof (client as RedisClient).set !== 'function') {
    throw new ConfigError('client', 'expected a connected node-redis (v5, v6) or ioredis client');
  }
  if (typeof (client as IoRedisClient).status === 'string') {
    const io = client as IoRedisClient;
    return {
      ready: () => io.status === 'ready',
      setIfAbsent: (key, holdMs) => io.set(key, '1', 'PX', holdMs, 'NX'),
    };
  }
  if (typeof (client as NodeRedisClient).isReady === 'boolean') {
    const node = client as NodeRedisClient;
    return {
      ready: () => node.isReady,
      setIfAbsent: (key, holdMs) =>
        node.set(key, '1', { expiration: { type: 'PX', value: holdMs }, condition: 'NX' }),
    };
  }
  throw new ConfigError(
    'client',
    'expected a node-redis (v5, v6) client (with `isReady`) or an ioredis client (with `status`)',
  );
}
