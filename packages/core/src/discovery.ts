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

/**
 * Checks a `jwks_uri`: an absolute `https:` URL, or `http:` on a loopback host only. Returns the URL as
 * given, or throws an `Error` saying what is wrong.
 */
export function validateJwksUri(value: unknown, where: string): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new Error(`${where}: "jwks_uri" ${describeValue(value)} is not an absolute URL`);
  }
  if (isSecureOrLoopback(new URL(value))) return value;
  throw new Error(
    `${where}: "jwks_uri" ${describeValue(value)} must be https: (http: only on a loopback host)`,
  );
}

/** The metadata URL for `source` under `issuer` (without doubling a trailing slash). */
function metadataUrl(issuer: string, path: string): string {
  return `${issuer.replace(/\/+$/, '')}/${path}`;
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
 * not redirect key trust; its `jwks_uri` must be `https:` (or `http:` on a loopback host). A network error,
 * timeout, 5xx/429 status, oversized or non-JSON answer throws instead of falling back, so the caller can
 * report `jwks_unavailable` and retry later. Emits `discovery_completed`, or `discovery_failed` before
 * throwing an `Error` whose message names the URL and the problem.
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
        throw new Error(`${url}: metadata is not a JSON object`);
      }
      const record = metadata as Record<string, unknown>;
      if (record['issuer'] !== issuer) {
        throw new Error(
          `${url}: metadata "issuer" is ${describeValue(record['issuer'])}, expected exactly ${describeValue(issuer)}`,
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
    throw error instanceof FetchJsonError
      ? error
      : new Error(`discovery failed: ${message}`, { cause: error });
  }
}
