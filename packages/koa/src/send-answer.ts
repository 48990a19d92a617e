import type { AuthRefused, HttpAnswer, ResponseHeaders } from '@scopeguard/http';
import type { Context } from 'koa';

/**
 * Sets each header with `ctx.set`; a list is sent as one field line per entry (several
 * `WWW-Authenticate` challenges), a one-entry list as a plain value.
 */
export function setHeaders(ctx: Context, headers: ResponseHeaders): void {
  for (const name in headers) {
    const value = headers[name] as string | readonly string[];
    // Koa hands an array to Node's setHeader as it is; the layer builds a fresh list per answer.
    ctx.set(
      name,
      typeof value === 'string' || value.length !== 1 ? (value as string[]) : (value[0] as string),
    );
  }
}

/**
 * Writes a layer answer through Koa's response (`ctx.status`, `ctx.set`, `ctx.body`): Koa sends it once
 * the middleware chain unwinds, so upstream middleware (logging, CORS, compression) still sees and
 * decorates it, and the headers it set before are kept (a thrown `HttpError` would have them cleared by
 * Koa's error response). Returns false when the head was already sent (nothing written).
 */
export function sendAnswer(
  ctx: Context,
  answer: Omit<HttpAnswer, 'status'> & { readonly status: number },
): boolean {
  if (ctx.headerSent) return false;
  const body = answer.body;
  if (body === undefined) {
    // Koa turns `body = null` into a 204 unless the status is already empty-bodied, and sends an
    // explicit null body with `Content-Length: 0`: set the body first, the status after.
    ctx.body = null;
    ctx.status = answer.status;
    setHeaders(ctx, answer.headers);
    return true;
  }
  ctx.status = answer.status;
  // `Content-Type` first: Koa keeps it when the body is set (and computes `Content-Length`).
  setHeaders(ctx, answer.headers);
  ctx.body = body;
  return true;
}

/**
 * Sends a refusal, or, when the response has already started (something wrote to `ctx.res` directly),
 * throws its cause into Koa's error handling, which reports it through `app.on('error')`.
 */
export function sendRefusal(ctx: Context, refused: AuthRefused): void {
  if (!sendAnswer(ctx, refused.answer)) {
    throw refused.failure.cause ?? new Error(refused.failure.description);
  }
}
