import { ConfigError } from '@scopeguard/core';
import {
  type AuthInfo,
  authorizeRequest,
  markScopeRule,
  ENV_VARIABLES,
  type ResolvedSettings,
  scopeSettings,
  type ScopeRule,
  scopeRuleFromArguments,
} from '@scopeguard/http';
import type { Context, MiddlewareHandler } from 'hono';
import { authenticateContext, grant } from './authenticate.js';
import { contextVerifierSource } from './env-source.js';
import { getRequestState } from './request-state.js';
import { respond } from './respond.js';
import type { AdapterOptions, ScopeguardEnv } from './types.js';

/**
 * Options form of {@link requireScope}: `allOf` (every scope) and/or `anyOf` (at least one); when both
 * are given, both must hold. The adapter options apply to the answers this middleware sends (and, when
 * it authenticates by itself from the environment, to reading the token); `optional` does not apply, a
 * scope always needs a token.
 */
export interface RequireScopeOptions extends Omit<AdapterOptions, 'optional'> {
  /** Scopes that must all be granted. */
  allOf?: readonly string[];
  /** Scopes of which at least one must be granted. */
  anyOf?: readonly string[];
}

function missingScopeguard(): ConfigError {
  return new ConfigError(
    ENV_VARIABLES.issuer,
    'is not set and no scopeguard() ran before requireScope(): use scopeguard({ ... }) first, ' +
      `or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}

function createScopeMiddleware(
  rule: ScopeRule,
  options: RequireScopeOptions,
): MiddlewareHandler<ScopeguardEnv> {
  const scoped = scopeSettings<Context>(options);
  const own = scoped.own;
  const verifierFor = contextVerifierSource(missingScopeguard);

  // Marked with its rule, so protectedResourceMetadata() can list the scopes routes require.
  return markScopeRule<MiddlewareHandler<ScopeguardEnv>>(async function scopeguardRequireScope(c, next) {
    const state = getRequestState(c);
    let auth: AuthInfo | undefined;
    let settings: ResolvedSettings<Context>;
    if (state !== undefined) {
      // A scopeguard() ran: only check its token, answering with its realm and error body unless this
      // middleware overrides them. c.get('auth') is trusted only if it is the object the adapter set.
      settings = scoped.over(state.settings);
      auth = state.auth !== undefined && c.get('auth') === state.auth ? state.auth : undefined;
    } else {
      const outcome = await authenticateContext(verifierFor(c), own, c);
      if (!outcome.ok) return respond(c, outcome.answer);
      grant(c, outcome, own);
      settings = own;
      auth = outcome.auth;
    }
    const refused = authorizeRequest(auth, rule, settings, c);
    if (refused !== undefined) return respond(c, refused.answer);
    await next();
  }, rule);
}

/**
 * Middleware that requires every listed scope (`requireScope('a', 'b')`), or takes an options object
 * (`requireScope({ allOf, anyOf, realm, errorBody })`). A token without them gets 403
 * `insufficient_scope` with `scope="…"` listing what the route needs, and an `error_description` that
 * says whether all of them or one of them is needed. Routes behind it see `c.get('auth')` as `AuthInfo`.
 *
 * Usable two ways, with `app.use(...)` or in a route:
 * 1. after `scopeguard(...)`: it only checks that token (a request that `scopeguard({ optional: true })`
 *    let through without one gets 401);
 * 2. on its own: it authenticates first with the verifier configured by `SCOPEGUARD_ISSUER`,
 *    `SCOPEGUARD_AUDIENCE` (and optional `SCOPEGUARD_CLIENT_IDS`, `SCOPEGUARD_JWKS_URI`), read as
 *    `scopeguard()` reads them: validated now when `process.env` sets any, else at the first request
 *    from `c.env` or the runtime's environment.
 *
 * Invalid scope names throw a `ConfigError` at creation; `requireScope('read write')` suggests
 * `requireScope('read', 'write')`.
 *
 * @example
 * app.get('/admin', requireScope('admin', 'audit'), (c) => c.json({ client: c.get('auth').clientId }));
 */
export function requireScope(...scopes: string[]): MiddlewareHandler<ScopeguardEnv>;
export function requireScope(options: RequireScopeOptions): MiddlewareHandler<ScopeguardEnv>;
export function requireScope(...args: readonly unknown[]): MiddlewareHandler<ScopeguardEnv> {
  const { rule, options } = scopeRuleFromArguments<RequireScopeOptions>(args, 'allOf', 'requireScope');
  return createScopeMiddleware(rule, options);
}

/**
 * Like {@link requireScope}, but at least one of the listed scopes is enough
 * (`requireAnyScope('orders:read', 'orders:admin')`): a token with none of them gets 403
 * `insufficient_scope` with `scope="…"` listing the accepted scopes.
 */
export function requireAnyScope(...scopes: string[]): MiddlewareHandler<ScopeguardEnv> {
  const { rule } = scopeRuleFromArguments(scopes, 'anyOf', 'requireAnyScope');
  return createScopeMiddleware(rule, {});
}
