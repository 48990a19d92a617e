import { assertScopes, ConfigError, isTokenError, type Verifier } from '@scopeguard/core';
import { authenticateRequest, fail } from './authenticate.js';
import { ENV_VARIABLES, hasEnvConfig, verifierFromEnv } from './env-config.js';
import { getRequestState } from './request-state.js';
import { failureFromTokenError, isValidScopeToken, noCredentials } from './rfc6750.js';
import { type ResolvedSettings, resolveSettings } from './settings.js';
import type {
  AdapterOptions,
  AuthInfo,
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

interface Requirement {
  allOf?: readonly string[];
  anyOf?: readonly string[];
}

function checkScopes(name: 'allOf' | 'anyOf', scopes: unknown): readonly string[] | undefined {
  if (scopes === undefined) return undefined;
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new ConfigError(name, 'must be a non-empty list of scope names');
  }
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !isValidScopeToken(scope)) {
      throw new ConfigError(
        name,
        `${JSON.stringify(scope)} is not a valid scope name (RFC 6750 scope-token)`,
      );
    }
  }
  return Object.freeze([...scopes]);
}

function normalize(
  args: readonly unknown[],
  mode: 'allOf' | 'anyOf',
): { requirement: Requirement; options: RequireScopeOptions } {
  const first = args[0];
  if (args.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const options = first as RequireScopeOptions;
    const allOf = checkScopes('allOf', options.allOf);
    const anyOf = checkScopes('anyOf', options.anyOf);
    if (allOf === undefined && anyOf === undefined) {
      throw new ConfigError('scopes', 'requireScope({ ... }) needs allOf and/or anyOf');
    }
    const requirement: Requirement = {};
    if (allOf) requirement.allOf = allOf;
    if (anyOf) requirement.anyOf = anyOf;
    return { requirement, options };
  }
  if (args.length === 0) throw new ConfigError('scopes', 'at least one scope is required');
  const scopes = checkScopes(mode, args);
  return { requirement: { [mode]: scopes }, options: {} };
}

/**
 * The verifier a self-authenticating `requireScope` uses: built from the environment at creation
 * when any `SCOPEGUARD_*` variable is set (so a missing or wrong one fails at startup, naming it),
 * otherwise undefined (an `authenticate` is expected to run first; checked per request).
 */
function envVerifierAtCreation(): Verifier | undefined {
  return hasEnvConfig() ? verifierFromEnv() : undefined;
}

function missingAuthenticate(): ConfigError {
  return new ConfigError(
    ENV_VARIABLES.issuer,
    'is not set and no authenticate() ran before requireScope(): mount authenticate({ ... }) first, ' +
      `or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}

function createScopeMiddleware(requirement: Requirement, options: RequireScopeOptions): Middleware {
  const explicit: AdapterOptions = {
    realm: options.realm,
    errorBody: options.errorBody,
    allowQueryToken: options.allowQueryToken,
    allowBodyToken: options.allowBodyToken,
    retryAfter: options.retryAfter,
  };
  const own = resolveSettings({ ...explicit, optional: false });
  const envVerifier = envVerifierAtCreation();
  const overrides = Object.values(explicit).some((value) => value !== undefined);
  const requiredScopes = Object.freeze([...(requirement.allOf ?? []), ...(requirement.anyOf ?? [])]);

  const check = (
    auth: AuthInfo | undefined,
    settings: ResolvedSettings,
    req: ScopeguardRequest,
    res: ScopeguardResponse,
    next: NextFunction,
  ): void => {
    if (auth === undefined) {
      fail(req, res, next, noCredentials(), settings);
      return;
    }
    try {
      assertScopes(auth, requirement);
    } catch (error) {
      if (isTokenError(error)) {
        // The challenge lists what this route needs, whatever subset the core chose to report.
        const failure = { ...failureFromTokenError(error, settings.retryAfter, auth.token), requiredScopes };
        fail(req, res, next, failure, settings);
      } else {
        next(error);
      }
      return;
    }
    next();
  };

  return function scopeguardRequireScope(req, res, next) {
    const state = getRequestState(req);
    if (state !== undefined) {
      // An authenticate() ran: only check req.auth, answering with its realm/error body unless this
      // middleware overrides them. req.auth is trusted only if it is the object the adapter set.
      const settings = overrides ? resolveSettings(explicit, state.settings) : state.settings;
      const auth = state.auth !== undefined && req.auth === state.auth ? state.auth : undefined;
      check(auth, settings, req, res, next);
      return;
    }
    if (envVerifier === undefined) {
      next(missingAuthenticate());
      return;
    }
    authenticateRequest(envVerifier, own, req, res, next, (auth) => check(auth, own, req, res, next));
  };
}

/**
 * Middleware that requires every listed scope (`requireScope('a', 'b')`), or takes an options object
 * (`requireScope({ allOf, anyOf, realm, errorBody })`). A token without them gets 403
 * `insufficient_scope` with `scope="…"` listing what the route needs.
 *
 * Usable two ways, at app, router or route level:
 * 1. after `authenticate(...)`: it only checks `req.auth` (a request that `authenticate({ optional:
 *    true })` let through without a token gets 401);
 * 2. on its own: it authenticates first with the verifier configured by the environment
 *    (`SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, optional `SCOPEGUARD_CLIENT_IDS`, `SCOPEGUARD_JWKS_URI`),
 *    built when `requireScope` is called and shared by every `requireScope`.
 *
 * Startup errors: invalid scope names throw a `ConfigError`; so does an incomplete environment (any
 * `SCOPEGUARD_*` variable set but `SCOPEGUARD_ISSUER` or `SCOPEGUARD_AUDIENCE` missing), naming the
 * variable. With no `SCOPEGUARD_*` variable at all, `requireScope` cannot know yet whether an
 * `authenticate` will run first, so a request that reaches it unauthenticated is passed to
 * `next(ConfigError)` (the app's error handler, usually a 500) with a message naming `SCOPEGUARD_ISSUER`.
 *
 * @example
 * app.use(authenticate({ issuer, audience: 'api://default' }));
 * app.get('/admin', requireScope('admin', 'audit'), handler);
 */
export function requireScope(...scopes: string[]): Middleware;
export function requireScope(options: RequireScopeOptions): Middleware;
export function requireScope(...args: readonly unknown[]): Middleware {
  const { requirement, options } = normalize(args, 'allOf');
  return createScopeMiddleware(requirement, options);
}

/**
 * Like {@link requireScope}, but at least one of the listed scopes is enough
 * (`requireAnyScope('orders:read', 'orders:admin')`). A token with none of them gets 403
 * `insufficient_scope` with `scope="…"` listing the accepted scopes.
 */
export function requireAnyScope(...scopes: string[]): Middleware {
  const { requirement, options } = normalize(scopes, 'anyOf');
  return createScopeMiddleware(requirement, options);
}
