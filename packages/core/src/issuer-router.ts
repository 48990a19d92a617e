import { createConfigWarner } from './config-warnings.js';
import { ConfigError, describeValue, TokenError } from './errors.js';
import { truncateForLog } from './events.js';
import {
  type IssuerDefaults,
  type ResolvedIssuer,
  type ResolvedResolverOptions,
  resolveIssuerConfig,
} from './options.js';
import { createTrustedIssuer, type IssuerRuntime, type TrustedIssuer } from './trusted-issuer.js';
import type { IssuerConfig, IssuerResolver } from './types.js';

/**
 * Finds the trusted issuer a token is checked against, from its strictly parsed (not yet verified)
 * payload. Synchronous when the answer is known; a promise only while an issuers function is asked.
 * Refuses with a `TokenError` before any key is looked up: nothing is fetched for an issuer that is not
 * trusted, and no URL is ever taken from the token.
 */
export interface IssuerRouter {
  route(payload: Record<string, unknown>): TrustedIssuer | Promise<TrustedIssuer>;
  /** The trusted issuers known now (static, or live for a function). */
  issuers(): TrustedIssuer[];
  /** The one for exactly this identifier, if it is known now (no function call). */
  find(issuer: string): TrustedIssuer | undefined;
}

/** The single-issuer form: every token goes to the one issuer, whose claim table compares `iss`. */
export function singleIssuerRouter(issuer: TrustedIssuer): IssuerRouter {
  const list = [issuer];
  return {
    route: () => issuer,
    issuers: () => list,
    find: (iss) => (iss === issuer.issuer ? issuer : undefined),
  };
}

/** The `iss` of a payload, as a string, or the refusal. */
function readIss(payload: Record<string, unknown>): string {
  const iss = payload.iss;
  if (typeof iss === 'string') return iss;
  throw new TokenError(
    'issuer_invalid',
    iss === undefined
      ? 'the token has no "iss" claim, so it cannot be routed to a trusted issuer'
      : `iss must be a string, found ${describeValue(iss)}`,
    { claim: 'iss' },
  );
}

function untrusted(iss: string, known: readonly string[] | undefined): TokenError {
  const list =
    known === undefined
      ? ''
      : ` (trusted: ${known
          .slice(0, 3)
          .map((i) => describeValue(i))
          .join(', ')}${known.length > 3 ? `, and ${known.length - 3} more` : ''})`;
  return new TokenError('issuer_invalid', `iss ${describeValue(iss)} is not a trusted issuer${list}`, {
    claim: 'iss',
  });
}

/**
 * A static list of issuers: one `Map` lookup by the exact `iss` (O(1) whatever the number of issuers).
 * An `iss` not in it is refused at once, synchronously.
 */
export function staticIssuerRouter(issuers: readonly TrustedIssuer[]): IssuerRouter {
  const byIss = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  const names = issuers.map((issuer) => issuer.issuer);
  const list = [...issuers];
  return {
    route(payload) {
      const iss = readIss(payload);
      const found = byIss.get(iss);
      if (found === undefined) throw untrusted(iss, names);
      return found;
    },
    issuers: () => list,
    find: (iss) => byIss.get(iss),
  };
}

/** Longest `iss` an issuers function is asked about (and remembered); longer ones are refused unasked. */
export const MAX_ISSUER_LENGTH = 2048;

/**
 * Whether `iss` could be a configured issuer at all: an `http:`/`https:` URL, written canonically, without
 * query or fragment, at most {@link MAX_ISSUER_LENGTH} characters. The function is never asked about
 * anything else (junk costs neither a call nor a cache entry). A non-loopback `http:` issuer passes this
 * filter on purpose: if the function trusts it, the configuration is refused loudly rather than quietly.
 */
export function couldBeIssuer(iss: string): boolean {
  if (iss.length === 0 || iss.length > MAX_ISSUER_LENGTH || !URL.canParse(iss)) return false;
  const url = new URL(iss);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.search || url.hash || iss.includes('?') || iss.includes('#')) return false;
  return url.href === iss || (url.pathname === '/' && url.href === `${iss}/`);
}

/** What {@link DynamicIssuerRouter} needs. */
export interface DynamicRouterConfig {
  resolve: IssuerResolver;
  defaults: IssuerDefaults;
  runtime: IssuerRuntime;
  maxIssuers: number;
  resolver: ResolvedResolverOptions;
  /** How long a failed call (throw, timeout, unusable answer) is remembered, so a failing function is not hammered. */
  failureMaxAge: number;
  /**
   * Past `resolver.maxAge`, how much longer a trusted answer keeps serving while re-asking fails; past it
   * the issuer is dropped and the next token waits for a fresh answer.
   */
  maxStale: number;
}

interface LiveIssuer {
  trusted: TrustedIssuer;
  /** When the function last answered with these settings. */
  answeredAt: number;
  /** A background re-ask in flight. */
  revalidating: boolean;
  /** No background re-ask before this (after a failed one). */
  retryAt: number;
}

interface Refusal {
  /** `issuer_invalid` (the function said no) or `jwks_unavailable` (it failed). */
  error: TokenError;
  until: number;
}

/**
 * Issuers decided by a function, for one authorization server per tenant. Promises:
 * - The function is asked only about an `iss` that {@link couldBeIssuer}; concurrent first requests for
 *   one `iss` share one call (single-flight), bounded by `resolver.timeout`.
 * - Its answers are validated like static settings (their `issuer` must equal the `iss` asked about).
 * - Trusted answers are kept for `resolver.maxAge`, then asked again in the background while the answer in
 *   hand keeps serving; a re-ask that fails keeps it (retried after `failureMaxAge`, for at most
 *   `maxStale`), one that says `undefined` drops the issuer at once. At most `maxIssuers` issuers are live, least recently used
 *   dropped first (with their keys and cached verifications).
 * - Refusals are remembered for `resolver.refusedMaxAge`, at most `resolver.maxRefused` of them (LRU);
 *   failures for `failureMaxAge`, in the same bounded map.
 * So whatever the tokens say, memory is bounded by `maxIssuers` key sets plus `maxRefused` short strings,
 * and nothing is ever fetched for an issuer the function did not trust.
 */
export class DynamicIssuerRouter implements IssuerRouter {
  readonly #config: DynamicRouterConfig;
  readonly #live = new Map<string, LiveIssuer>();
  readonly #refused = new Map<string, Refusal>();
  readonly #pending = new Map<string, Promise<TrustedIssuer>>();
  readonly #warn: (cause: string, message: string) => void;
  #calls = 0;

  constructor(config: DynamicRouterConfig) {
    this.#config = config;
    this.#warn = createConfigWarner(config.runtime.warnings, 'an issuer the issuers function trusted');
  }

  route(payload: Record<string, unknown>): TrustedIssuer | Promise<TrustedIssuer> {
    const iss = readIss(payload);
    const now = this.#config.runtime.now();
    const live = this.#live.get(iss);
    if (live !== undefined) {
      const age = now - live.answeredAt;
      if (age <= this.#config.resolver.maxAge) {
        this.#touch(iss, live);
        return live.trusted;
      }
      if (age <= this.#config.resolver.maxAge + this.#config.maxStale) {
        this.#touch(iss, live);
        if (!live.revalidating && now >= live.retryAt) this.#revalidate(iss, live);
        return live.trusted;
      }
      // The function has failed to confirm this answer for too long: ask it again before trusting it.
      this.#drop(iss, live);
    }
    const refusal = this.#refused.get(iss);
    if (refusal !== undefined) {
      if (now < refusal.until) throw refusal.error;
      this.#refused.delete(iss);
    }
    if (!couldBeIssuer(iss)) throw untrusted(iss, undefined);
    return this.#pending.get(iss) ?? this.#ask(iss);
  }

  issuers(): TrustedIssuer[] {
    return [...this.#live.values()].map((live) => live.trusted);
  }

  find(iss: string): TrustedIssuer | undefined {
    return this.#live.get(iss)?.trusted;
  }

  /** Sizes of the bounded maps and the number of function calls (tests, benchmark). */
  stats(): { live: number; refused: number; pending: number; calls: number } {
    return {
      live: this.#live.size,
      refused: this.#refused.size,
      pending: this.#pending.size,
      calls: this.#calls,
    };
  }

  /** Most recently used last: `Map` keeps insertion order, so the first entry is the one to drop. */
  #touch(iss: string, live: LiveIssuer): void {
    this.#live.delete(iss);
    this.#live.set(iss, live);
  }

  /** First request for `iss`: one call, shared by every request that arrives while it runs. */
  #ask(iss: string): Promise<TrustedIssuer> {
    const asked = this.#call(iss).then(
      (settings) => {
        if (settings === undefined) {
          const error = untrusted(iss, undefined);
          this.#remember(iss, error, this.#config.resolver.refusedMaxAge);
          throw error;
        }
        return this.#install(iss, settings, undefined);
      },
      (error: unknown) => {
        const refusal = this.#failure(iss, error);
        this.#remember(iss, refusal, this.#config.failureMaxAge);
        throw refusal;
      },
    );
    const shared = asked.finally(() => this.#pending.delete(iss));
    shared.catch(() => {});
    this.#pending.set(iss, shared);
    return shared;
  }

  /** The trusted answer is past `maxAge`: ask again in the background; the answer in hand keeps serving. */
  #revalidate(iss: string, live: LiveIssuer): void {
    live.revalidating = true;
    this.#call(iss).then(
      (settings) => {
        live.revalidating = false;
        if (this.#live.get(iss) !== live) return; // dropped meanwhile
        if (settings === undefined) {
          this.#drop(iss, live);
          this.#remember(iss, untrusted(iss, undefined), this.#config.resolver.refusedMaxAge);
          return;
        }
        this.#install(iss, settings, live.trusted);
      },
      (error: unknown) => {
        live.revalidating = false;
        live.retryAt = this.#config.runtime.now() + this.#config.failureMaxAge;
        this.#failure(iss, error);
      },
    );
  }

  /**
   * Calls the function once, bounded by `resolver.timeout`, and validates what it answered: `undefined`
   * (not trusted) or settings whose `issuer` is exactly `iss`. Anything else rejects.
   */
  #call(iss: string): Promise<ResolvedIssuer | undefined> {
    this.#calls++;
    const { timeout } = this.#config.resolver;
    return new Promise<ResolvedIssuer | undefined>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the issuers function did not answer within ${timeout} ms`)),
        timeout,
      );
      timer.unref?.();
      let answer: unknown;
      try {
        answer = this.#config.resolve(iss);
      } catch (error) {
        clearTimeout(timer);
        reject(error);
        return;
      }
      Promise.resolve(answer).then(
        (config) => {
          clearTimeout(timer);
          try {
            resolve(this.#validate(iss, config));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #validate(iss: string, config: unknown): ResolvedIssuer | undefined {
    if (config === undefined || config === null) return undefined;
    const where = `issuers(${describeValue(truncateForLog(iss, 200))})`;
    const settings = resolveIssuerConfig(config, this.#config.defaults, where);
    if (settings.issuer !== iss) {
      throw new ConfigError(
        `${where}.issuer`,
        `the function answered for ${describeValue((config as IssuerConfig).issuer)} when asked about ${describeValue(iss)}; it must return the settings of the issuer it was asked about (or undefined)`,
      );
    }
    return settings;
  }

  /**
   * Makes `settings` the live issuer for `iss`. The same settings as `previous` keep it whole (keys and
   * cached verifications); other settings that load keys the same way keep its key state only (what was
   * verified under the old settings is not served again).
   */
  #install(iss: string, settings: ResolvedIssuer, previous: TrustedIssuer | undefined): TrustedIssuer {
    const answeredAt = this.#config.runtime.now();
    const unchanged = previous !== undefined && !previous.retired && previous.sameSettings(settings);
    const trusted = unchanged ? previous : createTrustedIssuer(settings, this.#config.runtime, previous);
    if (!unchanged) previous?.retire();
    const old = this.#live.get(iss);
    if (old !== undefined && old.trusted !== trusted) old.trusted.retire();
    // Past maxAge a cached verification is not served without routing again (which asks again).
    trusted.trustUntil(answeredAt + this.#config.resolver.maxAge);
    this.#live.delete(iss);
    this.#live.set(iss, { trusted, answeredAt, revalidating: false, retryAt: 0 });
    this.#refused.delete(iss);
    while (this.#live.size > this.#config.maxIssuers) {
      const [oldest, entry] = this.#live.entries().next().value as [string, LiveIssuer];
      this.#drop(oldest, entry);
    }
    return trusted;
  }

  #drop(iss: string, live: LiveIssuer): void {
    this.#live.delete(iss);
    live.trusted.retire();
  }

  /** Remembers a refusal or a failure for `ttl`, in a map bounded by `resolver.maxRefused` (LRU). */
  #remember(iss: string, error: TokenError, ttl: number): void {
    const max = this.#config.resolver.maxRefused;
    if (max === 0 || ttl === 0) return;
    this.#refused.delete(iss);
    while (this.#refused.size >= max) {
      const oldest = this.#refused.keys().next().value as string;
      this.#refused.delete(oldest);
    }
    this.#refused.set(iss, { error, until: this.#config.runtime.now() + ttl });
  }

  /**
   * A call that failed (threw, timed out, answered garbage or insecure settings) as the refusal it causes:
   * `jwks_unavailable`, because the server could not decide whether the issuer is trusted, which is not the
   * token's fault (a 503 tells the client to retry, where a 401 would tell it its token is bad). Reported
   * as an event, and, when the answer was unusable configuration, as a `SCOPEGUARD_CONFIG` warning.
   */
  #failure(iss: string, error: unknown): TokenError {
    const message = error instanceof Error ? error.message : String(error);
    const shown = describeValue(truncateForLog(iss, 200));
    this.#config.runtime.emit({
      type: 'issuer_resolver_failed',
      issuer: truncateForLog(iss, 200),
      error: message,
    });
    if (error instanceof ConfigError) {
      this.#warn(`resolver:${error.option}`, `the issuers function answered unusable settings: ${message}`);
    }
    return new TokenError(
      'jwks_unavailable',
      error instanceof ConfigError
        ? `the issuers function answered unusable settings for iss ${shown}: ${message}`
        : `the issuers function failed for iss ${shown}: ${message}`,
      { claim: 'iss', cause: error },
    );
  }
}
