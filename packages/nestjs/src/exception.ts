import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  type HttpExceptionOptions,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { AuthFailure, AuthRefused, HttpAnswer } from '@scopeguard/http';

// A registered symbol, so that an exception thrown by one copy of this package (ESM or CJS build) is
// recognised by another.
const BRAND = Symbol.for('@scopeguard/nestjs.exception');

/**
 * What `ScopeguardGuard` throws when it refuses a request: an `HttpException` carrying the HTTP layer's
 * answer. Each one is also an instance of Nest's own exception for its status, as `@nestjs/passport`'s
 * guards throw `UnauthorizedException`, so existing filters keep matching:
 *
 * | status | also an instance of |
 * | --- | --- |
 * | 400 `invalid_request` | `BadRequestException` |
 * | 401 (no token, `invalid_token`) | `UnauthorizedException` |
 * | 403 `insufficient_scope` | `ForbiddenException` |
 * | 503 keys unavailable | `ServiceUnavailableException` |
 *
 * `getStatus()` is the answer's status, `getResponse()` its JSON body (`{ error, error_description }` by
 * default, or what `errorBody` returned), `message` the `error_description` (never the token, never this
 * API's configuration), `cause` the core's `TokenError` (the full story, for logs). `failure` says why and
 * `answer` is the exact answer `ScopeguardModule`'s filter sends (status, `WWW-Authenticate`,
 * `Retry-After`, `Cache-Control`, `Content-Type`, body). The guard has already set `WWW-Authenticate`,
 * `Retry-After` and `Cache-Control` on the response, so a filter of your own that answers with its own
 * body keeps the challenges.
 *
 * Use it in `@Catch(ScopeguardException)` or `instanceof ScopeguardException`; it is never constructed
 * directly (`instanceof` checks a brand that the guard's exceptions carry).
 */
export abstract class ScopeguardException extends HttpException {
  /** Why the request was refused: status, error code, description, the core's `code`, required scopes, cause. */
  declare readonly failure: AuthFailure;
  /** The layer's answer, ready to send. */
  declare readonly answer: HttpAnswer;

  /** True for the exceptions `ScopeguardGuard` throws, whatever Nest exception class they are. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }
}

type ExceptionClass = new (
  objectOrError?: unknown,
  descriptionOrOptions?: string | HttpExceptionOptions,
) => HttpException;

const BY_STATUS: Readonly<Record<HttpAnswer['status'], ExceptionClass>> = {
  400: BadRequestException,
  401: UnauthorizedException,
  403: ForbiddenException,
  503: ServiceUnavailableException,
};

/** The answer's body as Nest's exceptions carry it: the JSON value when it is JSON, else the text. */
function responseOf(answer: HttpAnswer): unknown {
  const body = answer.body;
  if (body === undefined) return undefined;
  const type = answer.headers['Content-Type'];
  if (typeof type === 'string' && type.startsWith('application/json')) {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  }
  return body;
}

/** The exception for a refusal of the HTTP layer (see {@link ScopeguardException}). */
export function scopeguardException(refused: AuthRefused): ScopeguardException {
  const { failure, answer } = refused;
  const Exception = BY_STATUS[answer.status];
  const options: HttpExceptionOptions = { description: failure.error };
  if (failure.cause !== undefined) options.cause = failure.cause;
  const exception = new Exception(responseOf(answer), options);
  exception.message = failure.description;
  Object.defineProperties(exception, {
    failure: { value: failure },
    answer: { value: answer },
    [BRAND]: { value: true },
  });
  return exception as ScopeguardException;
}
