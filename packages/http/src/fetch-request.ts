import { isFormContentType } from './bearer.js';
import type { HeaderValue, HttpRequest } from './types.js';

/**
 * The parts of a WHATWG `Request` the view reads (any runtime's: Node's, Deno's, Bun's, workerd's,
 * Next.js's `NextRequest`, Hono's `c.req.raw`). Structural, so no DOM or runtime typing is needed.
 */
export interface FetchRequestLike {
  readonly method: string;
  /** The absolute URL the runtime made of the request (often from `Host`: see {@link FetchRequestExtras.url}). */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

/** What a fetch-style adapter knows beyond the `Request` itself. */
export interface FetchRequestExtras {
  /**
   * The request's absolute URL from configuration or a trusted proxy setting. `request.url` is not
   * used for it: most runtimes build it from the `Host` header.
   */
  url?: string | undefined;
  /** The parsed form body, when the adapter read one (see {@link readsFormBody}). */
  body?: unknown;
}

class FetchRequestView implements HttpRequest {
  readonly #request: FetchRequestLike;
  readonly #extras: FetchRequestExtras | undefined;

  constructor(request: FetchRequestLike, extras: FetchRequestExtras | undefined) {
    this.#request = request;
    this.#extras = extras;
  }

  get method(): string {
    return this.#request.method;
  }

  get target(): string {
    return this.#request.url;
  }

  get url(): string | undefined {
    return this.#extras?.url;
  }

  get body(): unknown {
    return this.#extras?.body;
  }

  header(name: string): HeaderValue {
    return this.#request.headers.get(name) ?? undefined;
  }
}

/**
 * Describes a WHATWG `Request` for the layer, without copying anything: headers are read with
 * `headers.get(name)` on demand. A fetch `Headers` object joins the field lines of a repeated header
 * with `", "` (two `Authorization` headers become `Bearer a, Bearer b`, or `Basic x, Bearer a`), and
 * the `Authorization` parser refuses every such joined value as malformed, so a repeated
 * `Authorization` header is a 400 here as it is through `nodeRequest` (issue 11, F5). The target is
 * the absolute `request.url` (its query is read only when `allowQueryToken` is on).
 */
export function fetchRequest(request: FetchRequestLike, extras?: FetchRequestExtras): HttpRequest {
  return new FetchRequestView(request, extras);
}

/**
 * Whether the layer will look at a form body of this request: `allowBodyToken` is on and the request
 * says `Content-Type: application/x-www-form-urlencoded` (RFC 6750 §2.2). A fetch-style adapter reads
 * and parses the body (asynchronously, before authenticating) only then; any other request's body is
 * never touched.
 */
export function readsFormBody(
  request: FetchRequestLike,
  settings: { readonly allowBodyToken: boolean },
): boolean {
  if (!settings.allowBodyToken) return false;
  const contentType = request.headers.get('content-type');
  return contentType !== null && isFormContentType(contentType);
}
