import {
  type Algorithm,
  DEFAULT_ALGORITHMS,
  isSupportedAlgorithm,
  SUPPORTED_ALGORITHMS,
} from './algorithms.js';
import type { ClaimPolicy } from './claims.js';
import { ConfigError, describeValue } from './errors.js';
import type { EventListener } from './events.js';
import { isSecureOrLoopback } from './loopback.js';
import type { ThreadpoolMode } from './signature-scheduler.js';
import type { FetchFunction, JwksCacheOptions, VerifierOptions } from './types.js';

/** Documented defaults of every option (milliseconds unless said otherwise). */
export const DEFAULTS = Object.freeze({
  /** Seconds of leeway on `exp`, `nbf`, `iat`. */
  clockTolerance: 5,
  maxTokenLength: 16_384,
  jwks: Object.freeze({
    maxAge: 10 * 60_000,
    cooldown: 5_000,
    fetchTimeout: 5_000,
    maxResponseBytes: 512 * 1024,
    maxStale: 24 * 60 * 60_000,
    unknownKidTimeout: 10_000,
  }),
  cache: Object.freeze({ maxEntries: 10_000 }),
});

/** Options after validation and defaults. */
export interface ResolvedOptions {
  issuer: string;
  jwksUri: string | undefined;
  algorithms: readonly Algorithm[];
  maxTokenLength: number;
  claims: ClaimPolicy;
  jwks: Required<JwksCacheOptions>;
  cacheMaxEntries: number;
  fetch: FetchFunction;
  threadpool: ThreadpoolMode;
  onEvent: EventListener | undefined;
  warnings: boolean;
  now: () => number;
}

/**
 * Validates a URL option and returns it in canonical form (`new URL(value).href`): parseable, `https:` (or
 * `http:` on a loopback host), no fragment. The scheme is judged on the parsed URL, so `HTTPS://…`,
 * `" https://…"` and `"ht\ttps://…"` are read exactly as `fetch` will read them.
 */
export function checkUrl(option: string, value: unknown): string {
  return parseUrlOption(option, value).href;
}

function parseUrlOption(option: string, value: unknown): URL {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(option, `must be a URL string, found ${describeValue(value)}`);
  }
  if (!URL.canParse(value)) {
    throw new ConfigError(option, `must be an absolute URL, found ${describeValue(value)}`);
  }
  const url = new URL(value);
  if (url.hash || value.includes('#')) {
    throw new ConfigError(option, `must not have a fragment, found ${describeValue(value)}`);
  }
  if (isSecureOrLoopback(url)) return url;
  if (url.protocol === 'http:') {
    throw new ConfigError(
      option,
      `must use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and ::1), found ${describeValue(value)}`,
    );
  }
  throw new ConfigError(option, `must be an https: URL, found ${describeValue(value)}`);
}

/**
 * Validates `issuer`. It is compared *exactly* with each token's `iss` (RFC 9068 §4, RFC 8414 §3.3), so it
 * is kept as written; but it must already be written the way a URL parser reads it, or what is compared
 * and what is fetched would be two different things (`HTTPS://Example.com`, a leading space, a tab inside,
 * a backslash, a default port, `..` segments). The one difference allowed is the `/` that `URL` adds after a
 * bare origin (`https://example.okta.com` is how Okta writes its org issuer). No query either (RFC 8414 §2).
 */
export function checkIssuer(value: unknown): string {
  const url = parseUrlOption('issuer', value);
  const written = value as string;
  if (url.search || written.includes('?')) {
    throw new ConfigError('issuer', `must not have a query (RFC 8414 §2), found ${describeValue(written)}`);
  }
  const canonical = url.href;
  const bareOrigin = url.pathname === '/' && canonical === `${written}/`;
  if (written !== canonical && !bareOrigin) {
    const suggestion =
      url.pathname === '/' && !written.trimEnd().endsWith('/') ? canonical.slice(0, -1) : canonical;
    throw new ConfigError(
      'issuer',
      `${describeValue(written)} is not written in canonical form: a URL parser reads it as ${describeValue(suggestion)}. It is compared exactly with each token's "iss", so configure ${describeValue(suggestion)} (or the exact "iss" your tokens carry, if that is already canonical)`,
    );
  }
  return written;
}

function positive(option: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(
      option,
      `must be a ${allowZero ? 'non-negative' : 'positive'} number, found ${describeValue(value)}`,
    );
  }
  return value;
}

function stringList(option: string, value: unknown, required: boolean): string[] | undefined {
  if (value === undefined && !required) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((v) => typeof v === 'string' && v.length > 0)
  ) {
    throw new ConfigError(
      option,
      `must be a non-empty string or array of non-empty strings, found ${describeValue(value)}`,
    );
  }
  return [...list];
}

function algorithmList(value: unknown): Algorithm[] {
  if (value === undefined) return [...DEFAULT_ALGORITHMS];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError('algorithms', `must be a non-empty array, found ${describeValue(value)}`);
  }
  for (const alg of value) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^hs\d+$/i.test(alg))) {
      throw new ConfigError(
        'algorithms',
        `${describeValue(alg)} can never be enabled: a resource server verifies with public keys only (RFC 8725 §3.1, §3.2)`,
      );
    }
    if (!isSupportedAlgorithm(alg)) {
      throw new ConfigError(
        'algorithms',
        `${describeValue(alg)} is not supported (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`,
      );
    }
  }
  return [...new Set(value as Algorithm[])];
}

/**
 * Validates `createVerifier` options and fills in defaults. Throws `ConfigError` naming the option at
 * fault, so a misconfiguration stops the app at startup rather than refusing every request later.
 */
export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', `must be an object, found ${describeValue(options)}`);
  }
  const issuer = checkIssuer(options.issuer);
  const audiences = stringList('audience', options.audience, true) as string[];
  const jwksUri = options.jwksUri === undefined ? undefined : checkUrl('jwksUri', options.jwksUri);
  const clientIds = stringList('clientIds', options.clientIds, false);
  const algorithms = algorithmList(options.algorithms);
  const typ = options.typ ?? 'any';
  if (typ !== 'any' && typ !== 'strict') {
    throw new ConfigError('typ', `must be "any" or "strict", found ${describeValue(typ)}`);
  }
  const requiredClaims = Object.entries(options.requiredClaims ?? {});
  for (const [name, rule] of requiredClaims) {
    const ok =
      typeof rule === 'function' ||
      typeof rule === 'string' ||
      typeof rule === 'boolean' ||
      (typeof rule === 'number' && Number.isFinite(rule)) ||
      (typeof rule === 'object' && rule !== null && 'includes' in rule);
    if (!ok) {
      throw new ConfigError(
        `requiredClaims.${name}`,
        `must be a value, { includes }, or a predicate, found ${describeValue(rule)}`,
      );
    }
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function')
    throw new ConfigError('fetch', 'must be a function (no global fetch found)');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new ConfigError('onEvent', `must be a function, found ${describeValue(options.onEvent)}`);
  }
  const warnings = options.warnings ?? true;
  if (typeof warnings !== 'boolean') {
    throw new ConfigError('warnings', `must be true or false, found ${describeValue(warnings)}`);
  }
  const threadpool = options.threadpool ?? 'auto';
  if (threadpool !== 'auto' && threadpool !== 'never' && threadpool !== 'always') {
    throw new ConfigError(
      'threadpool',
      `must be "auto", "never" or "always", found ${describeValue(threadpool)}`,
    );
  }
  const jwks = options.jwks ?? {};
  const d = DEFAULTS.jwks;
  const cache = options.cache;
  return {
    issuer,
    jwksUri,
    algorithms,
    maxTokenLength: positive('maxTokenLength', options.maxTokenLength, DEFAULTS.maxTokenLength),
    claims: {
      issuer,
      audiences,
      clientIds,
      clockTolerance: positive('clockTolerance', options.clockTolerance, DEFAULTS.clockTolerance, true),
      maxTokenAge:
        options.maxTokenAge === undefined ? undefined : positive('maxTokenAge', options.maxTokenAge, 0),
      typ,
      requiredClaims,
    },
    jwks: {
      maxAge: positive('jwks.maxAge', jwks.maxAge, d.maxAge),
      cooldown: positive('jwks.cooldown', jwks.cooldown, d.cooldown, true),
      fetchTimeout: positive('jwks.fetchTimeout', jwks.fetchTimeout, d.fetchTimeout),
      maxResponseBytes: positive('jwks.maxResponseBytes', jwks.maxResponseBytes, d.maxResponseBytes),
      maxStale: positive('jwks.maxStale', jwks.maxStale, d.maxStale, true),
      unknownKidTimeout: positive(
        'jwks.unknownKidTimeout',
        jwks.unknownKidTimeout,
        d.unknownKidTimeout,
        true,
      ),
    },
    cacheMaxEntries:
      cache === false ? 0 : positive('cache.maxEntries', cache?.maxEntries, DEFAULTS.cache.maxEntries, true),
    fetch: fetchImpl,
    threadpool,
    onEvent: options.onEvent,
    warnings,
    now: options.now ?? Date.now,
  };
}
