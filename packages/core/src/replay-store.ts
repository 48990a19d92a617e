/**
 * Where sender-constrained checks remember what they have already accepted (a DPoP proof's `jti`, per
 * target URI), so that a captured proof cannot be replayed (RFC 9449 §11.1). One interface, several
 * stores: a bounded in-memory store (one process) and `@scopeguard/redis` (many instances behind a load
 * balancer share one view).
 */
export interface ReplayStore {
  /**
   * Claims `key` until `expiresAt` (milliseconds since the epoch). Resolves `true` the first time a key is
   * claimed (the caller may accept), `false` when it is already held (a replay: refuse). Rejects when the
   * store cannot answer (unreachable, timed out): the caller must then fail closed, never accept.
   */
  claim(key: string, expiresAt: number): Promise<boolean>;
}
