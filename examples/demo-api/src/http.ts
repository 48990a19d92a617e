/** One call to the API. */
export interface ApiRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Access token, sent in `Authorization`. */
  token?: string | undefined;
  /** How the token is sent: `Bearer` (default) or `DPoP` (RFC 9449, with {@link dpop}). */
  scheme?: 'Bearer' | 'DPoP' | undefined;
  /** The `DPoP` proof header (RFC 9449), if any. */
  dpop?: string | undefined;
  /** JSON body. */
  body?: unknown;
}

/** What the API answered. */
export interface ApiResponse {
  status: number;
  statusText: string;
  /** The `WWW-Authenticate` header, if any. */
  wwwAuthenticate: string | undefined;
  /** Parsed JSON body, or the raw text when it is not JSON (`undefined` when empty). */
  body: unknown;
}

/** Calls the API with `fetch` and reads the whole answer. */
export async function callApi(request: ApiRequest, fetchImpl: typeof fetch = fetch): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token !== undefined)
    headers['authorization'] = `${request.scheme ?? 'Bearer'} ${request.token}`;
  if (request.dpop !== undefined) headers['dpop'] = request.dpop;
  let body: string | undefined;
  if (request.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.body);
  }
  const response = await fetchImpl(request.url, {
    method: request.method,
    headers,
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return readApiResponse(response);
}

/** Reads a whole answer of the API (whoever sent the request). */
export async function readApiResponse(response: Response): Promise<ApiResponse> {
  const text = await response.text();
  let parsed: unknown = text === '' ? undefined : text;
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return {
    status: response.status,
    statusText: response.statusText,
    wwwAuthenticate: response.headers.get('www-authenticate') ?? undefined,
    body: parsed,
  };
}
