import type { IncomingHttpHeaders } from 'node:http';
import type { TokenErrorCode, VerifiedToken } from '@scopeguard/core';

/**
 * What `authenticate` puts on `req.auth`: the verified token (claims, header, scopes, client id,
 * subject, expiry) plus the raw bearer string it came from.
 */
export interface AuthInfo extends VerifiedToken {
  /** The raw access token, as the client sent it (for forwarding to downstream APIs; never log it). */
  readonly token: string;
}

declare global {
  // Declaration merging with Express's own `Express.Request` (both 4 and 5 typings declare it), so
  // `req.auth.scopes` type-checks in an application without any cast.
  namespace Express {
    interface Request {
      /**
       * Set by `@scopeguard/express` once the bearer token has been verified; `undefined` before, or
       * when `authenticate({ optional: true })` saw no token.
       */
      auth?: AuthInfo;
    }
  }
}

/**
 * The part of a request the middleware reads. Express 4 and 5 requests (and plain `http`
 * requests) satisfy it, so no particular Express typing is required.
 */
export interface ScopeguardRequest {
  /** Request headers (only `authorization` and `content-type` are read). */
  headers: IncomingHttpHeaders;
  /** Request target; its query string is read only when `allowQueryToken` is on. */
  url?: string | undefined;
  /** Express's untouched request target (preferred over `url` when present). */
  originalUrl?: string | undefined;
  /** A parsed form body; read only when `allowBodyToken` is on. */
  body?: unknown;
  /** The verified token, set by the middleware. */
  auth?: AuthInfo | undefined;
}

/**
 * The part of a response the middleware writes: Node's `ServerResponse` API, which Express 4 and 5
 * responses extend. Failures are answered with it directly, never through Express-specific helpers.
 */
export interface ScopeguardResponse {
  /** Status code to send. */
  statusCode: number;
  /** True once the head has been sent. */
  readonly headersSent: boolean;
  /** Sets one response header. */
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  /** Ends the response, optionally with a body. */
  end(chunk?: string): unknown;
}

/** Express's `next`: called with nothing to continue, or with an error for the app's error handler. */
export type NextFunction = (error?: unknown) => void;

/** A connect-style middleware, usable with `app.use`, `router.use` and route definitions. */
export type Middleware = (req: ScopeguardRequest, res: ScopeguardResponse, next: NextFunction) => void;

/** The `error` value of a failure response body (and, where RFC 6750 defines it, of the challenge). */
export type AuthErrorCode =
  /** No bearer token at all (the challenge then carries no error code, per RFC 6750 §3.1). */
  | 'unauthorized'
  /** Malformed request: bad `Authorization` header, or a token sent by more than one method. */
  | 'invalid_request'
  /** The token was refused (expired, bad signature, wrong audience, …). */
  | 'invalid_token'
  /** The token is valid but lacks a required scope. */
  | 'insufficient_scope'
  /** The issuer's keys could not be fetched: the token could not be checked at all. */
  | 'temporarily_unavailable';

/**
 * A refused request, as the middleware is about to answer it. Status, `WWW-Authenticate` and
 * `Retry-After` are derived from it; `errorBody` may only change the body.
 */
export interface AuthFailure {
  /** 400 malformed request, 401 no or bad token, 403 missing scope, 503 keys unavailable. */
  readonly status: 400 | 401 | 403 | 503;
  /** The error code of the body (and of the `WWW-Authenticate` challenge for 400/401/403). */
  readonly error: AuthErrorCode;
  /** A short, token-free explanation, restricted to the characters RFC 6750 allows. */
  readonly description: string;
  /** The core's reason, when the failure came from a `TokenError`. */
  readonly code?: TokenErrorCode | undefined;
  /** For 403: the scopes the route requires (the challenge's `scope` attribute). */
  readonly requiredScopes?: readonly string[] | undefined;
  /** For 503: seconds sent in `Retry-After`. */
  readonly retryAfter?: number | undefined;
  /** The underlying error (a `TokenError`), if any. Never send it to the client as is. */
  readonly cause?: unknown;
}

/**
 * Shapes the body of a failure response. Status and headers are set by the middleware and cannot be
 * changed here. Return an object (sent as JSON), a string (sent as `text/plain`), `null` (empty
 * body) or `undefined` (the default `{ error, error_description }` JSON body).
 */
export type ErrorBodyFormatter = (failure: AuthFailure, req: ScopeguardRequest) => unknown;

/** Options of the HTTP adapter itself (as opposed to the verifier's). */
export interface AdapterOptions {
  /**
   * When true, a request without any bearer token continues with `req.auth` undefined. A token that
   * is present but malformed or invalid is still refused. Default false.
   */
  optional?: boolean;
  /** The `realm` of the `WWW-Authenticate` challenge. Default `"api"`. No `"` or `\` allowed. */
  realm?: string;
  /** Shapes failure bodies; see {@link ErrorBodyFormatter}. */
  errorBody?: ErrorBodyFormatter;
  /**
   * Also accept the token in the `access_token` query parameter (RFC 6750 §2.3, discouraged).
   * Default false: the parameter is then ignored.
   */
  allowQueryToken?: boolean;
  /**
   * Also accept the token in an `application/x-www-form-urlencoded` body's `access_token` field
   * (RFC 6750 §2.2; needs a body parser such as `express.urlencoded()` mounted first). Default false.
   */
  allowBodyToken?: boolean;
  /** Seconds sent in `Retry-After` when the issuer's keys cannot be fetched (503). Default 10. */
  retryAfter?: number;
}
