import { truncateForLog } from './events.js';
import type { FetchFunction } from './types.js';
import { isSecureOrLoopback } from './loopback.js';

/** Why {@link fetchJson} failed. */
export type FetchJsonFailure = 'timeout' | 'network' | 'status' | 'too_large' | 'invalid_json';

/** A failed {@link fetchJson}: `reason` says what went wrong; the message names the URL. */
export class FetchJsonError extends Error {
  /** What went wrong. */
  readonly reason: FetchJsonFailure;
  /** The URL that was requested. */
  readonly url: string;
  /** The HTTP status, for `reason: 'status'`. */
  readonly status: number | undefined;

  constructor(
    reason: FetchJsonFailure,
    url: string,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FetchJsonError';
    this.reason = reason;
    this.url = url;
    this.status = options.status;
  }
}

/** Options of {@link fetchJson}. */
export interface FetchJsonOptions {
  /** The `fetch` to use (the global one, or the user's). */
  fetch: FetchFunction;
  /** Abort the whole exchange (headers and body) after this many milliseconds. */
  timeoutMs: number;
  /** Refuse a body larger than this many bytes (after decompression). */
  maxBytes: number;
}

const EXCERPT_CHARS = 60;

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const detail = cause instanceof Error ? cause.message : undefined;
  return detail && detail !== error.message ? `${error.message} (${detail})` : error.message;
}

function cancelQuietly(body: ReadableStream<Uint8Array> | null): void {
  body?.cancel().catch(() => {});
}

/** Reads at most `maxBytes` of `body`, giving up when `signal` aborts (a server that trickles its body). */
async function readLimited(
  body: ReadableStream<Uint8Array>,
  url: string,
  options: FetchJsonOptions,
  signal: AbortSignal,
): Promise<Buffer> {
  const reader = body.getReader();
  const timeout = () =>
    new FetchJsonError('timeout', url, `GET ${url} timed out after ${options.timeoutMs} ms`);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(timeout());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        throw new FetchJsonError(
          'too_large',
          url,
          `GET ${url}: response body exceeds ${options.maxBytes} bytes`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof FetchJsonError) throw error;
    if (signal.aborted) throw timeout();
    throw new FetchJsonError('network', url, `GET ${url}: reading the response failed: ${errorText(error)}`, {
      cause: error,
    });
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks, total);
}

/**
 * GETs `url` with `Accept: application/json` and returns the parsed JSON body. Redirects are followed,
 * except from `https:` to a non-loopback `http:` URL (a downgrade). The whole exchange, body included,
 * is aborted after `timeoutMs`; a non-2xx status, a body over `maxBytes` (from `Content-Length`, then
 * counted while streaming) and a body that is not JSON are refused.
 *
 * Rejects only with {@link FetchJsonError}; its message names the URL and the failure, and quotes at most
 * a short, sanitised excerpt of the body.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'follow',
      signal,
    });
  } catch (error) {
    if (signal.aborted) {
      throw new FetchJsonError('timeout', url, `GET ${url} timed out after ${options.timeoutMs} ms`, {
        cause: error,
      });
    }
    throw new FetchJsonError('network', url, `GET ${url} failed: ${errorText(error)}`, { cause: error });
  }

  if (response.redirected && url.startsWith('https:')) {
    if (!URL.canParse(response.url) || !isSecureOrLoopback(new URL(response.url))) {
      cancelQuietly(response.body);
      throw new FetchJsonError('network', url, `GET ${url} was redirected to insecure ${response.url}`);
    }
  }
  if (response.status < 200 || response.status > 299) {
    cancelQuietly(response.body);
    throw new FetchJsonError('status', url, `GET ${url} answered HTTP ${response.status}`, {
      status: response.status,
    });
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    cancelQuietly(response.body);
    throw new FetchJsonError(
      'too_large',
      url,
      `GET ${url}: Content-Length ${declared} exceeds the ${options.maxBytes}-byte limit`,
    );
  }

  const bytes = response.body ? await readLimited(response.body, url, options, signal) : Buffer.alloc(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new FetchJsonError('invalid_json', url, `GET ${url}: response body is not UTF-8`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch {
    // No `cause`: V8's SyntaxError quotes the body, and only a short, sanitised excerpt may be reported.
    const excerpt = text.length === 0 ? 'an empty body' : `"${truncateForLog(text.trim(), EXCERPT_CHARS)}"`;
    throw new FetchJsonError(
      'invalid_json',
      url,
      `GET ${url}: response is not JSON (starts with ${excerpt})`,
    );
  }
}
