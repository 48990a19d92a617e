/** Which route of the issuer answered a request. `unknown` is anything that got a 404 or 405. */
export type IssuerRouteName = 'metadata' | 'jwks' | 'unknown' | (string & {});

/** One request the issuer received. */
export interface RecordedRequest {
  readonly method: string;
  /** The request's path, without query string. */
  readonly pathname: string;
  readonly route: IssuerRouteName;
  /** `Date.now()` when it arrived. */
  readonly at: number;
}

/** Counts what the issuer was asked, by route and by path, so tests can assert e.g. "exactly one JWKS fetch". */
export interface RequestLog {
  /** Requests answered by the JWKS route (failed and hung ones included). */
  readonly jwks: number;
  /** Requests for any of the metadata documents. */
  readonly metadata: number;
  /** Every request received. */
  readonly total: number;
  /** Every request received, oldest first. */
  readonly all: readonly RecordedRequest[];
  /** Requests for exactly this path (e.g. `'/oauth2/default/v1/keys'`); throws on anything not starting with `/`. */
  count(pathname: string): number;
  /** Requests answered by the named route (e.g. `'token'` on the dev authorization server). */
  countRoute(route: IssuerRouteName): number;
  /** Forgets everything recorded so far. */
  reset(): void;
}

/** A {@link RequestLog} that the issuer writes to. */
export interface WritableRequestLog extends RequestLog {
  record(request: RecordedRequest): void;
}

/** Creates an empty request log. */
export function createRequestLog(): WritableRequestLog {
  let entries: RecordedRequest[] = [];
  const countRoute = (route: IssuerRouteName) => entries.filter((entry) => entry.route === route).length;
  return {
    get jwks() {
      return countRoute('jwks');
    },
    get metadata() {
      return countRoute('metadata');
    },
    get total() {
      return entries.length;
    },
    get all() {
      return [...entries];
    },
    count(pathname) {
      // A route name here (count('jwks')) would silently count nothing: make that mistake loud.
      if (!pathname.startsWith('/')) {
        throw new TypeError(
          `count() takes a path such as '/oauth2/default/v1/keys'; for a route use countRoute(${JSON.stringify(pathname)}) or .jwks`,
        );
      }
      return entries.filter((entry) => entry.pathname === pathname).length;
    },
    countRoute,
    reset() {
      entries = [];
    },
    record(request) {
      entries.push(request);
    },
  };
}
