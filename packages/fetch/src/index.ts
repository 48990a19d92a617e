/**
 * `@scopeguard/fetch`: scopeguard for any fetch-style server. A WHATWG `Request` in, the verified token
 * or a ready `Response` out (RFC 6750 answers from `@scopeguard/http`), scopes per call. Uses only
 * `Request`, `Response`, `Headers` and streams: no framework and nothing Node-specific of its own, so it
 * runs in Next.js route handlers, Hono, `Deno.serve`, `Bun.serve` and workers, wherever the core runs.
 *
 * @packageDocumentation
 */

export { MAX_FORM_BODY_BYTES } from './form-body.js';
export {
  createGuard,
  type EnvGuardOptions,
  type FetchGuard,
  type FetchGuardOptions,
  type Granted,
  type GuardResult,
} from './guard.js';
export { answerResponse, appendHeaders } from './response.js';
export type { ScopeCheck } from './scope-check.js';
export type { AuthErrorCode, AuthFailure, AuthInfo, ResponseHeaders } from '@scopeguard/http';
