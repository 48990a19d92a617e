import type { AuthInfo, ErrorBodyFormatter as HttpErrorBodyFormatter, HttpOptions } from '@scopeguard/http';
import type { Context, Middleware } from 'koa';

export type { AuthErrorCode, AuthFailure, AuthInfo } from '@scopeguard/http';

declare module 'koa' {
  // Koa's documented extension point: every `ctx.state` of an app typed with the default state
  // (`new Koa()`, `new Router()`) gets `auth` without a cast once this package is imported.
  interface DefaultState {
    /**
     * Set by `@scopeguard/koa` once the bearer token has been verified; `undefined` before, or when
     * `authenticate({ optional: true })` saw no token.
     */
    auth?: AuthInfo | undefined;
  }
}

/**
 * The state `@scopeguard/koa` adds to `ctx.state`, for apps that type their state explicitly:
 * `new Koa<ScopeguardState>()`, `new Router<AppState & ScopeguardState>()`,
 * `(ctx: ParameterizedContext<ScopeguardState>) => …`.
 */
export interface ScopeguardState {
  /**
   * The verified token: `{ claims, header, scopes, clientId, subject, expiresAt, token }`; `undefined`
   * when `authenticate({ optional: true })` let a request without a token through.
   */
  auth?: AuthInfo | undefined;
}

/**
 * Koa middleware that sets (or checks) `ctx.state.auth`. Usable with `app.use`, `router.use` and
 * `@koa/router` routes; `app.use(authenticate(…))` types the app's state as {@link ScopeguardState}.
 */
export type ScopeguardMiddleware = Middleware<ScopeguardState>;

/**
 * Shapes the body of a failure response. Status and headers are set by the middleware and cannot be
 * changed here. Return an object (sent as JSON), a string (sent as `text/plain`), `null` (empty
 * body) or `undefined` (the default `{ error, error_description }` JSON body). The second argument is
 * the request's Koa context.
 */
export type ErrorBodyFormatter = HttpErrorBodyFormatter<Context>;

/**
 * Options of the HTTP adapter itself (as opposed to the verifier's): `optional`, `realm`,
 * `errorBody`, `allowQueryToken`, `allowBodyToken`, `retryAfter`, `exposeErrorDetails`; see
 * `HttpOptions` in `@scopeguard/http`, where they are implemented once for every framework.
 */
export type AdapterOptions = HttpOptions<Context>;
