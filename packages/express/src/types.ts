import type { IncomingHttpHeaders } from 'node:http';
import type { AuthInfo, ErrorBodyFormatter as HttpErrorBodyFormatter, HttpOptions } from '@scopeguard/http';

export type { AuthErrorCode, AuthFailure, AuthInfo } from '@scopeguard/http';

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
  /** Request headers (`authorization` and `content-type` are read; from `rawHeaders` when present). */
  headers: IncomingHttpHeaders;
  /**
   * Node's headers as received. Read in preference to `headers`, which keeps only the first of two
   * `Authorization` headers (a repeated one is refused with 400).
   */
  rawHeaders?: readonly string[] | undefined;
  /** Request method. */
  method?: string | undefined;
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

/**
 * Shapes the body of a failure response. Status and headers are set by the middleware and cannot be
 * changed here. Return an object (sent as JSON), a string (sent as `text/plain`), `null` (empty
 * body) or `undefined` (the default `{ error, error_description }` JSON body).
 */
export type ErrorBodyFormatter = HttpErrorBodyFormatter<ScopeguardRequest>;

/**
 * Options of the HTTP adapter itself (as opposed to the verifier's): `optional`, `realm`,
 * `errorBody`, `allowQueryToken`, `allowBodyToken`, `retryAfter`, `exposeErrorDetails`; see
 * `HttpOptions` in `@scopeguard/http`, where they are implemented once for every framework.
 */
export type AdapterOptions = HttpOptions<ScopeguardRequest>;
