import type { HttpAnswer, ResponseHeaders } from '@scopeguard/http';

/**
 * Appends the layer's headers to a WHATWG `Headers`: a list (`WWW-Authenticate` with several
 * challenges) becomes one `append` per entry, so each challenge stays a separate value. Use it to add
 * the headers of a granted result to the application's own response:
 * `appendHeaders(response.headers, result.headers)`.
 */
export function appendHeaders(target: Headers, headers: ResponseHeaders): void {
  for (const name in headers) {
    const value = headers[name] as string | readonly string[];
    if (typeof value === 'string') target.append(name, value);
    else for (const item of value) target.append(name, item);
  }
}

/**
 * The `Response` for an answer of the layer (a refusal, or the RFC 9728 metadata document): its status, headers (`WWW-Authenticate`, `Retry-After`,
 * `Cache-Control`, `Content-Type`) and body, plus `extra` headers (those of an authentication that
 * succeeded before a scope check refused). Nothing here decides a status or a header: the layer did.
 */
export function answerResponse(
  answer: Omit<HttpAnswer, 'status'> & { readonly status: number },
  extra?: ResponseHeaders,
): Response {
  const headers = new Headers();
  appendHeaders(headers, answer.headers);
  if (extra !== undefined) appendHeaders(headers, extra);
  return new Response(answer.body ?? null, { status: answer.status, headers });
}
