import { ConfigError, type Verifier } from '@scopeguard/core';
import {
  type AuthOutcome,
  authenticateRequest,
  createGuard,
  type GuardOptions,
  type ResolvedSettings,
} from '@scopeguard/http';
import type { Context, Next } from 'koa';
import { setContextState } from './context-state.js';
import { koaRequest } from './koa-request.js';
import { sendRefusal, setHeaders } from './send-answer.js';
import type { ScopeguardMiddleware } from './types.js';

/**
 * Options of {@link authenticate}: either the core's verifier options (a verifier is built once, now),
 * or `{ verifier }` to share an existing one; plus the adapter's own options (`AdapterOptions`).
 */
export type AuthenticateOptions = GuardOptions<Context>;

/**
 * Authenticates the request of `ctx` through the HTTP layer and resolves with the layer's outcome,
 * already applied: granted, `ctx.state.auth` is set (undefined when `optional` let a token-less request
 * through) and the request is recorded as authenticated; refused, the answer is on `ctx`. Rejects only
 * with an unexpected (non-`TokenError`) error, for Koa's error handling.
 */
export async function authenticateContext(
  verifier: Verifier,
  settings: ResolvedSettings<Context>,
  ctx: Context,
): Promise<AuthOutcome> {
  const outcome = await authenticateRequest(
    verifier,
    settings,
    koaRequest(ctx, settings.allowBodyToken),
    ctx,
  );
  if (!outcome.ok) {
    sendRefusal(ctx, outcome);
    return outcome;
  }
  // Headers the layer adds to the application's response (none yet; a DPoP-Nonce later).
  setHeaders(ctx, outcome.headers);
  const auth = outcome.auth;
  ctx.state.auth = auth;
  setContextState(ctx, { auth, settings });
  return outcome;
}

/**
 * Koa middleware that requires a valid bearer access token: verifies it with the core and sets
 * `ctx.state.auth` (`AuthInfo`), or answers per RFC 6750 §3 (through `@scopeguard/http`) with
 * `ctx.status`, `ctx.set` and `ctx.body`, without calling the next middleware:
 *
 * - no token: 401, `WWW-Authenticate: Bearer realm="…"` without error code (with `optional: true`,
 *   the request continues with `ctx.state.auth` undefined instead);
 * - malformed `Authorization` header, two `Authorization` headers, or a token sent by more than one
 *   method: 400 `invalid_request`;
 * - token refused by the verifier: 401 `invalid_token`, whose `error_description` says what is wrong
 *   with the token and never this API's configuration (unless `exposeErrorDetails: true`);
 * - the issuer's keys cannot be fetched: 503 with `Retry-After`.
 *
 * An unexpected error (not a `TokenError`) is thrown as it is into Koa's error handling: upstream
 * `try { await next() } catch` middleware sees it, and otherwise Koa answers 500 and emits it on
 * `app.on('error')`. The verifier is built once, when `authenticate` is called (a bad configuration
 * throws a `ConfigError` at startup). Token in the form body (`allowBodyToken`): mount a body parser
 * (`@koa/bodyparser`) before this middleware.
 *
 * @example
 * app.use(authenticate({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
 * router.get('/orders', requireScope('orders:read'), (ctx) => { ctx.body = { client: ctx.state.auth?.clientId }; });
 */
export function authenticate(options: AuthenticateOptions): ScopeguardMiddleware {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'authenticate() needs verifier options or { verifier }');
  }
  const { verifier, settings } = createGuard(options);
  return async function scopeguardAuthenticate(ctx, next: Next) {
    const outcome = await authenticateContext(verifier, settings, ctx as Context);
    if (outcome.ok) await next();
  };
}
