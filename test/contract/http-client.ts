import { type Agent, request as httpRequest } from 'node:http';

/**
 * The contract's HTTP client: Node's `http.request`, so that what goes on the wire is exactly what a
 * row says (a repeated `Authorization` header is two field lines; no client library adds, merges or
 * normalises anything) and what comes back is read field line by field line (`rawHeaders`).
 */

/** One request of the contract. */
export interface ContractRequest {
  readonly method?: 'GET' | 'POST';
  /** Path and query, e.g. `/me?access_token=…`. */
  readonly path: string;
  /**
   * Header field lines, in order. A name given twice is sent as two field lines (Node's `setHeader` with
   * a list), which is the only way to send a repeated `Authorization` header.
   */
  readonly headers?: readonly (readonly [name: string, value: string])[];
  /** Request body, sent as is (with its `Content-Length`). */
  readonly body?: string;
}

/** One response, as received. */
export interface ContractResponse {
  readonly status: number;
  /** Field lines as received, names in lower case, repeats kept. */
  readonly fields: readonly (readonly [name: string, value: string])[];
  /** The body as text (UTF-8). */
  readonly body: string;
  /** Every field line's value for `name` (lower case), in order; `[]` when absent. */
  header(name: string): string[];
  /** The head and body as one text, for "never appears anywhere in the response" checks. */
  readonly everything: string;
}

/** How long one request may take before the test fails instead of hanging. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Sends `req` to `baseUrl` (e.g. `http://127.0.0.1:41234`); `agent` for keep-alive, else one connection. */
export function send(baseUrl: string, req: ContractRequest, agent?: Agent): Promise<ContractResponse> {
  const url = new URL(req.path, `${baseUrl}/`);
  const grouped = new Map<string, string[]>();
  for (const [name, value] of req.headers ?? []) {
    const list = grouped.get(name.toLowerCase());
    if (list === undefined) grouped.set(name.toLowerCase(), [value]);
    else list.push(value);
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      {
        method: req.method ?? 'GET',
        agent: agent ?? false,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = res.rawHeaders;
          const fields: [string, string][] = [];
          for (let i = 0; i + 1 < raw.length; i += 2) {
            fields.push([(raw[i] as string).toLowerCase(), raw[i + 1] as string]);
          }
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            fields,
            body,
            header: (name) => fields.filter(([n]) => n === name).map(([, value]) => value),
            everything: `${fields.map(([n, v]) => `${n}: ${v}`).join('\n')}\n\n${body}`,
          });
        });
      },
    );
    outgoing.on('error', reject);
    for (const [name, values] of grouped) {
      outgoing.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    }
    if (req.body !== undefined) outgoing.setHeader('content-length', Buffer.byteLength(req.body));
    outgoing.end(req.body);
  });
}
