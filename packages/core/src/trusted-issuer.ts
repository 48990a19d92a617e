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
 *
 * A class, so that every issuer shares the same methods: the verifier's hot path calls `keyFor` on
 * whichever issuer a token routes to, and one function there (not one closure per issuer) keeps that call
 * site monomorphic however many issuers there are.
 */
export class TrustedIssuer {
  /** The issuer identifier (exactly the `iss` its tokens carry). */
  readonly issuer: string;
  readonly settings: ResolvedIssuer;
  /** What a cache hit must re-run besides the time window and the key (`requiredClaims`), if anything. */
  readonly recheck: ((token: VerifiedToken) => void) | undefined;
  /** Released when the issuer is retired, so a dropped tenant's keys do not outlive it in cached results. */
  #jwks: JwksCache | undefined;
  readonly #identity: string;
  readonly #algorithms: readonly string[];
  readonly #now: () => number;
  #until = Number.POSITIVE_INFINITY;

  /**
   * Builds one issuer's key state from its validated settings. Nothing is fetched until a key is needed
   * (or `ready` / `refresh`). When `previous` loads keys the same way, its key state is reused, and only
   * the settings change (an issuers function answering again with, say, another audience).
   */
  constructor(settings: ResolvedIssuer, runtime: IssuerRuntime, previous?: TrustedIssuer) {
    this.issuer = settings.issuer;
    this.settings = settings;
    this.#identity = keyIdentity(settings);
    this.#jwks =
      previous !== undefined && previous.#jwks !== undefined && previous.#identity === this.#identity
        ? previous.#jwks
        : createJwksCache(settings, runtime);
    this.#algorithms = settings.algorithms;
    this.#now = runtime.now;
    this.recheck =
      settings.claims.requiredClaims.length > 0
        ? (token) => checkRequiredClaims(token.claims, settings.claims)
        : undefined;
  }

  /**
   * The key for a token header: the `alg` allowlist first (`alg_not_allowed`), then the JWKS cache (sync
   * when cached; otherwise a promise of the slow path, which alone may fail with `jwks_unavailable`).
   */
  keyFor(header: Record<string, unknown>): ImportedKey | Promise<ImportedKey> {
    const alg = header.alg as string;
    if (!this.#algorithms.includes(alg)) {
      throw new TokenError(
        'alg_not_allowed',
        `alg ${describeValue(alg, 32)} is not allowed (allowed: ${this.settings.algorithms.join(', ')})`,
        { claim: 'header.alg' },
      );
    }
    const kid = header.kid as string | undefined;
    return this.#keys().peek(kid, alg as Algorithm) ?? this.#fetchKey(kid, alg as Algorithm);
  }

  /** The key state, or (retired: dropped while a token routed to it was being checked) a refusal to retry. */
  #keys(): JwksCache {
    if (this.#jwks !== undefined) return this.#jwks;
    throw new TokenError(
      'jwks_unavailable',
      `the issuer ${describeValue(this.issuer, 200)} was dropped (maxIssuers) while this token was being checked`,
    );
  }

  /** The slow path of key lookup. Only here can a failure mean "could not check" (jwks_unavailable). */
  async #fetchKey(kid: string | undefined, alg: Algorithm): Promise<ImportedKey> {
    try {
      return await this.#keys().getKey(kid, alg);
    } catch (error) {
      if (isTokenError(error)) throw error;
      throw new TokenError(
        'jwks_unavailable',
        `could not load the keys: ${(error as Error)?.message ?? 'unknown error'}`,
        { cause: error },
      );
    }
  }

  /**
   * True while `key` may still serve a cached verification: the issuer is still trusted (not dropped from a
   * bounded set of dynamic issuers, its answer not expired) and `key` is still in ITS key set.
   */
  keyIsCurrent(key: ImportedKey): boolean {
    return (
      this.#jwks !== undefined &&
      (this.#until === Number.POSITIVE_INFINITY || this.#now() < this.#until) &&
      this.#jwks.has(key)
    );
  }

  /** See `Verifier.refreshKeys`. */
  refresh(): Promise<void> {
    try {
      return this.#keys().refresh();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** See `Verifier.ready`. */
  ready(): Promise<void> {
    try {
      return this.#keys().ready();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Marks the issuer as no longer trusted: its cached verifications stop being served, and it lets go of
   * its key state (a successor with the same keys keeps its own reference to it).
   */
  retire(): void {
    this.#jwks = undefined;
  }

  /** Whether {@link retire} was called. */
  get retired(): boolean {
    return this.#jwks === undefined;
  }

  /**
   * Until when (ms since the epoch) its cached verifications may be served without routing again: an
   * issuers function's answer expires, and a token must then go through routing (which asks again).
   * Default: for ever (a static issuer).
   */
  trustUntil(time: number): void {
    this.#until = time;
  }

  /** Whether `other` settings are these exactly (keys and claim rules; predicates compared by identity). */
  sameSettings(other: ResolvedIssuer): boolean {
    return keyIdentity(other) === this.#identity && sameClaimPolicy(this.settings.claims, other.claims);
  }

  /** Counters of the JWKS cache (tests, benchmark). */
  stats(): ReturnType<JwksCache['stats']> | undefined {
    return this.#jwks?.stats();
  }
}

/** Builds a {@link TrustedIssuer} (see its constructor). */
export function createTrustedIssuer(
  settings: ResolvedIssuer,
  runtime: IssuerRuntime,
  previous?: TrustedIssuer,
): TrustedIssuer {
  return new TrustedIssuer(settings, runtime, previous);
}

/** What identifies how an issuer's keys are loaded: two settings with the same key share key state. */
function keyIdentity(settings: ResolvedIssuer): string {
  return JSON.stringify([settings.issuer, settings.jwksUri ?? null, settings.algorithms, settings.jwks]);
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
