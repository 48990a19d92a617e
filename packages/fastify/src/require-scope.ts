import {
  envVerifierSource,
  markScopeRule,
  scopeSettings,
  type ScopeRule,
  scopeRuleFromArguments,
} from '@scopeguard/http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { authenticateFastifyRequest, checkScopes } from './authenticate.js';
import { notConfigured } from './env.js';
import { authenticatedWith, verifiedAuth } from './request-state.js';
import type { AdapterOptions } from './types.js';

/**
 * A route hook (`preHandler`, or any later-phase hook) that checks scopes: what {@link requireScope} and
 * {@link requireAnyScope} return. Callback style, so it costs no promise when it passes.
 */
export type ScopeHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Options form of {@link requireScope}: `allOf` (every scope) and/or `anyOf` (at least one); when both
 * are given, both must hold. The adapter options apply to the answers this hook sends (and, when it
 * authenticates by itself from the environment, to reading the token); `optional` does not apply, a
 * scope always needs a token.
 */
export interface RequireScopeOptions extends Omit<AdapterOptions, 'optional'> {
  /** Scopes that must all be granted. */
  allOf?: readonly string[];
  /** Scopes of which at least one must be granted. */
  anyOf?: readonly string[];
}

function createScopeHook(rule: ScopeRule, options: RequireScopeOptions): ScopeHook {
  const scoped = scopeSettings<FastifyRequest>(options);
  const own = scoped.own;
  // Read at creation only when SCOPEGUARD_* is already set (then validated now); otherwise at the first
  // request that needs it, so `import app` before `dotenv.config()` works.
  const env = envVerifierSource({
    unconfigured: () => notConfigured("scopeguard is not registered in this route's context"),
  });

  // Marked with its rule, so the plugin's RFC 9728 metadata can list the scopes routes require.
  return markScopeRule<ScopeHook>(function scopeguardRequireScope(request, reply, done) {
    const settings = authenticatedWith(request);
    if (settings !== undefined) {
      // The plugin authenticated this request: only check the token it verified, answering with its
      // realm and error body unless this hook overrides them.
      checkScopes(rule, verifiedAuth(request), scoped.over(settings), request, reply, done);
      return;
    }
    let verifier: ReturnType<typeof env.get>;
    try {
      verifier = env.get();
    } catch (error) {
      done(error as Error);
      return;
    }
    authenticateFastifyRequest(verifier, own, request, reply, done, rule);
  }, rule);
}

/**
 * A route hook that requires every listed scope (`requireScope('a', 'b')`), or takes an options object
 * (`requireScope({ allOf, anyOf, realm, errorBody })`). A token without them gets 403
 * `insufficient_scope` with `scope="…"` listing what the route needs, and an `error_description` that
 * says whether all of them or one of them is needed. Use it as the route's `preHandler`:
 *
 * @example
 * app.get('/admin', { preHandler: requireScope('admin', 'audit') }, handler);
 *
 * Usable two ways:
 * 1. on a route of a context where the scopeguard plugin is registered: it checks the token the plugin
 *    verified (a request that `optional: true` let through without a token gets 401);
 * 2. anywhere else: it authenticates first with the verifier configured by the environment
 *    (`SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, optional `SCOPEGUARD_CLIENT_IDS`,
 *    `SCOPEGUARD_JWKS_URI`), shared by every `requireScope`, and sets `request.auth`.
 *
 * When the environment is read: if any `SCOPEGUARD_*` variable is set when `requireScope` is called, the
 * environment is validated then, and a missing or invalid variable throws a `ConfigError` naming it, at
 * startup. Otherwise it is read at the first request that needs it, so `dotenv.config()` may run after
 * the routes are declared; a still missing or invalid environment then sends that request to Fastify's
 * error handler with the `ConfigError` (a 500), reported once through `process.emitWarning` (code
 * `SCOPEGUARD_CONFIG`).
 *
 * Invalid scope names throw a `ConfigError` at creation; `requireScope('read write')` suggests
 * `requireScope('read', 'write')`.
 */
export function requireScope(...scopes: string[]): ScopeHook;
export function requireScope(options: RequireScopeOptions): ScopeHook;
export function requireScope(...args: readonly unknown[]): ScopeHook {
  const { rule, options } = scopeRuleFromArguments<RequireScopeOptions>(args, 'allOf', 'requireScope');
  return createScopeHook(rule, options);
}

/**
 * Like {@link requireScope}, but at least one of the listed scopes is enough
 * (`requireAnyScope('orders:read', 'orders:admin')`). A token with none of them gets 403
 * `insufficient_scope` with `scope="…"` listing the accepted scopes and an `error_description` that
 * reads "This resource requires one of these scopes: orders:read, orders:admin".
 */
export function requireAnyScope(...scopes: string[]): ScopeHook {
  const { rule } = scopeRuleFromArguments(scopes, 'anyOf', 'requireAnyScope');
  return createScopeHook(rule, {});
}
