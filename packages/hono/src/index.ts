/**
 * `@scopeguard/hono`: Hono 4 middleware over `@scopeguard/core`, a thin adapter over the
 * framework-neutral `@scopeguard/http` layer. Bearer token in (RFC 6750 §2), `c.get('auth')` or an
 * RFC 6750 §3 answer out as a `Response`, scopes per route. Uses only what Hono and the fetch API offer,
 * so it runs wherever Hono and the core do (Node, Bun, Deno, Cloudflare Workers with `nodejs_compat`).
 *
 * @packageDocumentation
 */

export { type RequireScopeOptions, requireAnyScope, requireScope } from './require-scope.js';
export { protectedResourceMetadata, type RoutesSource } from './resource-metadata.js';
export { scopeguard } from './scopeguard.js';
export type {
  AdapterOptions,
  AuthErrorCode,
  AuthFailure,
  AuthInfo,
  EnvOptions,
  ErrorBodyFormatter,
  OptionalScopeguardEnv,
  ScopeguardEnv,
  ScopeguardOptions,
} from './types.js';
