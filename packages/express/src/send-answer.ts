import type { AuthRefused, HttpAnswer, ResponseHeaders } from '@scopeguard/http';
import type { NextFunction, ScopeguardResponse } from './types.js';

/** Sets each header; a list is sent as one field line per entry (several challenges), a one-entry list as a plain value. */
export function setHeaders(res: ScopeguardResponse, headers: ResponseHeaders): void {
  for (const name in headers) {
    const value = headers[name] as string | readonly string[];
    res.setHeader(name, typeof value === 'string' || value.length !== 1 ? value : (value[0] as string));
  }
}

/**
 * Writes a layer answer with Node's `ServerResponse` API only (the same under Express 4 and 5):
 * status, headers (one `WWW-Authenticate` field line per challenge), `Content-Length` and body.
 * Returns false when the head was already sent (nothing written).
 */
export function sendAnswer(
  res: ScopeguardResponse,
  answer: Omit<HttpAnswer, 'status'> & { readonly status: number },
): boolean {
  if (res.headersSent) return false;
  res.statusCode = answer.status;
  setHeaders(res, answer.headers);
  const body = answer.body;
  if (body === undefined) {
    res.setHeader('Content-Length', '0');
    res.end();
  } else {
    res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    res.end(body);
  }
  return true;
}

/** Sends a refusal, or hands its cause to Express's error handling when the response has already started. */
export function sendRefusal(res: ScopeguardResponse, next: NextFunction, refused: AuthRefused): void {
  if (!sendAnswer(res, refused.answer)) {
    next(refused.failure.cause ?? new Error(refused.failure.description));
  }
}
