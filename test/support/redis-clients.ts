import type { RedisClient } from '@scopeguard/redis';
import { Redis as IoRedis6 } from 'ioredis';
import { Redis as IoRedis5 } from 'ioredis5';
import { createClient as createNodeRedis6 } from 'redis';
import { createClient as createNodeRedis5 } from 'redis5';
import type { RedisServer } from './redis-server.js';

/** The client libraries and major versions `@scopeguard/redis` supports, each tested against a real Redis. */
export const CLIENT_KINDS = ['redis@6', 'redis@5', 'ioredis@6', 'ioredis@5'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A connected client of one kind, as an API instance would hold it. */
export interface TestClient {
  readonly kind: ClientKind;
  readonly client: RedisClient;
  /** Whether the library reports itself connected and ready. */
  ready(): boolean;
  close(): Promise<void>;
}

/** Reconnects quickly, so that a test waiting for a restarted Redis does not wait long. */
const retryDelay = (attempt: number) => Math.min(attempt * 20, 200);
const ignore = () => {};

/** Connects a client of `kind` to `server` over its unix socket, or TCP when `tcp` is set. */
export async function connectClient(
  kind: ClientKind,
  server: RedisServer,
  { tcp = false }: { tcp?: boolean } = {},
): Promise<TestClient> {
  if (tcp && server.port === undefined) throw new Error('this redis-server was started without tcp');
  if (kind === 'redis@6' || kind === 'redis@5') {
    const socket = tcp
      ? { host: '127.0.0.1', port: server.port as number, reconnectStrategy: retryDelay }
      : { path: server.socketPath, reconnectStrategy: retryDelay };
    const client = kind === 'redis@6' ? createNodeRedis6({ socket }) : createNodeRedis5({ socket });
    // node-redis emits `error` on every lost connection; without a listener Node would crash.
    client.on('error', ignore);
    await client.connect();
    return {
      kind,
      client,
      ready: () => client.isReady,
      close: async () => {
        if (client.isOpen) client.destroy();
      },
    };
  }
  const where = tcp ? { host: '127.0.0.1', port: server.port as number } : { path: server.socketPath };
  const options = { ...where, lazyConnect: true, retryStrategy: retryDelay, maxRetriesPerRequest: 1 };
  const client = kind === 'ioredis@6' ? new IoRedis6(options) : new IoRedis5(options);
  client.on('error', ignore);
  await client.connect();
  return {
    kind,
    client,
    ready: () => client.status === 'ready',
    close: async () => {
      client.disconnect();
    },
  };
}

/** Raw commands to the server, outside any store. */
export interface AdminClient {
  command(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A node-redis client for looking at and steering the server (PTTL, KEYS, CLIENT PAUSE, CONFIG SET). */
export async function adminClient(server: RedisServer): Promise<AdminClient> {
  const client = createNodeRedis6({ socket: { path: server.socketPath, reconnectStrategy: retryDelay } });
  client.on('error', ignore);
  await client.connect();
  return {
    command: (...args: string[]) => client.sendCommand<unknown>(args),
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}
