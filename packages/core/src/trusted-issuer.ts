import type { Algorithm } from './algorithms.js';
import { type ClaimPolicy, checkRequiredClaims } from './claims.js';
import { createConfigWarner } from './config-warnings.js';
import { discoverJwksUri } from './discovery.js';
import { describeValue, isTokenError, TokenError } from './errors.js';
import type { ScopeguardEvent } from './events.js';
import { JwksCache } from './jwks-cache.js';
import type { ResolvedIssuer } from './options.js';
import type { FetchFunction, ImportedKey, VerifiedToken } from './types.js';

/** What every trusted issuer of one verifier shares. */
export interface IssuerRuntime {
  fetch: FetchFunction;
  emit: (event: ScopeguardEvent) => void;
  warnings: boolean;
  now: () => number;
}

/**
 * One trusted issuer inside a verifier: its settings and its own key state (discovery, JWKS cache,
 * cooldown, stale window), shared with no other issuer. A token is checked against exactly one of these,
 * the one its `iss` routes to, so a key of issuer A can never verify a token that claims issuer B.
 */
export interface TrustedIssuer {
  readonly issuer: string;
  readonly settings: ResolvedIssuer;
  /**
   * The key for a token header: the `alg` allowlist first (`alg_not_allowed`), then the JWKS cache (sync
   * when cached; otherwise a promise of the slow path, which alone may fail with `jwks_unavailable`).
   */
  keyFor(header: Record<string, unknown>): ImportedKey | Promise<ImportedKey>;
  /**
   * True while `key` may still serve a cached verification: the issuer is still trusted (not dropped from a
   * bounded set of dynamic issuers) and `key` is still in ITS key set.
   */
  keyIsCurrent(key: ImportedKey): boolean;
  /** What a cache hit must re-run besides the time window and the key (`requiredClaims`), if anything. */
  readonly recheck: ((token: VerifiedToken) => void) | undefined;
  /** See `Verifier.refreshKeys`. */
  refresh(): Promise<void>;
  /** See `Verifier.ready`. */
  ready(): Promise<void>;
  /** Marks the issuer as no longer trusted: its cached verifications stop being served. */
  retire(): void;
  /**
   * Until when (ms since the epoch) its cached verifications may be served without routing again: an
   * issuers function's answer expires, and a token must then go through routing (which asks again).
   * Default: for ever (a static issuer).
   */
  trustUntil(time: number): void;
  /** Whether {@link retire} was called. */
  readonly retired: boolean;
  /**
   * Whether `other` settings load keys exactly as these do (same issuer, JWKS URI, algorithms and cache
   * settings), so that an updated answer of an issuers function can keep this issuer's key state.
   */
  sameKeys(other: ResolvedIssuer): boolean;
  /** Whether `other` settings are these exactly (keys and claim rules; predicates compared by identity). */
  sameSettings(other: ResolvedIssuer): boolean;
  /** Counters of the JWKS cache (tests, benchmark). */
  stats(): ReturnType<JwksCache['stats']>;
}

/** What identifies how an issuer's keys are loaded: two settings with the same key share key state. */
function keyIdentity(settings: ResolvedIssuer): string {
  return JSON.stringify([settings.issuer, settings.jwksUri ?? null, settings.algorithms, settings.jwks]);
}

/**
 * Builds one issuer's key state from its validated settings. Nothing is fetched until a key is needed (or
 * `ready` / `refresh`). When `previous` loads keys the same way, its key state is reused, and only the
 * settings change (an issuers function answering again with, say, another audience).
 */
export function createTrustedIssuer(
  settings: ResolvedIssuer,
  runtime: IssuerRuntime,
  previous?: TrustedIssuer,
): TrustedIssuer {
  const jwks = previous?.sameKeys(settings) ? jwksOf(previous) : createJwksCache(settings, runtime);
  const identity = keyIdentity(settings);
  const algorithms = settings.algorithms as readonly string[];
  let retired = false;
  let until = Number.POSITIVE_INFINITY;
  const { now } = runtime;

  /** The slow path of key lookup. Only here can a failure mean "could not check" (jwks_unavailable). */
  async function fetchKey(kid: string | undefined, alg: Algorithm): Promise<ImportedKey> {
    try {
      return await jwks.getKey(kid, alg);
    } catch (error) {
      if (isTokenError(error)) throw error;
      throw new TokenError(
        'jwks_unavailable',
        `could not load the keys: ${(error as Error)?.message ?? 'unknown error'}`,
        { cause: error },
      );
    }
  }

  const trusted: TrustedIssuer & { [JWKS]: JwksCache } = {
    issuer: settings.issuer,
    settings,
    keyFor(header) {
      const alg = header.alg as string;
      if (!algorithms.includes(alg)) {
        throw new TokenError(
          'alg_not_allowed',
          `alg ${describeValue(alg, 32)} is not allowed (allowed: ${settings.algorithms.join(', ')})`,
          { claim: 'header.alg' },
        );
      }
      const kid = header.kid as string | undefined;
      return jwks.peek(kid, alg as Algorithm) ?? fetchKey(kid, alg as Algorithm);
    },
    keyIsCurrent: (key) => !retired && (until === Number.POSITIVE_INFINITY || now() < until) && jwks.has(key),
    recheck:
      settings.claims.requiredClaims.length > 0
        ? (token) => checkRequiredClaims(token.claims, settings.claims)
        : undefined,
    refresh: () => jwks.refresh(),
    ready: () => jwks.ready(),
    retire() {
      retired = true;
    },
    get retired() {
      return retired;
    },
    trustUntil(time) {
      until = time;
    },
    sameKeys: (other) => keyIdentity(other) === identity,
    sameSettings: (other) =>
      keyIdentity(other) === identity && sameClaimPolicy(settings.claims, other.claims),
    stats: () => jwks.stats(),
    [JWKS]: jwks,
  };
  return trusted;
}

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Same claim rules: same values, and the same `requiredClaims` (predicates by identity, `{ includes }` by value). */
function sameClaimPolicy(a: ClaimPolicy, b: ClaimPolicy): boolean {
  return (
    a.issuer === b.issuer &&
    sameList(a.audiences, b.audiences) &&
    sameList(a.clientIds, b.clientIds) &&
    a.clockTolerance === b.clockTolerance &&
    a.maxTokenAge === b.maxTokenAge &&
    a.typ === b.typ &&
    a.requiredClaims.length === b.requiredClaims.length &&
    a.requiredClaims.every(([name, rule], index) => {
      const [otherName, otherRule] = b.requiredClaims[index] ?? [];
      return (
        name === otherName &&
        (Object.is(rule, otherRule) ||
          (typeof rule === 'object' &&
            typeof otherRule === 'object' &&
            JSON.stringify(rule) === JSON.stringify(otherRule)))
      );
    })
  );
}

/** Where a trusted issuer keeps its JWKS cache, for {@link createTrustedIssuer}'s reuse only. */
const JWKS = Symbol('jwks');

function jwksOf(issuer: TrustedIssuer): JwksCache {
  return (issuer as TrustedIssuer & { [JWKS]: JwksCache })[JWKS];
}

function createJwksCache(settings: ResolvedIssuer, runtime: IssuerRuntime): JwksCache {
  const { issuer } = settings;
  let discovery: Promise<string> | undefined;
  const jwksUri = (): Promise<string> => {
    if (settings.jwksUri !== undefined) return Promise.resolve(settings.jwksUri);
    discovery ??= discoverJwksUri({
      issuer,
      fetch: runtime.fetch,
      timeoutMs: settings.jwks.fetchTimeout,
      maxBytes: settings.jwks.maxResponseBytes,
      emit: runtime.emit,
    }).catch((error: unknown) => {
      discovery = undefined; // try again on the next allowed fetch
      throw error;
    });
    return discovery as Promise<string>;
  };
  return new JwksCache({
    jwksUri,
    fetch: runtime.fetch,
    algorithms: settings.algorithms,
    ...settings.jwks,
    emit: runtime.emit,
    warn: createConfigWarner(runtime.warnings, issuer),
    issuer,
    now: runtime.now,
  });
}
