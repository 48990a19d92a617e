/**
 * `@scopeguard/fastify`: a Fastify 5 plugin over `@scopeguard/core`, a thin adapter over the
 * framework-neutral `@scopeguard/http` layer. Bearer token in (RFC 6750 §2), `request.auth` or an RFC 6750
 * §3 answer out through `reply`, scopes per route (`config: { scopes }` or a `requireScope(...)`
 * `preHandler`). The adapter never decodes a token nor touches a key, and holds no HTTP rule of its own: it
 * translates Fastify's request in and the layer's answer out.
 *
 * @packageDocumentation
 */

import { scopeguard } from './plugin.js';

export { type EnvScopeguardOptions, type ScopeguardOptions, scopeguard } from './plugin.js';
export { type RequireScopeOptions, requireAnyScope, requireScope, type ScopeHook } from './require-scope.js';
export type {
  AdapterOptions,
  AuthErrorCode,
  AuthFailure,
  AuthInfo,
  ErrorBodyFormatter,
} from './types.js';

/** The plugin, as Fastify plugins are usually imported: `app.register(import('@scopeguard/fastify'), { … })`. */
export default scopeguard;
