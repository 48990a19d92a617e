import type { Verifier } from '@scopeguard/core';
import { ConfigError } from '@scopeguard/core';
import {
  type AuthInfo,
  authenticateRequestCallback,
  createGuard,
  type GuardOptions,
  nodeRequest,
  type ResolvedSettings,
} from '@scopeguard/http';
import { setRequestState } from './request-state.js';
import { sendRefusal, setHeaders } from './send-answer.js';
import type { Middleware, NextFunction, ScopeguardRequest, ScopeguardResponse } from './types.js';

/**
 * Options of {@link authenticate}: either the core's verifier options (a verifier is built once, now),
 * or `{ verifier }` to share an existing one; plus the adapter's own options (`AdapterOptions`).
 */
export type AuthenticateOptions = GuardOptions<ScopeguardRequest>;

/**
 * Authenticates one Express request through the HTTP layer: on success sets `req.auth`, records the
 * request as authenticated and calls `onAuthenticated` (with `undefined` when `optional` let a
 * token-less request through), or `next()` when there is none. A refusal is answered here; an
 * unexpected (non-`TokenError`) error goes to `next(error)`. Never throws, never leaves a promise
 * unhandled.
 */
export function authenticateExpressRequest(
  verifier: Verifier,
  settings: ResolvedSettings<ScopeguardRequest>,
  req: ScopeguardRequest,
  res: ScopeguardResponse,
  next: NextFunction,
  onAuthenticated?: (auth: AuthInfo | undefined) => void,
): void {
  authenticateRequestCallback(
    verifier,
    settings,
    nodeRequest(req),
    req,
    (outcome) => {
      if (!outcome.ok) {
        sendRefusal(res, next, outcome);
        return;
      }
      // Headers the layer adds to the application's response (none yet; a DPoP-Nonce later).
      setHeaders(res, outcome.headers);
      const auth = outcome.auth;
      req.auth = auth;
      setRequestState(req, { auth, settings });
      if (onAuthenticated === undefined) next();
      else onAuthenticated(auth);
    },
    next,
  );
}

/**
 * Middleware that requires a valid bearer access token: verifies it with the core and sets
 * `req.auth` (`AuthInfo`), or answers per RFC 6750 §3 (through `@scopeguard/http`):
 *
 * - no token: 401, `WWW-Authenticate: Bearer realm="…"` without error code (with `optional: true`,
 *   the request continues with `req.auth` undefined instead);
 * - malformed `Authorization` header, two `Authorization` headers, or a token sent by more than one
 *   method: 400 `invalid_request`;
 * - token refused by the verifier: 401 `invalid_token`, whose `error_description` says what is wrong
 *   with the token and never this API's configuration (unless `exposeErrorDetails: true`);
 * - the issuer's keys cannot be fetched: 503 with `Retry-After`.
 *
 * The verifier is built once, when `authenticate` is called (a bad configuration throws a
 * `ConfigError` at startup). Works with Express 4 and 5; never relies on Express catching a rejected
 * promise.
 *
 * @example
 * app.use(authenticate({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
 * app.get('/orders', requireScope('orders:read'), (req, res) => res.json({ client: req.auth?.clientId }));
 */
export function authenticate(options: AuthenticateOptions): Middleware {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'authenticate() needs verifier options or { verifier }');
  }
  const { verifier, settings } = createGuard(options);
  return function scopeguardAuthenticate(req, res, next) {
    authenticateExpressRequest(verifier, settings, req, res, next);
  };
}
