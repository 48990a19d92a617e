/**
 * `@scopeguard/koa`: Koa middleware over `@scopeguard/core`, a thin adapter over the framework-neutral
 * `@scopeguard/http` layer. Bearer token in (RFC 6750 §2), `ctx.state.auth` or an RFC 6750 §3 answer
 * out (through `ctx.status`, `ctx.set`, `ctx.body`), scopes per route. The adapter never decodes a token
 * nor touches a key, and holds no HTTP rule of its own: it translates Koa's request in and the layer's
 * answer out. Importing it types `ctx.state.auth` through Koa's `DefaultState`.
 *
 * @packageDocumentation
 */

export { type AuthenticateOptions, authenticate } from './authenticate.js';
export { type RequireScopeOptions, requireAnyScope, requireScope } from './require-scope.js';
export {
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
} from './resource-metadata.js';
export type {
  AdapterOptions,
  AuthErrorCode,
  AuthFailure,
  AuthInfo,
  ErrorBodyFormatter,
  ScopeguardMiddleware,
  ScopeguardState,
} from './types.js';
