/** One call to the API. */
export interface ApiRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Bearer access token, sent in `Authorization`. */
  token?: string | undefined;
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
  if (request.token !== undefined) headers['authorization'] = `Bearer ${request.token}`;
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
