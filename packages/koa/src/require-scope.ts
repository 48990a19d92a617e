import { ConfigError, type Verifier } from '@scopeguard/core';
import {
  type AuthInfo,
  authorizeRequest,
  ENV_VARIABLES,
  envVerifierSource,
  markScopeRule,
  type ResolvedSettings,
  scopeSettings,
  type ScopeRule,
  scopeRuleFromArguments,
} from '@scopeguard/http';
import type { Context, Next } from 'koa';
import { authenticateContext } from './authenticate.js';
import { getContextState } from './context-state.js';
import { sendRefusal } from './send-answer.js';
import type { AdapterOptions, ScopeguardMiddleware } from './types.js';

/**
 * Options form of {@link requireScope}: `allOf` (every scope) and/or `anyOf` (at least one); when both
 * are given, both must hold. The adapter options apply to the answers this middleware sends (and,
 * when it authenticates by itself from the environment, to reading the token); `optional` does not
 * apply, a scope always needs a token.
 */
export interface RequireScopeOptions extends Omit<AdapterOptions, 'optional'> {
  /** Scopes that must all be granted. */
  allOf?: readonly string[];
  /** Scopes of which at least one must be granted. */
  anyOf?: readonly string[];
}

function missingAuthenticate(): ConfigError {
  return new ConfigError(
    ENV_VARIABLES.issuer,
    'is not set and no authenticate() ran before requireScope(): app.use(authenticate({ ... })) first, ' +
      `or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}

function createScopeMiddleware(rule: ScopeRule, options: RequireScopeOptions): ScopeguardMiddleware {
  const scoped = scopeSettings<Context>(options);
  const own = scoped.own;
  // Read at creation only when SCOPEGUARD_* is already set (then validated now); otherwise at the first
  // request that needs it, so `import app` before `dotenv.config()` works.
  const env = envVerifierSource({ unconfigured: missingAuthenticate });

  /** True when `auth` satisfies the rule; otherwise the refusal is on `ctx`. */
  const check = (auth: AuthInfo | undefined, settings: ResolvedSettings<Context>, ctx: Context): boolean => {
    const refused = authorizeRequest(auth, rule, settings, ctx);
    if (refused === undefined) return true;
    sendRefusal(ctx, refused);
    return false;
  };

  // Marked with its rule, so protectedResourceMetadata() can list the scopes routes require.
  return markScopeRule<ScopeguardMiddleware>(async function scopeguardRequireScope(koaContext, next: Next) {
    const ctx = koaContext as Context;
    const state = getContextState(ctx);
    if (state !== undefined) {
      // An authenticate() ran: only check ctx.state.auth, answering with its realm/error body unless this
      // middleware overrides them. ctx.state.auth is trusted only if it is the object the adapter set.
      const settings = scoped.over(state.settings);
      const auth = state.auth !== undefined && ctx.state.auth === state.auth ? state.auth : undefined;
      if (check(auth, settings, ctx)) await next();
      return;
    }
    // No authenticate() before: authenticate here with the environment's verifier. A ConfigError (an
    // incomplete environment) is thrown into Koa's error handling.
    const verifier: Verifier = env.get();
    const outcome = await authenticateContext(verifier, own, ctx);
    if (outcome.ok && check(outcome.auth, own, ctx)) await next();
  }, rule);
}

/**
 * Middleware that requires every listed scope (`requireScope('a', 'b')`), or takes an options object
 * (`requireScope({ allOf, anyOf, realm, errorBody })`). A token without them gets 403
 * `insufficient_scope` with `scope="…"` listing what the route needs, and an `error_description` that
 * says whether all of them or one of them is needed.
 *
 * Usable two ways, with `app.use`, `router.use` or on a `@koa/router` route:
 * 1. after `authenticate(...)`: it only checks `ctx.state.auth` (a request that `authenticate({ optional:
 *    true })` let through without a token gets 401);
 * 2. on its own: it authenticates first with the verifier configured by the environment
 *    (`SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, optional `SCOPEGUARD_CLIENT_IDS`, `SCOPEGUARD_JWKS_URI`),
 *    shared by every `requireScope`, and sets `ctx.state.auth`.
 *
 * When the environment is read: if any `SCOPEGUARD_*` variable is set when `requireScope` is called,
 * the environment is validated then, and a missing or invalid variable throws a `ConfigError` naming
 * it, at startup. Otherwise it is read at the first request that reaches `requireScope` without an
 * `authenticate` before it, so `dotenv.config()` may run after the app is built; a still missing or
 * invalid environment then throws that request's `ConfigError` into Koa's error handling (a 500
 * unless an upstream middleware handles it), reported once through `process.emitWarning` (code
 * `SCOPEGUARD_CONFIG`).
 *
 * Invalid scope names throw a `ConfigError` at creation; `requireScope('read write')` suggests
 * `requireScope('read', 'write')`.
 *
 * @example
 * app.use(authenticate({ issuer, audience: 'api://default' }));
 * router.get('/admin', requireScope('admin', 'audit'), handler);
 */
export function requireScope(...scopes: string[]): ScopeguardMiddleware;
export function requireScope(options: RequireScopeOptions): ScopeguardMiddleware;
export function requireScope(...args: readonly unknown[]): ScopeguardMiddleware {
  const { rule, options } = scopeRuleFromArguments<RequireScopeOptions>(args, 'allOf', 'requireScope');
  return createScopeMiddleware(rule, options);
}

/**
 * Like {@link requireScope}, but at least one of the listed scopes is enough
 * (`requireAnyScope('orders:read', 'orders:admin')`). A token with none of them gets 403
 * `insufficient_scope` with `scope="…"` listing the accepted scopes and an `error_description` that
 * reads "This resource requires one of these scopes: orders:read, orders:admin".
 */
export function requireAnyScope(...scopes: string[]): ScopeguardMiddleware {
  const { rule } = scopeRuleFromArguments(scopes, 'anyOf', 'requireAnyScope');
  return createScopeMiddleware(rule, {});
}
