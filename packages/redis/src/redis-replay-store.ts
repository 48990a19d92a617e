import { debuglog } from 'node:util';
import { ConfigError, type ReplayStore } from '@scopeguard/core';
import { clientDriver, type RedisClient } from './client.js';
import { RedisReplayStoreError } from './errors.js';
import { holdMilliseconds } from './hold-time.js';
import { replayKey } from './replay-key.js';

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /**
   * A connected node-redis (`redis` v5, v6) or ioredis client, shared with the rest of your app if you
   * like. You own it: connect it before the first request, give it an `error` listener, close it on
   * shutdown. The store never connects, reconnects or closes it.
   */
  client: RedisClient;
  /** Namespace of every key the store writes. Default `scopeguard:replay:`. */
  prefix?: string;
  /**
   * Milliseconds a claim waits for Redis before it rejects with reason `timeout`. Default 500. A hung
   * Redis then costs a request at most this long, and it is refused, never accepted.
   */
  timeoutMs?: number;
  /**
   * The furthest `expiresAt` may lie from now, either way, in milliseconds; beyond it `claim` rejects with
   * a `RangeError` (a unit mistake in the caller). Default 24 hours.
   */
  maxHoldMs?: number;
  /**
   * Called with every {@link RedisReplayStoreError} just before `claim` rejects with it, for logs and
   * metrics. Must not throw (exceptions are swallowed).
   */
  onError?: (error: RedisReplayStoreError) => void;
}

/** Defaults of {@link RedisReplayStoreOptions}. */
export const REDIS_REPLAY_STORE_DEFAULTS = Object.freeze({
  prefix: 'scopeguard:replay:',
  timeoutMs: 500,
  maxHoldMs: 24 * 60 * 60 * 1000,
});

const debug = debuglog('scopeguard');

/**
 * A {@link ReplayStore} in Redis, so that every API instance behind a load balancer shares one view of
 * what has been claimed: `claim(key, expiresAt)` is one `SET <prefix><key> 1 PX <ms> NX`, atomic in Redis.
 *
 * What stays true:
 * - `claim` resolves `true` only when Redis answered `OK` to that `SET … NX`, i.e. the key is recorded
 *   and any later claim of it, through any instance, resolves `false` until it expires.
 * - When Redis cannot confirm (client not ready, no answer within `timeoutMs`, an error reply, an
 *   unexpected reply), `claim` rejects with a {@link RedisReplayStoreError}: fail closed. There is no
 *   fail-open mode: answering `true` for a claim that was not recorded is exactly the replay this store
 *   exists to stop, and whoever can slow Redis down would choose when it happens.
 * - A claim that timed out may still reach Redis later and be recorded. That only ever refuses more
 *   (a retried request must carry a fresh proof, as RFC 9449 proofs are single-use anyway).
 * - Keys are namespaced by `prefix` and bounded in length (see `replayKey`); the hold time follows
 *   `holdMilliseconds` (never shorter than 1 s, `RangeError` for absurd values).
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'expected { client, prefix?, timeoutMs?, maxHoldMs?, onError? }');
  }
  const driver = clientDriver(options.client);
  const prefix = options.prefix ?? REDIS_REPLAY_STORE_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 256) {
    throw new ConfigError('prefix', 'must be a non-empty string of at most 256 characters');
  }
  const timeoutMs = positiveMilliseconds(
    'timeoutMs',
    options.timeoutMs,
    REDIS_REPLAY_STORE_DEFAULTS.timeoutMs,
  );
  const maxHoldMs = positiveMilliseconds(
    'maxHoldMs',
    options.maxHoldMs,
    REDIS_REPLAY_STORE_DEFAULTS.maxHoldMs,
  );
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new ConfigError('onError', 'must be a function');
  }

  const fail = (error: RedisReplayStoreError): RedisReplayStoreError => {
    if (onError) {
      try {
        onError(error);
      } catch {
        // A listener's bug must not change the outcome: the claim still rejects.
      }
    }
    if (debug.enabled) debug('redis replay store: %s: %s', error.reason, error.message);
    return error;
  };

  function claim(key: string, expiresAt: number): Promise<boolean> {
    if (typeof key !== 'string' || key.length === 0) {
      return Promise.reject(new TypeError('claim: key must be a non-empty string'));
    }
    let holdMs: number;
    try {
      holdMs = holdMilliseconds(expiresAt, Date.now(), maxHoldMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!driver.ready()) {
      return Promise.reject(
        fail(
          new RedisReplayStoreError(
            'not_ready',
            'the Redis client is not ready (not connected yet, reconnecting, or closed): claim refused',
          ),
        ),
      );
    }
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          fail(
            new RedisReplayStoreError(
              'timeout',
              `Redis did not answer SET NX within ${timeoutMs} ms: claim not confirmed, refused`,
            ),
          ),
        );
      }, timeoutMs);
      const refuse = (error: RedisReplayStoreError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(fail(error));
      };
      let reply: Promise<unknown>;
      try {
        reply = driver.setIfAbsent(replayKey(prefix, key), holdMs);
      } catch (error) {
        refuse(commandFailed(error));
        return;
      }
      // Attached even after a timeout, so a late failure is never an unhandled rejection.
      reply.then(
        (value) => {
          if (settled) return;
          if (value === null) {
            settled = true;
            clearTimeout(timer);
            resolve(false);
          } else if (isOk(value)) {
            settled = true;
            clearTimeout(timer);
            resolve(true);
          } else {
            refuse(
              new RedisReplayStoreError(
                'unexpected_reply',
                `Redis answered SET NX with ${describeReply(value)}, expected OK or nil: claim not confirmed, refused`,
              ),
            );
          }
        },
        (error: unknown) => refuse(commandFailed(error)),
      );
    });
  }

  return { claim };
}

function positiveMilliseconds(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(option, `must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function isOk(value: unknown): boolean {
  return value === 'OK' || (value instanceof Uint8Array && Buffer.from(value).toString('latin1') === 'OK');
}

function describeReply(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}

function commandFailed(error: unknown): RedisReplayStoreError {
  const detail = error instanceof Error ? error.message : String(error);
  return new RedisReplayStoreError(
    'command_failed',
    `SET NX failed (${detail.slice(0, 200)}): claim not confirmed, refused`,
    { cause: error },
  );
}
