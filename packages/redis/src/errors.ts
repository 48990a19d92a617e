/** Why a claim could not be confirmed by Redis. */
export type RedisReplayStoreFailure =
  /** The client is not connected (never connected, reconnecting, or closed): refused without waiting. */
  | 'not_ready'
  /** Redis did not answer within `timeoutMs` (hung, overloaded, network partition). */
  | 'timeout'
  /** Redis or the client refused the command (`OOM`, `READONLY`, `NOAUTH`, a closed socket, …). */
  | 'command_failed'
  /** Redis answered something other than `OK` or nil: the claim is not known to be recorded. */
  | 'unexpected_reply';

/**
 * The Redis replay store could not confirm a claim, so `claim` rejected instead of answering. The caller
 * must fail closed: refuse the request as temporarily unavailable (HTTP 503 with `Retry-After`), never
 * accept the proof. Branch on `code` (always `replay_store_unavailable`) and `reason`, never on the message.
 * The message never contains the claimed key (it is built from attacker-chosen values such as a `jti`).
 */
export class RedisReplayStoreError extends Error {
  /** Always `replay_store_unavailable`. */
  readonly code = 'replay_store_unavailable' as const;
  /** What went wrong; see {@link RedisReplayStoreFailure}. */
  readonly reason: RedisReplayStoreFailure;

  constructor(reason: RedisReplayStoreFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisReplayStoreError';
    this.reason = reason;
  }
}

/** True for a {@link RedisReplayStoreError}, also across duplicated copies of this package. */
export function isRedisReplayStoreError(error: unknown): error is RedisReplayStoreError {
  return (
    error instanceof RedisReplayStoreError ||
    (error instanceof Error &&
      error.name === 'RedisReplayStoreError' &&
      (error as { code?: unknown }).code === 'replay_store_unavailable')
  );
}
