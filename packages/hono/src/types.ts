import type { AnyVerifierOptions, Verifier } from '@scopeguard/core';
import type { AuthInfo, HttpOptions } from '@scopeguard/http';
import type { Context } from 'hono';

export type { AuthErrorCode, AuthFailure, AuthInfo } from '@scopeguard/http';

declare module 'hono' {
  // Hono's own way to type a middleware's variables for every app (as its JWT middleware does), so
  // `c.get('auth')` and `c.var.auth` type-check without generics. Undefined before `scopeguard()` ran,
  // or when `scopeguard({ optional: true })` saw no token.
  interface ContextVariableMap {
    /** The verified access token, set by `@scopeguard/hono`. */
    auth: AuthInfo | undefined;
  }
}

/**
 * The Hono `Env` of routes behind `scopeguard()` (or `requireScope`): `c.get('auth')` is the verified
 * token. Flows through Hono's own typing when the middleware is chained (`new Hono().use(scopeguard(…))`)
 * or listed in a route (`app.get('/x', requireScope('a'), (c) => …)`).
 */
export type ScopeguardEnv = { Variables: { auth: AuthInfo } };

/** The `Env` of routes behind `scopeguard({ optional: true })`: `c.get('auth')` may be undefined. */
export type OptionalScopeguardEnv = { Variables: { auth: AuthInfo | undefined } };

/**
 * Options of the adapter itself (as opposed to the verifier's): `optional`, `realm`, `errorBody`
 * (called with Hono's `Context`), `allowQueryToken`, `allowBodyToken`, `retryAfter`,
 * `exposeErrorDetails`; see `HttpOptions` in `@scopeguard/http`, where they are implemented once.
 */
export type AdapterOptions = HttpOptions<Context>;

/** Shapes the body of a failure response; receives Hono's `Context`. See `ErrorBodyFormatter` in `@scopeguard/http`. */
export type ErrorBodyFormatter = NonNullable<AdapterOptions['errorBody']>;

/** Configuration from `SCOPEGUARD_*` variables: no `issuer` and no `verifier` (see `scopeguard`). */
export interface EnvOptions {
  issuer?: never;
  verifier?: never;
}

/**
 * Options of `scopeguard()`: the core's verifier options (`issuer`, `audience`, …), or `{ verifier }`
 * to share one, or neither to read `SCOPEGUARD_*` from the environment; plus {@link AdapterOptions}.
 */
export type ScopeguardOptions = (AnyVerifierOptions | { verifier: Verifier } | EnvOptions) & AdapterOptions;
