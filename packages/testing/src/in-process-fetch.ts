/** The signature of the global `fetch`, for code that accepts an injected fetch. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Answers one HTTP request; the in-process fetch and the loopback server both call it. */
export type RequestHandler = (request: Request) => Promise<Response>;

/** Thrown by a {@link RequestHandler} to drop the connection without answering (like a reset socket). */
export class ConnectionDropped extends Error {
  constructor(message = 'socket hang up') {
    super(message);
    this.name = 'ConnectionDropped';
  }
}

function networkError(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/**
 * Builds a fetch that answers requests for `origin` by calling `handler` in-process: no socket is opened.
 * It behaves like the global fetch where it matters to clients: it rejects with `TypeError('fetch failed')`
 * for other origins, after `closed` is aborted, and when the handler drops the connection; it rejects with
 * the abort reason when the request's signal aborts.
 */
export function createInProcessFetch(
  origin: string,
  handler: RequestHandler,
  closed: AbortSignal,
): FetchLike {
  return async (input, init) => {
    const request = new Request(input, init);
    request.signal.throwIfAborted();
    const url = new URL(request.url);
    if (url.origin !== origin) {
      throw networkError(new Error(`${url.origin} is not served by this in-process fetch (only ${origin})`));
    }
    if (closed.aborted) throw networkError(new Error('connect ECONNREFUSED: the test issuer is closed'));
    let response: Response;
    try {
      response = await handler(request);
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      throw networkError(error);
    }
    Object.defineProperty(response, 'url', { value: request.url });
    return response;
  };
}
