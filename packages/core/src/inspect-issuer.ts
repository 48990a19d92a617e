import { type Algorithm, SUPPORTED_ALGORITHMS } from './algorithms.js';
import { isTokenError, TokenError } from './errors.js';
import type { ScopeguardEvent } from './events.js';
import { importJwk, importJwks } from './jwk-import.js';
import { resolveOptions } from './options.js';
import type { FetchFunction, ResourceVerifierOptions, VerifierOptions } from './types.js';
import { createVerifier } from './verifier.js';

/** One HTTP request a verifier made while loading its keys, as {@link inspectIssuer} saw it. */
export interface InspectedRequest {
  /** `metadata` (discovery) or `jwks`. */
  readonly purpose: 'metadata' | 'jwks';
  readonly url: string;
  /** The HTTP status, when an answer came. */
  readonly status?: number;
  /**
   * The response headers that matter here, lower-case names: `content-type`, `content-length`,
   * `cache-control`, `expires`, `etag`, `last-modified`, `age` (only those present).
   */
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes of body received (counting stops just past `jwks.maxResponseBytes`). */
  readonly bytes?: number;
  /** Why no answer came (network error, timeout). */
  readonly error?: string;
}

/** One key of the JWK Set and what a verifier configured this way makes of it. */
export interface InspectedKey {
  /** Position in the set's `keys` array. */
  readonly index: number;
  readonly kid?: string;
  readonly kty?: string;
  /** The JWK's own `alg` member, if any. */
  readonly alg?: string;
  readonly use?: string;
  readonly crv?: string;
  /** RSA modulus length, or the curve's size, in bits (when the key imports at all). */
  readonly bits?: number;
  /** The one algorithm the verifier binds this key to; absent when it ignores the key. */
  readonly boundTo?: Algorithm;
  /** Why the verifier ignores the key. */
  readonly ignored?: string;
  /** The algorithm the key would be bound to if every supported algorithm were allowed. */
  readonly couldVerify?: Algorithm;
}

/** What {@link inspectIssuer} found. */
export interface IssuerInspection {
  /** The configured issuer. */
  readonly issuer: string;
  /** The configured algorithm allowlist (defaults filled in). */
  readonly algorithms: readonly Algorithm[];
  /** Every request made, in order. */
  readonly requests: readonly InspectedRequest[];
  readonly discovery: {
    /** `skip` when `jwksUri` is configured (a verifier then does no discovery). */
    readonly status: 'pass' | 'fail' | 'skip';
    /** Which document answered: RFC 8414, OpenID Connect, or Okta's fixed `/v1/keys` fallback. */
    readonly source?: 'oauth-authorization-server' | 'openid-configuration' | 'okta-default';
    /** The metadata document that answered with a JSON object. */
    readonly metadataUrl?: string;
    /** That document's `issuer` member (any JSON value), to compare with the configured issuer. */
    readonly metadataIssuer?: unknown;
    /** Discovery's error message. */
    readonly error?: string;
  };
  readonly jwks: {
    /** `skip` when discovery failed first. */
    readonly status: 'pass' | 'fail' | 'skip';
    readonly uri?: string;
    /** Every key of the set, usable or not (empty when the set could not be read). */
    readonly keys: readonly InspectedKey[];
    /** Why loading failed: `status`, `timeout`, `network`, `too_large`, `invalid_json`, `not_jwks`, `no_usable_keys`. */
    readonly reason?: string;
    readonly error?: string;
  };
  /** True when a verifier configured this way loads usable keys, so it can verify tokens. */
  readonly canVerify: boolean;
  /** The keys it would verify with, per algorithm (`undefined` stands for a key without `kid`). */
  readonly accepts: readonly { readonly alg: Algorithm; readonly kids: readonly (string | undefined)[] }[];
  /**
   * When it cannot verify: `configuration` (metadata `issuer` mismatch, HTTP 4xx, not JSON, not a JWK Set,
   * no usable key for the allowed algorithms: fix the configuration or the issuer) or `unreachable`
   * (timeout, refused connection, 5xx, 429: try again later).
   */
  readonly problem?: 'configuration' | 'unreachable';
  /** What `refreshKeys()` rejected with. */
  readonly error?: TokenError;
}

const KEPT_HEADERS = [
  'content-type',
  'content-length',
  'cache-control',
  'expires',
  'etag',
  'last-modified',
  'age',
];

interface Recording {
  purpose?: 'metadata' | 'jwks';
  url: string;
  status?: number;
  headers: Record<string, string>;
  bytes?: number;
  error?: string;
  body?: string;
  done: Promise<void>;
}

/** Reads a copy of a body, at most `maxBytes + 1` bytes and at most `timeoutMs`; never throws. */
async function readCopy(
  recording: Recording,
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  timeoutMs: number,
) {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout' || next.done) break;
      total += next.value.byteLength;
      if (total > maxBytes) break;
      chunks.push(next.value);
    }
    if (total <= maxBytes) recording.body = Buffer.concat(chunks).toString('utf8');
  } catch {
    // The verifier's own read reports what went wrong.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
    recording.bytes = total;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

const CURVE_BITS: Readonly<Record<string, number>> = {
  'P-256': 256,
  'P-384': 384,
  'P-521': 521,
  Ed25519: 256,
};

/** Every key of a JWK Set, through the same import the JWKS cache uses. */
function inspectKeys(document: unknown, algorithms: readonly Algorithm[]): InspectedKey[] {
  if (!isRecord(document) || !Array.isArray(document['keys'])) return [];
  let usable: ReturnType<typeof importJwks>['keys'] = [];
  try {
    usable = importJwks(document, algorithms).keys;
  } catch {
    // Not a JWK Set: no key is usable.
  }
  return (document['keys'] as unknown[]).map((jwk, index): InspectedKey => {
    const member = (name: string) => (isRecord(jwk) ? optionalString(jwk[name]) : undefined);
    const anyAlg = importJwk(jwk, SUPPORTED_ALGORITHMS);
    const bound = importJwk(jwk, algorithms);
    const base = {
      index,
      kid: member('kid'),
      kty: member('kty'),
      alg: member('alg'),
      use: member('use'),
      crv: member('crv'),
      bits:
        'ignored' in anyAlg
          ? undefined
          : (anyAlg.key.asymmetricKeyDetails?.modulusLength ?? CURVE_BITS[member('crv') ?? '']),
      couldVerify: 'ignored' in anyAlg ? undefined : anyAlg.alg,
    };
    if ('ignored' in bound) return { ...base, ignored: bound.ignored };
    const kept = usable.find(
      (key) => key.kid === bound.kid && key.alg === bound.alg && key.key.equals(bound.key),
    );
    return kept
      ? { ...base, boundTo: kept.alg }
      : { ...base, ignored: 'duplicate kid: several usable keys share it, so none is used' };
  });
}

/**
 * Loads an issuer's keys exactly as a verifier with these options would (the same discovery, fetch, limits
 * and key import: it runs `createVerifier(options).refreshKeys()`), and reports every step: which metadata
 * document answered and its `issuer`, each HTTP answer (status, content type, size, cache headers), every
 * key of the JWK Set with the algorithm it is bound to or why it is ignored, and what such a verifier would
 * accept. For `scopeguard doctor`, and for a readiness probe that explains itself.
 *
 * Rejects only with `ConfigError` (unusable options); an issuer that cannot be used is a result
 * (`canVerify: false`, with `problem` and `error`). The verifier's own events still reach `onEvent`.
 * One issuer at a time: for a verifier with several, inspect each with its own options.
 *
 * @example
 * const report = await inspectIssuer({ issuer, audience: 'api://default' });
 * if (!report.canVerify) console.error(report.problem, report.error?.message);
 */
export async function inspectIssuer(
  options: VerifierOptions | ResourceVerifierOptions,
): Promise<IssuerInspection> {
  const resolved = resolveOptions(options);
  const recordings: Recording[] = [];
  const recordingFetch: FetchFunction = async (input, init) => {
    const recording: Recording = { url: String(input), headers: {}, done: Promise.resolve() };
    recordings.push(recording);
    let response: Response;
    try {
      response = await resolved.fetch(input, init);
    } catch (error) {
      recording.error =
        error instanceof Error
          ? error.cause instanceof Error
            ? `${error.message} (${error.cause.message})`
            : error.message
          : String(error);
      throw error;
    }
    recording.status = response.status;
    for (const name of KEPT_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) recording.headers[name] = value;
    }
    const copy = response.clone();
    if (copy.body) {
      recording.done = readCopy(
        recording,
        copy.body,
        resolved.jwks.maxResponseBytes,
        resolved.jwks.fetchTimeout,
      );
    }
    return response;
  };

  const events: ScopeguardEvent[] = [];
  const verifier = createVerifier({
    ...options,
    cache: false,
    fetch: recordingFetch,
    // The report says what is wrong; a SCOPEGUARD_CONFIG process warning would say it twice.
    warnings: options.warnings ?? false,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  let error: TokenError | undefined;
  try {
    await verifier.refreshKeys();
  } catch (caught) {
    error = isTokenError(caught)
      ? caught
      : new TokenError('jwks_unavailable', String(caught), { cause: caught });
  }
  await Promise.all(recordings.map((recording) => recording.done));

  const discovered = events.find((e) => e.type === 'discovery_completed');
  const discoveryFailed = events.find((e) => e.type === 'discovery_failed');
  const fetched = events.find((e) => e.type === 'jwks_fetched');
  const fetchFailed = events.find((e) => e.type === 'jwks_fetch_failed');
  const jwksUri =
    resolved.jwksUri ?? (discovered?.type === 'discovery_completed' ? discovered.jwksUri : undefined);
  for (const recording of recordings) recording.purpose = recording.url === jwksUri ? 'jwks' : 'metadata';

  const answered = recordings.find(
    (r) =>
      r.purpose === 'metadata' && r.status !== undefined && r.status < 300 && isRecord(parseJson(r.body)),
  );
  const metadata = answered && (parseJson(answered.body) as Record<string, unknown>);
  const discovery: IssuerInspection['discovery'] =
    resolved.jwksUri !== undefined
      ? { status: 'skip' }
      : {
          status: discovered ? 'pass' : 'fail',
          ...(discovered?.type === 'discovery_completed' ? { source: discovered.source } : {}),
          ...(answered ? { metadataUrl: answered.url, metadataIssuer: metadata?.['issuer'] } : {}),
          ...(discoveryFailed?.type === 'discovery_failed' ? { error: discoveryFailed.error } : {}),
        };

  const jwksRecording = recordings.findLast((r) => r.purpose === 'jwks');
  const keys = inspectKeys(parseJson(jwksRecording?.body), resolved.algorithms);
  // A well-formed set with no usable key is installed (it is authoritative) but refuses every token.
  const unusable = events.find((e) => e.type === 'jwks_no_usable_key');
  const failure =
    fetchFailed?.type === 'jwks_fetch_failed'
      ? fetchFailed
      : unusable?.type === 'jwks_no_usable_key' && error
        ? { reason: 'no_usable_keys', error: error.message }
        : undefined;
  const loaded = fetched !== undefined && unusable === undefined;
  const jwks: IssuerInspection['jwks'] =
    jwksUri === undefined
      ? { status: 'skip', keys }
      : {
          status: loaded ? 'pass' : 'fail',
          uri: jwksUri,
          keys,
          ...(loaded || !failure ? {} : { reason: failure.reason, error: failure.error }),
        };

  const accepts: { alg: Algorithm; kids: (string | undefined)[] }[] = [];
  if (!error) {
    for (const key of keys) {
      if (key.boundTo === undefined) continue;
      let entry = accepts.find((a) => a.alg === key.boundTo);
      if (!entry) {
        entry = { alg: key.boundTo, kids: [] };
        accepts.push(entry);
      }
      entry.kids.push(key.kid);
    }
  }

  let problem: IssuerInspection['problem'];
  if (error) {
    const reason = failure?.reason;
    const lastStatus = recordings.findLast(
      (r) => r.status !== undefined && (r.status < 200 || r.status > 299),
    )?.status;
    const transient =
      reason === 'timeout' ||
      reason === 'network' ||
      (reason === 'status' && (lastStatus === undefined || lastStatus >= 500 || lastStatus === 429));
    problem = transient ? 'unreachable' : 'configuration';
  }

  return {
    issuer: resolved.issuer,
    algorithms: resolved.algorithms,
    requests: recordings.map(({ purpose, url, status, headers, bytes, error: requestError }) => ({
      purpose: purpose ?? 'metadata',
      url,
      headers,
      ...(status === undefined ? {} : { status }),
      ...(bytes === undefined ? {} : { bytes }),
      ...(requestError === undefined ? {} : { error: requestError }),
    })),
    discovery,
    jwks,
    canVerify: error === undefined,
    accepts,
    ...(problem ? { problem } : {}),
    ...(error ? { error } : {}),
  };
}
