import type { Algorithm } from './algorithms.js';
import { describeValue, TokenError } from './errors.js';
import { type ScopeguardEvent, truncateForLog } from './events.js';
import { type ConfigProblem, configProblem } from './config-advice.js';
import { FetchJsonError, fetchJson } from './fetch-json.js';
import { describeUnusable, importJwks } from './jwk-import.js';
import type { FetchFunction, ImportedKey, JwksCacheOptions } from './types.js';

/**
 * What the cache needs: the settings of {@link JwksCacheOptions} with every default filled in (documented
 * there, in milliseconds), plus where the keys are and how to fetch them.
 */
export interface JwksCacheConfig extends Required<JwksCacheOptions> {
  /** Resolves the JWKS URI (may run discovery). Called once per fetch attempt; the verifier caches it. */
  jwksUri: () => Promise<string>;
  /** The `fetch` to use. */
  fetch: FetchFunction;
  /** The allowlist every imported key is bound into. */
  algorithms: readonly Algorithm[];
  /** Receives cache events. */
  emit: (event: ScopeguardEvent) => void;
  /**
   * Receives failures that look like configuration (see `configProblem`), with a `cause` key and the full
   * message (what failed, and the likely fix). The verifier turns them into one warning per cause.
   */
  warn?: (cause: string, message: string) => void;
  /** The configured issuer, to say what to change when discovery finds another one. */
  issuer?: string;
  /** Clock in milliseconds (tests). Default `Date.now`. */
  now?: () => number;
}

type FetchReason = 'initial' | 'expired' | 'unknown_kid' | 'manual';

/** One well-formed key set as fetched (possibly without a usable key), indexed for the hot path. */
interface KeySet {
  /** Keys with a `kid`. */
  readonly byKid: Map<string, ImportedKey>;
  /** Per algorithm: the only key bound to it, or `null` when several are (ambiguous without a `kid`). */
  readonly byAlg: Map<Algorithm, ImportedKey | null>;
  readonly all: Set<ImportedKey>;
  /** `kid`s the set publishes but this verifier may not use, with the reason (refused at once). */
  readonly ignoredByKid: Map<string, string>;
  /** When the set has no usable key: why, and the likely fix (`undefined` otherwise). */
  readonly unusable: { why: string; fix: string | undefined } | undefined;
  readonly fetchedAt: number;
}

/** A refresh that unknown-`kid` waiters share, started by one unref'd timer at the end of the cooldown. */
interface ScheduledRefresh {
  readonly timer: ReturnType<typeof setTimeout>;
  readonly promise: Promise<void>;
  readonly settle: (fetch: Promise<void>) => void;
}

/** A failed fetch attempt, before it becomes a `jwks_unavailable` TokenError. */
class FetchFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
    /** Set when the failure looks like configuration: what to change. */
    readonly problem?: ConfigProblem,
  ) {
    super(message, options);
  }
}

const noop = () => {};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The JWKS cache behind a verifier: fetches and imports the issuer's key set, serves keys from memory,
 * and decides when to go back to the network.
 *
 * - Single-flight: at most one fetch runs at a time; every caller that needs it shares it.
 * - A well-formed JWK Set (HTTP 200, JSON, `{"keys": [...]}`) is authoritative, even with no usable key
 *   (`{"keys": []}`, only other algorithms, the old `kid` re-published with `"use": "enc"`): it replaces
 *   the cached set at once, so a withdrawn key stops verifying on the next fetch. A set without a usable key
 *   refuses every token (`key_not_found`, saying why) and is reported (`jwks_no_usable_key`, a warning).
 * - Past `maxAge`, keys keep being served while one background refresh runs; only if a well-formed set
 *   cannot be obtained (network, timeout, HTTP status, not JSON, not a JWK Set) is the last set served
 *   (stale) until `maxAge + maxStale`, then keys are refused with `jwks_unavailable`.
 * - An unknown `kid` joins the next allowed refresh (the one in flight, one started now if the cooldown
 *   has passed, or one shared timer at the end of the cooldown), waiting at most `unknownKidTimeout`.
 *   Lookups never shrink the set, so a flood of random `kid`s costs at most one fetch per cooldown and
 *   never delays tokens signed with known keys.
 * - Failed fetches count for the cooldown too: a down endpoint is not hammered.
 */
export class JwksCache {
  private readonly config: JwksCacheConfig;
  private readonly now: () => number;
  private set: KeySet | undefined;
  private inflight: Promise<void> | undefined;
  private scheduled: ScheduledRefresh | undefined;
  /** When the last fetch attempt (successful or not) ended. */
  private lastAttemptEnd: number | undefined;
  /** The last attempt's failure; `undefined` once one succeeds. */
  private lastError: TokenError | undefined;
  private uri: string | undefined;
  private fetchCount = 0;
  private failureCount = 0;
  /** `kid_unknown` is reported at most once between two fetch attempts. */
  private kidUnknownReported = false;
  /** `jwks_stale_served` is reported at most once per failed refresh. */
  private staleReported = true;

  /** Creates an empty cache; nothing is fetched until a key is asked for (or {@link refresh} is called). */
  constructor(config: JwksCacheConfig) {
    this.config = config;
    this.now = config.now ?? Date.now;
  }

  /**
   * Sync fast path: the key for this kid (or, when kid is undefined, the single key bound to `alg`) if the
   * cached set may still be used (fresh, or stale within maxStale); past maxAge it starts ONE background
   * refresh (single-flight) and still returns the cached key. Returns undefined when not found or nothing
   * usable is cached. Never throws.
   */
  peek(kid: string | undefined, alg: Algorithm): ImportedKey | undefined {
    const set = this.set;
    if (set === undefined) return undefined;
    const age = this.now() - set.fetchedAt;
    if (age > this.config.maxAge && !this.useExpired(age)) return undefined;
    return (kid === undefined ? set.byAlg.get(alg) : set.byKid.get(kid)) ?? undefined;
  }

  /**
   * Slow path: loads keys if none (single-flight), handles unknown kid, rejects with
   * TokenError('key_not_found' | 'jwks_unavailable').
   *
   * A key found by `kid` is returned whatever its algorithm (the caller compares `key.alg` with the
   * header). A token without `kid` while several keys are bound to `alg` is refused at once
   * (`key_not_found`). A request that had to wait for the initial load does not wait for a second fetch.
   */
  async getKey(kid: string | undefined, alg: Algorithm): Promise<ImportedKey> {
    const hit = this.peek(kid, alg);
    if (hit) return hit;
    if (!this.usable()) {
      await this.load();
      const key = this.lookup(kid, alg);
      if (key) return key;
      this.refuseIfAmbiguous(kid, alg);
      this.reportKidUnknown(kid, 'refused');
      throw this.notFound(kid);
    }
    this.refuseIfAmbiguous(kid, alg);
    // A kid the current set publishes but this verifier may not use: no refresh is due to change that.
    if (kid !== undefined && this.set?.ignoredByKid.has(kid)) throw this.notFound(kid);
    return this.awaitRefreshFor(kid, alg);
  }

  /**
   * Fetch now (reason 'manual'), respecting single-flight. Rejects with TokenError('jwks_unavailable') when
   * the fetch fails, or when the set it installed has no usable key (saying why).
   */
  refresh(): Promise<void> {
    return (this.inflight ?? this.startFetch('manual')).then(() => this.assertUsableKeys());
  }

  /**
   * Resolves once the cache can verify tokens: keys loaded (fetching them only if none usable are cached,
   * joining a fetch in flight) and at least one of them usable. Rejects with TokenError('jwks_unavailable')
   * whose message names the cause and, for failures that look like configuration, the likely fix. While
   * the cached set has no usable key, each call past the cooldown fetches again, so a readiness probe sees
   * the issuer's fix without waiting for `maxAge`.
   */
  async ready(): Promise<void> {
    if (!this.usable()) await this.load();
    else if (this.set?.unusable) {
      if (this.inflight) await this.inflight;
      else if (this.cooldownLeft() <= 0) await this.startFetch('manual');
    }
    this.assertUsableKeys();
  }

  /**
   * True while `key` (by identity) is in the current set: the verified-token cache uses it to drop entries
   * whose key left the JWKS. Also false once the set is too stale to use (past `maxAge + maxStale`); past
   * `maxAge` it starts the same background refresh as {@link peek}. Keys whose JWK is unchanged keep their
   * identity across refreshes.
   */
  has(key: ImportedKey): boolean {
    const set = this.set;
    if (set === undefined || !set.all.has(key)) return false;
    const age = this.now() - set.fetchedAt;
    return age <= this.config.maxAge || this.useExpired(age);
  }

  /** Counters for tests and the benchmark: fetches started, failures, etc. */
  stats(): { fetches: number; failures: number; keys: number; lastFetchAt: number | undefined } {
    return {
      fetches: this.fetchCount,
      failures: this.failureCount,
      keys: this.set?.all.size ?? 0,
      lastFetchAt: this.lastAttemptEnd,
    };
  }

  /** The set is past `maxAge`: may it still be used? Starts a background refresh when allowed. */
  private useExpired(age: number): boolean {
    if (age > this.config.maxAge + this.config.maxStale) return false;
    if (this.inflight === undefined && this.scheduled === undefined && this.cooldownLeft() <= 0) {
      this.startFetch('expired');
    }
    if (!this.staleReported) {
      this.staleReported = true;
      this.emit({ type: 'jwks_stale_served', jwksUri: this.uri ?? '', ageMs: age });
    }
    return true;
  }

  private usable(): boolean {
    const set = this.set;
    return set !== undefined && this.now() - set.fetchedAt <= this.config.maxAge + this.config.maxStale;
  }

  /** Milliseconds until traffic may start another fetch (≤ 0: now). */
  private cooldownLeft(): number {
    return this.lastAttemptEnd === undefined ? 0 : this.lastAttemptEnd + this.config.cooldown - this.now();
  }

  private lookup(kid: string | undefined, alg: Algorithm): ImportedKey | undefined {
    const set = this.set;
    return (set && (kid === undefined ? set.byAlg.get(alg) : set.byKid.get(kid))) ?? undefined;
  }

  /** A token without `kid` while several keys are bound to `alg`: ambiguous, no refresh can help. */
  private refuseIfAmbiguous(kid: string | undefined, alg: Algorithm): void {
    const set = this.set;
    if (kid !== undefined || set === undefined || set.byAlg.get(alg) !== null) return;
    const count = [...set.all].filter((key) => key.alg === alg).length;
    throw new TokenError(
      'key_not_found',
      `the token has no kid and the JWKS at ${this.uri} has ${count} ${alg} keys: ambiguous`,
      { claim: 'header.kid' },
    );
  }

  private notFound(kid: string | undefined, why?: string): TokenError {
    const set = this.set;
    const count = set?.all.size ?? 0;
    const where = `in the JWKS at ${this.uri} (${count} keys)`;
    const ignored = kid === undefined ? undefined : set?.ignoredByKid.get(kid);
    let message =
      ignored !== undefined
        ? `the key with kid "${truncateForLog(kid as string)}" ${where} may not be used: ${ignored}`
        : kid === undefined
          ? `the token has no kid and there is no single key for its alg ${where}`
          : `no key with kid "${truncateForLog(kid)}" ${where}`;
    if (why) message = `${message}: ${why}`;
    if (set?.unusable) message = `${message}; ${set.unusable.why}`;
    return new TokenError('key_not_found', message, { claim: 'header.kid' });
  }

  /** Throws `jwks_unavailable` when the installed set has no usable key (nothing could verify). */
  private assertUsableKeys(): void {
    const unusable = this.set?.unusable;
    if (unusable === undefined) return;
    throw new TokenError('jwks_unavailable', this.unusableMessage(unusable));
  }

  private unusableMessage(unusable: { why: string; fix: string | undefined }): string {
    const fix = unusable.fix ? `; likely fix: ${unusable.fix}` : '';
    return `the JWKS at ${this.uri} has no key this verifier may use: ${unusable.why}${fix}`;
  }

  private reportKidUnknown(kid: string | undefined, action: 'refetch' | 'joined_refresh' | 'refused'): void {
    if (this.kidUnknownReported) return;
    this.kidUnknownReported = true;
    this.emit({
      type: 'kid_unknown',
      jwksUri: this.uri ?? '',
      kid: kid === undefined ? '(none)' : truncateForLog(kid),
      action,
    });
  }

  /** Cold or too-stale set: join the fetch in flight, start one, or refuse during a failure's cooldown. */
  private load(): Promise<void> {
    if (this.inflight) return this.inflight;
    const wait = this.cooldownLeft();
    if (this.lastError !== undefined && wait > 0) {
      return Promise.reject(
        new TokenError(
          'jwks_unavailable',
          `${this.lastError.message} (next attempt in ${Math.ceil(wait)} ms)`,
          {
            cause: this.lastError,
          },
        ),
      );
    }
    return this.startFetch(this.set === undefined ? 'initial' : 'expired');
  }

  /** Unknown `kid` with a usable set: join the next allowed refresh, bounded by `unknownKidTimeout`. */
  private async awaitRefreshFor(kid: string | undefined, alg: Algorithm): Promise<ImportedKey> {
    const timeout = this.config.unknownKidTimeout;
    let refresh: Promise<void>;
    if (this.inflight) {
      refresh = this.inflight;
      this.reportKidUnknown(kid, 'joined_refresh');
    } else {
      const wait = this.cooldownLeft();
      if (wait <= 0) {
        refresh = this.startFetch('unknown_kid');
        this.reportKidUnknown(kid, 'refetch');
      } else if (wait > timeout) {
        this.reportKidUnknown(kid, 'refused');
        throw this.notFound(
          kid,
          `the next refresh is allowed in ${Math.ceil(wait)} ms, over unknownKidTimeout`,
        );
      } else {
        refresh = this.scheduleRefresh(wait);
        this.reportKidUnknown(kid, 'joined_refresh');
      }
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The refresh is still running: we could not check this kid, which is not the client's fault.
        reject(
          new TokenError(
            'jwks_unavailable',
            `the JWKS refresh for kid ${describeValue(kid === undefined ? undefined : truncateForLog(kid))} did not complete within unknownKidTimeout (${timeout} ms)`,
            { claim: 'header.kid' },
          ),
        );
      }, timeout);
      timer.unref();
      refresh.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    const key = this.lookup(kid, alg);
    if (key) return key;
    this.refuseIfAmbiguous(kid, alg);
    throw this.notFound(kid);
  }

  /** One refresh at the end of the cooldown, shared by every waiter (one unref'd timer). */
  private scheduleRefresh(delay: number): Promise<void> {
    if (this.scheduled) return this.scheduled.promise;
    let settle: (fetch: Promise<void>) => void = noop;
    const promise = new Promise<void>((resolve) => {
      settle = resolve;
    });
    promise.catch(noop);
    const timer = setTimeout(() => {
      if (this.scheduled?.timer !== timer) return;
      if (this.inflight) {
        this.scheduled = undefined;
        settle(this.inflight);
      } else {
        this.startFetch('unknown_kid');
      }
    }, delay);
    timer.unref();
    this.scheduled = { timer, promise, settle };
    return promise;
  }

  /** Starts the one fetch (callers have checked there is none in flight); a pending scheduled refresh joins it. */
  private startFetch(reason: FetchReason): Promise<void> {
    this.fetchCount++;
    // Run on a later tick so that `inflight` is set before the fetch can possibly settle.
    const fetch = Promise.resolve().then(() => this.runFetch(reason));
    fetch.catch(noop);
    this.inflight = fetch;
    const scheduled = this.scheduled;
    if (scheduled) {
      clearTimeout(scheduled.timer);
      this.scheduled = undefined;
      scheduled.settle(fetch);
    }
    return fetch;
  }

  private async runFetch(reason: FetchReason): Promise<void> {
    const started = performance.now();
    const issuer = this.config.issuer ?? '';
    let uri: string | undefined;
    try {
      try {
        uri = await this.config.jwksUri();
      } catch (error) {
        const why = error instanceof FetchJsonError ? error.reason : 'discovery';
        throw new FetchFailure(
          why,
          `could not resolve the JWKS URI: ${messageOf(error)}`,
          { cause: error },
          configProblem(error, issuer),
        );
      }
      this.uri = uri;
      let document: unknown;
      try {
        document = await fetchJson(uri, {
          fetch: this.config.fetch,
          timeoutMs: this.config.fetchTimeout,
          maxBytes: this.config.maxResponseBytes,
        });
      } catch (error) {
        const why = error instanceof FetchJsonError ? error.reason : 'network';
        throw new FetchFailure(why, messageOf(error), { cause: error }, configProblem(error, issuer));
      }
      let imported: ReturnType<typeof importJwks>;
      try {
        imported = importJwks(document, this.config.algorithms);
      } catch (error) {
        throw new FetchFailure('not_jwks', `${uri}: ${messageOf(error)}`, undefined, {
          cause: `not_jwks:${uri}`,
          fix: `${uri} serves JSON that is not a JWK Set ({"keys": [...]}); if it is the metadata document, set jwksUri to its "jwks_uri" (or leave jwksUri unset to discover it)`,
        });
      }
      for (const { kid, reason: why } of imported.ignored) {
        this.emit({
          type: 'jwk_ignored',
          jwksUri: uri,
          kid: kid === undefined ? undefined : truncateForLog(kid),
          reason: why,
        });
      }
      // A well-formed set is authoritative, usable or not: install it, so withdrawn keys stop verifying now.
      const unusable =
        imported.keys.length === 0 ? describeUnusable(imported, this.config.algorithms) : undefined;
      this.install(imported.keys, imported.ignored, unusable);
      if (unusable) {
        this.emit({ type: 'jwks_no_usable_key', jwksUri: uri, reason: unusable.why });
        this.config.warn?.(`no_usable_key:${uri}:${unusable.why}`, this.unusableMessage(unusable));
      }
      this.lastError = undefined;
      this.staleReported = true;
      this.emit({
        type: 'jwks_fetched',
        jwksUri: uri,
        reason,
        keys: imported.keys.length,
        ignored: imported.ignored.length,
        durationMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      this.failureCount++;
      const failure = error instanceof FetchFailure ? error : new FetchFailure('network', messageOf(error));
      const fix = failure.problem ? `; likely fix: ${failure.problem.fix}` : '';
      const tokenError = new TokenError(
        'jwks_unavailable',
        `could not load the JWKS: ${failure.message}${fix}`,
        { cause: failure.cause ?? failure },
      );
      this.lastError = tokenError;
      this.staleReported = false;
      this.emit({
        type: 'jwks_fetch_failed',
        jwksUri: uri ?? this.uri ?? '',
        reason: failure.reason,
        error: failure.message,
        durationMs: Math.round(performance.now() - started),
      });
      if (failure.problem) this.config.warn?.(failure.problem.cause, tokenError.message);
      throw tokenError;
    } finally {
      this.lastAttemptEnd = this.now();
      this.inflight = undefined;
      this.kidUnknownReported = false;
    }
  }

  /** Replaces the set; a key whose JWK did not change keeps its identity (see {@link has}). */
  private install(
    keys: readonly ImportedKey[],
    ignored: readonly { kid: string | undefined; reason: string }[],
    unusable: KeySet['unusable'],
  ): void {
    const previous = this.set;
    const ignoredByKid = new Map<string, string>();
    for (const { kid, reason } of ignored) if (kid !== undefined) ignoredByKid.set(kid, reason);
    const byKid = new Map<string, ImportedKey>();
    const byAlg = new Map<Algorithm, ImportedKey | null>();
    const all = new Set<ImportedKey>();
    for (const fresh of keys) {
      const key = (previous && findSame(previous, fresh)) ?? fresh;
      all.add(key);
      if (key.kid !== undefined) byKid.set(key.kid, key);
      byAlg.set(key.alg, byAlg.has(key.alg) ? null : key);
    }
    for (const kid of byKid.keys()) ignoredByKid.delete(kid);
    this.set = { byKid, byAlg, all, ignoredByKid, unusable, fetchedAt: this.now() };
  }

  private emit(event: ScopeguardEvent): void {
    try {
      this.config.emit(event);
    } catch {
      // A listener's bug must never change a verification's outcome.
    }
  }
}

function findSame(set: KeySet, fresh: ImportedKey): ImportedKey | undefined {
  const same = (old: ImportedKey | null | undefined) =>
    old && old.kid === fresh.kid && old.alg === fresh.alg && old.key.equals(fresh.key) ? old : undefined;
  if (fresh.kid !== undefined) return same(set.byKid.get(fresh.kid));
  for (const old of set.all) {
    const match = same(old);
    if (match) return match;
  }
  return undefined;
}
