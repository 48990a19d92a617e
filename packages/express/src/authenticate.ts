import {
  ConfigError,
  createVerifier,
  isTokenError,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from '@scopeguard/core';
import { extractBearerToken } from './bearer.js';
import { setRequestState } from './request-state.js';
import { failureFromTokenError, invalidRequest, noCredentials, sendFailure } from './rfc6750.js';
import { ADAPTER_OPTION_KEYS, type ResolvedSettings, resolveSettings } from './settings.js';
import type {
  AdapterOptions,
  AuthFailure,
  AuthInfo,
  Middleware,
  NextFunction,
  ScopeguardRequest,
  ScopeguardResponse,
} from './types.js';

/**
 * Options of {@link authenticate}: either the core's verifier options (a verifier is built once, now),
 * or `{ verifier }` to share an existing one; plus the adapter's own options.
 */
export type AuthenticateOptions = (VerifierOptions | { verifier: Verifier }) & AdapterOptions;

function toAuthInfo(verified: VerifiedToken, token: string): AuthInfo {
  // A new object: the core may hand the same cached VerifiedToken to several requests.
  return Object.freeze({
    claims: verified.claims,
    header: verified.header,
    scopes: verified.scopes,
    clientId: verified.clientId,
    subject: verified.subject,
    expiresAt: verified.expiresAt,
    token,
  });
}

/** Sends `failure`, or hands it to Express's error handling when the response has already started. */
export function fail(
  req: ScopeguardRequest,
  res: ScopeguardResponse,
  next: NextFunction,
  failure: AuthFailure,
  settings: ResolvedSettings,
): void {
  if (!sendFailure(req, res, failure, settings)) next(failure.cause ?? new Error(failure.description));
}

/**
 * Authenticates one request: reads the bearer token, verifies it, sets `req.auth` and records the
 * request as authenticated, then calls `onAuthenticated` (with `undefined` when `settings.optional`
 * let a token-less request through). Failures are answered here; an unexpected (non-`TokenError`)
 * rejection goes to `next(error)`. Never throws, never leaves a promise unhandled.
 */
export function authenticateRequest(
  verifier: Verifier,
  settings: ResolvedSettings,
  req: ScopeguardRequest,
  res: ScopeguardResponse,
  next: NextFunction,
  onAuthenticated: (auth: AuthInfo | undefined) => void,
): void {
  const found = extractBearerToken(req, settings);
  if (found.kind === 'malformed') {
    fail(req, res, next, invalidRequest(found.description), settings);
    return;
  }
  if (found.kind === 'none') {
    if (!settings.optional) {
      fail(req, res, next, noCredentials(), settings);
      return;
    }
    req.auth = undefined;
    setRequestState(req, { auth: undefined, settings });
    onAuthenticated(undefined);
    return;
  }
  const token = found.token;
  let pending: Promise<VerifiedToken>;
  try {
    pending = verifier.verify(token);
  } catch (error) {
    pending = Promise.reject(error);
  }
  pending.then(
    (verified) => {
      let auth: AuthInfo;
      try {
        auth = toAuthInfo(verified, token);
      } catch (error) {
        next(error);
        return;
      }
      req.auth = auth;
      setRequestState(req, { auth, settings });
      // Outside the try: an exception thrown further down the chain is Express's to handle, and
      // must not be mistaken for a verification failure.
      onAuthenticated(auth);
    },
    (error: unknown) => {
      if (isTokenError(error))
        fail(req, res, next, failureFromTokenError(error, settings.retryAfter, token), settings);
      else next(error);
    },
  );
}

function isVerifier(value: unknown): value is Verifier {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === 'function'
  );
}

/** Builds (or takes) the verifier of `authenticate` options; throws `ConfigError` on a bad configuration. */
export function verifierFromOptions(options: AuthenticateOptions): Verifier {
  if ('verifier' in options && options.verifier !== undefined) {
    if (!isVerifier(options.verifier))
      throw new ConfigError('verifier', 'must be a Verifier (from createVerifier)');
    if ('issuer' in options && options.issuer !== undefined) {
      throw new ConfigError(
        'verifier',
        'pass either a verifier or verifier options (issuer, audience, ...), not both',
      );
    }
    return options.verifier;
  }
  const verifierOptions: Record<string, unknown> = { ...options };
  for (const key of ADAPTER_OPTION_KEYS) delete verifierOptions[key];
  delete verifierOptions['verifier'];
  return createVerifier(verifierOptions as unknown as VerifierOptions);
}

/**
 * Middleware that requires a valid bearer access token: verifies it with the core and sets
 * `req.auth` ({@link AuthInfo}), or answers per RFC 6750 §3:
 *
 * - no token: 401, `WWW-Authenticate: Bearer realm="…"` without error code (with `optional: true`,
 *   the request continues with `req.auth` undefined instead);
 * - malformed `Authorization` header, or a token sent by more than one method: 400 `invalid_request`;
 * - token refused by the verifier: 401 `invalid_token` with a short `error_description`;
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
  const settings = resolveSettings(options);
  const verifier = verifierFromOptions(options);
  return function scopeguardAuthenticate(req, res, next) {
    authenticateRequest(verifier, settings, req, res, next, () => next());
  };
}
