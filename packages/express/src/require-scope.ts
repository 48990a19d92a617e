import { ConfigError } from '@scopeguard/core';
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
import { authenticateExpressRequest } from './authenticate.js';
import { getRequestState } from './request-state.js';
import { sendRefusal } from './send-answer.js';
import type {
  AdapterOptions,
  Middleware,
  NextFunction,
  ScopeguardRequest,
  ScopeguardResponse,
} from './types.js';

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
    'is not set and no authenticate() ran before requireScope(): mount authenticate({ ... }) first, ' +
      `or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}

function createScopeMiddleware(rule: ScopeRule, options: RequireScopeOptions): Middleware {
  const scoped = scopeSettings<ScopeguardRequest>(options);
  const own = scoped.own;
  // Read at creation only when SCOPEGUARD_* is already set (then validated now); otherwise at the first
  // request that needs it, so `import app` before `dotenv.config()` works.
  const env = envVerifierSource({ unconfigured: missingAuthenticate });

  const check = (
    auth: AuthInfo | undefined,
    settings: ResolvedSettings<ScopeguardRequest>,
    req: ScopeguardRequest,
    res: ScopeguardResponse,
    next: NextFunction,
  ): void => {
    const refused = authorizeRequest(auth, rule, settings, req);
    if (refused === undefined) next();
    else sendRefusal(res, next, refused);
  };

  // Marked with its rule, so protectedResourceMetadata() can list the scopes routes require.
  return markScopeRule(
    function scopeguardRequireScope(req, res, next) {
      const state = getRequestState(req);
      if (state !== undefined) {
        // An authenticate() ran: only check req.auth, answering with its realm/error body unless this
        // middleware overrides them. req.auth is trusted only if it is the object the adapter set.
        const settings = scoped.over(state.settings);
        const auth = state.auth !== undefined && req.auth === state.auth ? state.auth : undefined;
        check(auth, settings, req, res, next);
        return;
      }
      let verifier: ReturnType<typeof env.get>;
      try {
        verifier = env.get();
      } catch (error) {
        next(error);
        return;
      }
      authenticateExpressRequest(verifier, own, req, res, next, (auth) => check(auth, own, req, res, next));
    } satisfies Middleware,
    rule,
  );
}

/**
 * Middleware that requires every listed scope (`requireScope('a', 'b')`), or takes an options object
 * (`requireScope({ allOf, anyOf, realm, errorBody })`). A token without them gets 403
 * `insufficient_scope` with `scope="…"` listing what the route needs, and an `error_description` that
 * says whether all of them or one of them is needed.
 *
 * Usable two ways, at app, router or route level:
 * 1. after `authenticate(...)`: it only checks `req.auth` (a request that `authenticate({ optional:
 *    true })` let through without a token gets 401);
 * 2. on its own: it authenticates first with the verifier configured by the environment
 *    (`SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, optional `SCOPEGUARD_CLIENT_IDS`, `SCOPEGUARD_JWKS_URI`),
 *    shared by every `requireScope`.
 *
 * When the environment is read: if any `SCOPEGUARD_*` variable is set when `requireScope` is called,
 * the environment is validated then, and a missing or invalid variable throws a `ConfigError` naming
 * it, at startup. Otherwise it is read at the first request that reaches `requireScope` without an
 * `authenticate` before it, so `dotenv.config()` may run after the app is built; a still missing or
 * invalid environment then sends that request to `next(ConfigError)` (the app's error handler,
 * usually a 500), reported once through `process.emitWarning` (code `SCOPEGUARD_CONFIG`).
 *
 * Invalid scope names throw a `ConfigError` at creation; `requireScope('read write')` suggests
 * `requireScope('read', 'write')`.
 *
 * @example
 * app.use(authenticate({ issuer, audience: 'api://default' }));
 * app.get('/admin', requireScope('admin', 'audit'), handler);
 */
export function requireScope(...scopes: string[]): Middleware;
export function requireScope(options: RequireScopeOptions): Middleware;
export function requireScope(...args: readonly unknown[]): Middleware {
  const { rule, options } = scopeRuleFromArguments<RequireScopeOptions>(args, 'allOf', 'requireScope');
  return createScopeMiddleware(rule, options);
}

/**
 * Like {@link requireScope}, but at least one of the listed scopes is enough
 * (`requireAnyScope('orders:read', 'orders:admin')`). A token with none of them gets 403
 * `insufficient_scope` with `scope="…"` listing the accepted scopes and an `error_description` that
 * reads "This resource requires one of these scopes: orders:read, orders:admin".
 */
export function requireAnyScope(...scopes: string[]): Middleware {
  const { rule } = scopeRuleFromArguments(scopes, 'anyOf', 'requireAnyScope');
  return createScopeMiddleware(rule, {});
}
