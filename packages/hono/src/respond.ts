import type { HttpAnswer, ResponseHeaders } from '@scopeguard/http';
import type { Context } from 'hono';

type HeaderRecord = Record<string, string | string[]>;

/**
 * Sends a layer answer through Hono's own response path (`c.body`): status, headers (each
 * `WWW-Authenticate` challenge appended as its own value), body. Headers set before with `c.header()`
 * are kept: those of other middleware (CORS, request ids), and those a granted authentication added
 * before a scope check refused.
 */
export function respond(
  c: Context,
  answer: Omit<HttpAnswer, 'status'> & { readonly status: HttpAnswer['status'] | 200 },
): Response {
  const headers = answer.headers as HeaderRecord;
  return answer.body === undefined
    ? c.body(null, answer.status, headers)
    : c.body(answer.body, answer.status, headers);
}

/** Adds the headers of a granted outcome to the response the application will send. */
export function addHeaders(c: Context, headers: ResponseHeaders): void {
  for (const name in headers) {
    const value = headers[name] as string | readonly string[];
    if (typeof value === 'string') c.header(name, value, { append: true });
    else for (const item of value) c.header(name, item, { append: true });
  }
}
