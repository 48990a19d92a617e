import { truncateForLog } from './events.js';
import type { FetchFunction } from './types.js';
import { isSecureOrLoopback, redirectRefusal } from './loopback.js';

/** Why {@link fetchJson} failed. */
export type FetchJsonFailure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'too_large'
  | 'invalid_json'
  /** A redirect that was not followed: an insecure hop, too many hops, no usable `Location`. */
  | 'redirect'
  /** The URL itself is not one scopeguard may fetch (not https:, nor http: on a loopback host). */
  | 'insecure';

/** A failed {@link fetchJson}: `reason` says what went wrong; the message names the URL. */
export class FetchJsonError extends Error {
  /** What went wrong. */
  readonly reason: FetchJsonFailure;
  /** The URL that was requested (canonical form), before any redirect. */
  readonly url: string;
  /** The HTTP status, for `reason: 'status'` (and the 3xx status of a refused redirect). */
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

function timedOut(where: string, options: FetchJsonOptions, url: string, cause?: unknown): FetchJsonError {
  return new FetchJsonError('timeout', url, `GET ${where} timed out after ${options.timeoutMs} ms`, {
    cause,
  });
}

/** Reads at most `maxBytes` of `body`, giving up when `signal` aborts (a server that trickles its body). */
async function readLimited(
  body: ReadableStream<Uint8Array>,
  where: string,
  url: string,
  options: FetchJsonOptions,
  signal: AbortSignal,
): Promise<Buffer> {
  const reader = body.getReader();
  const timeout = () => timedOut(where, options, url);
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
          `GET ${where}: response body exceeds ${options.maxBytes} bytes`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof FetchJsonError) throw error;
    if (signal.aborted) throw timeout();
    throw new FetchJsonError(
      'network',
      url,
      `GET ${where}: reading the response failed: ${errorText(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks, total);
}

/** Most redirects {@link fetchJson} follows before giving up. */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * GETs `url` with `Accept: application/json` and returns the parsed JSON body. The whole exchange, every
 * redirect and the body included, is aborted after `timeoutMs`; a non-2xx status, a body over `maxBytes`
 * (from `Content-Length`, then counted while streaming) and a body that is not UTF-8 JSON are refused.
 *
 * URLs are judged parsed and requested in canonical form (`new URL(url).href`), never as the text given.
 * Redirects are followed by hand (`redirect: 'manual'`), at most {@link MAX_REDIRECTS}, and each `Location`
 * (resolved against the URL that answered) is checked with {@link redirectRefusal} *before* it is
 * requested: an insecure hop (https: to http:, loopback to another host, a non-http(s) scheme) is refused
 * without sending it anything (RFC 8725 §3.10 asks the same care of every URL a verifier fetches). A
 * `fetch` that follows redirects itself despite `redirect: 'manual'` is refused too: its hops could not
 * be checked.
 *
 * Rejects only with {@link FetchJsonError}; its message names the URL (and the redirect that led there) and
 * the failure, and quotes at most a short, sanitised excerpt of the body.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  if (!URL.canParse(url)) {
    throw new FetchJsonError('insecure', url, `GET ${truncateForLog(url, 200)}: not an absolute URL`);
  }
  let current = new URL(url);
  const first = current.href;
  if (!isSecureOrLoopback(current)) {
    throw new FetchJsonError(
      'insecure',
      first,
      `GET ${first} refused: only https:, or http: on a loopback host, may be fetched`,
    );
  }
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  let where = first;
  for (let hop = 0; ; hop++) {
    const href = current.href;
    where = hop === 0 ? href : `${href} (redirected from ${first})`;
    try {
      response = await options.fetch(href, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw timedOut(where, options, first, error);
      throw new FetchJsonError('network', first, `GET ${where} failed: ${errorText(error)}`, {
        cause: error,
      });
    }
    if (response.redirected || response.type === 'opaqueredirect') {
      cancelQuietly(response.body);
      throw new FetchJsonError(
        'redirect',
        first,
        `GET ${where}: the fetch function followed a redirect itself${response.url ? ` (to ${truncateForLog(response.url, 200)})` : ''}; it must honour redirect: "manual" so that each hop can be checked`,
      );
    }
    if (!REDIRECT_STATUSES.has(response.status)) break;
    cancelQuietly(response.body);
    const location = response.headers.get('location');
    if (location === null || !URL.canParse(location, href)) {
      throw new FetchJsonError(
        'redirect',
        first,
        `GET ${where} answered HTTP ${response.status} without a usable Location (${location === null ? 'none' : `"${truncateForLog(location, 200)}"`})`,
        { status: response.status },
      );
    }
    const next = new URL(location, href);
    const refusal = redirectRefusal(current, next);
    if (refusal !== undefined) {
      throw new FetchJsonError(
        'redirect',
        first,
        `GET ${where} redirected to ${truncateForLog(next.href, 200)}, which was not followed: ${refusal}`,
        { status: response.status },
      );
    }
    if (hop + 1 > MAX_REDIRECTS) {
      throw new FetchJsonError(
        'redirect',
        first,
        `GET ${first}: more than ${MAX_REDIRECTS} redirects (the last to ${truncateForLog(next.href, 200)})`,
        { status: response.status },
      );
    }
    current = next;
  }

  if (response.status < 200 || response.status > 299) {
    cancelQuietly(response.body);
    throw new FetchJsonError('status', first, `GET ${where} answered HTTP ${response.status}`, {
      status: response.status,
    });
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    cancelQuietly(response.body);
    throw new FetchJsonError(
      'too_large',
      first,
      `GET ${where}: Content-Length ${declared} exceeds the ${options.maxBytes}-byte limit`,
    );
  }

  const bytes = response.body
    ? await readLimited(response.body, where, first, options, signal)
    : Buffer.alloc(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new FetchJsonError('invalid_json', first, `GET ${where}: response body is not UTF-8`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    // No `cause`: V8's SyntaxError quotes the body, and only a short, sanitised excerpt may be reported.
    const excerpt = text.length === 0 ? 'an empty body' : `"${truncateForLog(text.trim(), EXCERPT_CHARS)}"`;
    throw new FetchJsonError(
      'invalid_json',
      first,
      `GET ${where}: response is not JSON (starts with ${excerpt})`,
    );
  }
}
