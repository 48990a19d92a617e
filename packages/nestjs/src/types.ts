import type { AuthInfo, NodeRequestLike } from '@scopeguard/http';

export type { AuthErrorCode, AuthFailure, AuthInfo, HttpAnswer } from '@scopeguard/http';

/**
 * The request a Nest HTTP handler receives, as far as scopeguard reads or writes it: Express's `Request`
 * (itself Node's `IncomingMessage`) on `@nestjs/platform-express`, or Fastify's `FastifyRequest` (with
 * Node's request as `raw`) on `@nestjs/platform-fastify`. Both satisfy it without a cast.
 */
export interface ScopeguardRequest extends Partial<NodeRequestLike> {
  /** Fastify only: Node's `IncomingMessage`, whose `rawHeaders` show a repeated `Authorization` header. */
  raw?: NodeRequestLike | undefined;
  /** A parsed body (read only when `allowBodyToken` is on). */
  body?: unknown;
  /**
   * Set by `ScopeguardGuard` once the bearer token is verified (as `req.user` is by `@nestjs/passport`);
   * `undefined` before, or when `optional` let a request without a token through. `@Auth()` is the
   * typed way to read it.
   */
  auth?: AuthInfo | undefined;
}
