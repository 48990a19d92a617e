import { describeValue } from './errors.js';
import type { ScopeguardEvent } from './events.js';
import { FetchJsonError, fetchJson } from './fetch-json.js';
import { isSecureOrLoopback } from './loopback.js';
import type { FetchFunction } from './types.js';

/** Options of {@link discoverJwksUri}. */
export interface DiscoveryOptions {
  /** The configured issuer; the metadata's `issuer` must equal it exactly. */
  issuer: string;
  /** The `fetch` to use. */
  fetch: FetchFunction;
  /** Abort each metadata request after this many milliseconds. */
  timeoutMs: number;
  /** Refuse metadata documents larger than this many bytes. */
  maxBytes: number;
  /** Receives `discovery_completed` / `discovery_failed`. */
  emit: (event: ScopeguardEvent) => void;
}

type MetadataSource = 'oauth-authorization-server' | 'openid-configuration';

const METADATA_SOURCES: readonly MetadataSource[] = ['oauth-authorization-server', 'openid-configuration'];

/** What was wrong with a metadata document (as opposed to the request for it). */
export type DiscoveryProblem = 'not_object' | 'issuer_mismatch' | 'jwks_uri';

/**
 * A metadata document was fetched but cannot be used: it is not an object, it names another issuer, or
 * its `jwks_uri` is missing or insecure. These look like configuration, not an outage.
 */
export class DiscoveryError extends Error {
  /** What was wrong. */
  readonly problem: DiscoveryProblem;
  /** The metadata URL that answered. */
  readonly url: string;
  /** For `issuer_mismatch`: the metadata's `issuer` member, as found. */
  readonly found: unknown;

  constructor(problem: DiscoveryProblem, url: string, message: string, found?: unknown) {
    super(message);
    this.name = 'DiscoveryError';
    this.problem = problem;
    this.url = url;
    this.found = found;
  }
}

/**
 * Checks a `jwks_uri`: an absolute `https:` URL, or `http:` on a loopback host only, judged on the parsed
 * URL. Returns it in canonical form (`new URL(value).href`, what is then fetched), or throws a
 * {@link DiscoveryError} saying what is wrong.
 */
export function validateJwksUri(value: unknown, where: string): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new DiscoveryError(
      'jwks_uri',
      where,
      `${where}: "jwks_uri" ${describeValue(value)} is not an absolute URL`,
    );
  }
  const url = new URL(value);
  if (isSecureOrLoopback(url)) return url.href;
  throw new DiscoveryError(
    'jwks_uri',
    where,
    `${where}: "jwks_uri" ${describeValue(value)} must be https: (http: only on a loopback host)`,
  );
}

/**
 * The URL of `path` under `issuer`, built from the parsed issuer (canonical form), without doubling a
 * trailing slash: `https://x/oauth2/default` + `v1/keys` → `https://x/oauth2/default/v1/keys`.
 */
function metadataUrl(issuer: string, path: string): string {
  const url = new URL(issuer);
  let base = url.pathname;
  while (base.endsWith('/')) base = base.slice(0, -1);
  url.pathname = `${base}/${path}`;
  url.search = '';
  url.hash = '';
  return url.href;
}

/**
 * A 4xx answer means "no such document here": try the next one. A 5xx (or 429) means "try later": falling
 * back then could pin a wrong JWKS URI for good, so it is treated like a network error.
 */
function isNotServedHere(error: unknown): boolean {
  return (
    error instanceof FetchJsonError &&
    error.reason === 'status' &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 429
  );
}

/**
 * Finds the issuer's JWKS URI: `${issuer}/.well-known/oauth-authorization-server` (RFC 8414, where Okta
 * serves it), then `${issuer}/.well-known/openid-configuration`; when both answer with a 4xx status, Okta's
 * fixed `${issuer}/v1/keys` (source `okta-default`).
 *
 * The metadata's `issuer` must equal `options.issuer` exactly, so a misconfigured or hostile document can
 * not redirect key trust; its `jwks_uri` must be `https:` (or `http:` on a loopback host) and is returned
 * in canonical form. Metadata URLs are built from the parsed issuer. A network error,
 * timeout, 5xx/429 status, oversized or non-JSON answer throws instead of falling back, so the caller can
 * report `jwks_unavailable` and retry later. Emits `discovery_completed`, or `discovery_failed` before
 * throwing: the `FetchJsonError` of a failed request, or a {@link DiscoveryError} for an unusable document;
 * either message names the URL and the problem.
 */
export async function discoverJwksUri(options: DiscoveryOptions): Promise<string> {
  const { issuer, emit } = options;
  try {
    for (const source of METADATA_SOURCES) {
      const url = metadataUrl(issuer, `.well-known/${source}`);
      let metadata: unknown;
      try {
        metadata = await fetchJson(url, options);
      } catch (error) {
        if (isNotServedHere(error)) continue;
        throw error;
      }
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
        throw new DiscoveryError('not_object', url, `${url}: metadata is not a JSON object`);
      }
      const record = metadata as Record<string, unknown>;
      if (record['issuer'] !== issuer) {
        throw new DiscoveryError(
          'issuer_mismatch',
          url,
          `${url}: metadata "issuer" is ${describeValue(record['issuer'])}, expected exactly ${describeValue(issuer)}`,
          record['issuer'],
        );
      }
      const jwksUri = validateJwksUri(record['jwks_uri'], url);
      emit({ type: 'discovery_completed', issuer, jwksUri, source });
      return jwksUri;
    }
    const jwksUri = metadataUrl(issuer, 'v1/keys');
    emit({ type: 'discovery_completed', issuer, jwksUri, source: 'okta-default' });
    return jwksUri;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    emit({ type: 'discovery_failed', issuer, error: message });
    if (error instanceof FetchJsonError) throw error;
    if (error instanceof DiscoveryError) {
      throw new DiscoveryError(error.problem, error.url, `discovery failed: ${message}`, error.found);
    }
    throw new Error(`discovery failed: ${message}`, { cause: error });
  }
}
