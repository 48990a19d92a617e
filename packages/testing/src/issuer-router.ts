import { ConnectionDropped, type RequestHandler } from './in-process-fetch.js';
import type { WritableRequestLog } from './request-log.js';

/** One route of the issuer's HTTP surface, keyed by exact pathname. */
export interface Route {
  /** Name recorded in the request log (`jwks`, `metadata`, `token`, ...). */
  name: string;
  method: string;
  pathname: string;
  handle(request: Request): Promise<Response> | Response;
}

/** Builds a JSON response. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * Dispatches requests to `routes` by exact pathname and method (HEAD is answered like GET, without a body),
 * records each one in `log`, answers 404/405 otherwise and 500 when a route throws. A route that drops the
 * connection, or that ends because the client or the issuer gave up (`closed`), propagates its error.
 */
export function createRouter(
  routes: readonly Route[],
  log: WritableRequestLog,
  closed: AbortSignal,
): RequestHandler {
  return async (request) => {
    const { pathname } = new URL(request.url);
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const candidates = routes.filter((route) => route.pathname === pathname);
    const route = candidates.find((candidate) => candidate.method === method);
    log.record({ method: request.method, pathname, route: route?.name ?? 'unknown', at: Date.now() });
    let response: Response;
    if (!route) {
      response =
        candidates.length === 0
          ? jsonResponse({ error: 'not_found', error_description: `No route for ${pathname}` }, 404)
          : jsonResponse({ error: 'method_not_allowed' }, 405, {
              allow: [...new Set(candidates.map((candidate) => candidate.method))].join(', '),
            });
    } else {
      try {
        response = await route.handle(request);
      } catch (error) {
        if (error instanceof ConnectionDropped || request.signal.aborted || closed.aborted) throw error;
        response = jsonResponse({ error: 'server_error', error_description: String(error) }, 500);
      }
    }
    return request.method === 'HEAD'
      ? new Response(null, { status: response.status, headers: response.headers })
      : response;
  };
}
