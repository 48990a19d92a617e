import type { KeyObject } from 'node:crypto';
import type { Algorithm } from './algorithms.js';
import type { EventListener } from './events.js';

/** A JSON value as found in a token. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The JOSE header of a verified token (only `alg` is guaranteed). */
export interface JwsHeader {
  alg: Algorithm;
  kid?: string;
  typ?: string;
  [parameter: string]: JsonValue | undefined;
}

/**
 * The claims of an access token: Okta's shape (`cid`, `scp`, `uid`, `ver`) and RFC 9068's
 * (`client_id`, `scope`), plus anything else the issuer adds.
 */
export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  jti?: string;
  /** Okta: the client id. */
  cid?: string;
  /** RFC 9068: the client id. */
  client_id?: string;
  /** Okta: the granted scopes, as an array. */
  scp?: string[];
  /** RFC 9068: the granted scopes, space-delimited. */
  scope?: string;
  [claim: string]: JsonValue | undefined;
}

/** What `verify` resolves with: a token whose signature and claims have been checked. */
export interface VerifiedToken {
  /** Every claim of the payload. */
  claims: AccessTokenClaims;
  /** The JOSE header. */
  header: JwsHeader;
  /** Granted scopes, read from `scp` (array, Okta) or `scope` (space-delimited, RFC 9068). */
  scopes: readonly string[];
  /** `cid` (Okta) or `client_id` (RFC 9068), when present. */
  clientId: string | undefined;
  /** `sub`, when present. */
  subject: string | undefined;
  /** `exp` as a Date. */
  expiresAt: Date;
  /**
   * The trusted issuer whose key and settings verified the token: equal to `claims.iss`. With several
   * issuers, it says which one the token was routed to.
   */
  issuer: string;
}

/**
 * One custom claim rule, as in `requiredClaims`:
 * - a JSON primitive: the claim must equal it;
 * - `{ includes: x }` or `{ includes: [x, y] }`: the claim (an array, or a space-delimited string)
 *   must contain every listed value;
 * - a predicate: called with the claim's value (possibly `undefined`) and all claims; must return true.
 */
export type ClaimRequirement =
  | string
  | number
  | boolean
  | { includes: string | number | readonly (string | number)[] }
  | ((value: JsonValue | undefined, claims: AccessTokenClaims) => boolean);

/**
 * The part of `fetch` scopeguard uses: a GET of a URL string. The global `fetch`, undici's, a proxy-aware
 * wrapper or the test kit's in-process `issuer.fetch` all fit.
 */
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

/** Settings of the JWKS cache. All durations are in milliseconds. */
export interface JwksCacheOptions {
  /** How long a fetched key set is fresh; after it, the next use triggers a background refresh. Default 10 min. */
  maxAge?: number;
  /** Minimum time between two fetches caused by unknown `kid`s. Default 5 s. */
  cooldown?: number;
  /** Abort a JWKS or discovery request after this long. Default 5 s. */
  fetchTimeout?: number;
  /** Refuse JWKS and metadata responses larger than this many bytes. Default 512 KiB. */
  maxResponseBytes?: number;
  /** While the endpoint fails, keep serving the last good keys for this long past `maxAge`. Default 24 h. */
  maxStale?: number;
  /**
   * A token whose `kid` is unknown waits at most this long for the next allowed refresh (cooldown plus
   * the fetch itself); past it the token is refused with `jwks_unavailable` (the refresh is still
   * running, so it could not be checked). Default 10 s.
   */
  unknownKidTimeout?: number;
}

/** Settings of the bounded cache of already-verified tokens. */
export interface TokenCacheOptions {
  /** Most tokens remembered at once (least recently used are dropped). Default 10,000; 0 disables. */
  maxEntries?: number;
}

/**
 * The settings that may differ from one trusted issuer to another. In the single-issuer form they are
 * top-level options; with `issuers`, each may be set per issuer (see {@link IssuerConfig}) and the
 * top-level value is the default every issuer without its own inherits.
 */
export interface IssuerSettings {
  /** Accepted audience(s): the token's `aud` (string or array) must contain one of them. */
  audience?: string | readonly string[];
  /** Allowlist for the client id (`cid` or `client_id`); when set, a token without one is refused. */
  clientIds?: readonly string[];
  /** Accepted signature algorithms. Default `['RS256']`. `none` and `HS*` can never be enabled. */
  algorithms?: readonly Algorithm[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockTolerance?: number;
  /** When set, tokens issued (`iat`) more than this many seconds ago are refused; `iat` becomes required. */
  maxTokenAge?: number;
  /** Custom claim rules (Okta's `assertClaims`), keyed by claim name. */
  requiredClaims?: Readonly<Record<string, ClaimRequirement>>;
  /**
   * `typ` header policy. `'any'` (default, what Okta issues): any `typ` but an ID token's. `'strict'`:
   * `at+jwt` or `application/at+jwt` is required (RFC 9068). ID-token-shaped tokens are refused in both.
   */
  typ?: 'any' | 'strict';
  /** JWKS cache settings (per issuer, they are merged member by member over the top-level ones). */
  jwks?: JwksCacheOptions;
}

/**
 * One trusted issuer in `issuers`: its identifier and, optionally, its own settings, which replace the
 * top-level ones for its tokens (`jwks` is merged member by member; every other setting is replaced whole).
 */
export interface IssuerConfig extends IssuerSettings {
  /**
   * The issuer identifier, compared exactly with each token's `iss` (the token is routed by it). Same rules
   * as the single-issuer `issuer`: `https:` (plain `http:` only on a loopback host), written canonically.
   */
  issuer: string;
  /** Where this issuer's keys are; discovered from `issuer` when absent (as the single-issuer `jwksUri`). */
  jwksUri?: string;
}

/**
 * The dynamic form of `issuers`: asked about a token's (unverified) `iss`, returns the issuer's settings
 * when it is trusted, `undefined` when it is not. May be async. Its answers are cached (see
 * {@link IssuerResolverOptions}); it is asked only about an `iss` that could be a configured issuer, and
 * the settings it returns are validated like static ones (their `issuer` must equal the `iss` asked about).
 */
export type IssuerResolver = (
  iss: string,
) => IssuerConfig | undefined | PromiseLike<IssuerConfig | undefined>;

/** How the answers of an {@link IssuerResolver} are kept. Durations in milliseconds. */
export interface IssuerResolverOptions {
  /**
   * How long a trusted answer (an `IssuerConfig`) is used before the function is asked again; the next
   * token past it is verified with the answer in hand while the function is asked again in the background
   * (single-flight). Default 10 min.
   */
  maxAge?: number;
  /** How long an `undefined` answer (not trusted) is remembered. Default 1 min. */
  refusedMaxAge?: number;
  /** Most refused `iss` values remembered at once (least recently used are forgotten). Default 1,000. */
  maxRefused?: number;
  /**
   * The function's answer is awaited at most this long; past it the token is refused with
   * `jwks_unavailable` (it could not be checked). Default 5 s.
   */
  timeout?: number;
}

/** Options every form of `createVerifier` shares: the verifier-wide ones and the issuers' defaults. */
export interface VerifierSharedOptions extends IssuerSettings {
  /**
   * The resource identifier of this API (RFC 8707, RFC 9728): an `https:` URL (plain `http:` only on a
   * loopback host), without fragment, written canonically (it is compared exactly with `aud`). When no
   * `audience` is given, it is the accepted audience: an authorization server that supports resource
   * indicators puts the requested resource in `aud`.
   */
  resource?: string;
  /** Verified-token cache settings, or `false` to disable it. */
  cache?: TokenCacheOptions | false;
  /** Longest token accepted, in characters, checked before any decoding. Default 16,384. */
  maxTokenLength?: number;
  /** A `fetch` to use for discovery and JWKS (proxies, custom agents, tests). Default: the global one. */
  fetch?: FetchFunction;
  /**
   * Where signature checks run. `'auto'` (default): on the main thread for a lone verification (lowest
   * latency), in libuv's threadpool as well when verifications overlap (throughput on every core).
   * `'never'`: always on the main thread. `'always'`: always in the threadpool.
   */
  threadpool?: 'auto' | 'never' | 'always';
  /** Receives key events (JWKS fetched, refreshed, failed, stale keys served, unknown `kid`). */
  onEvent?: EventListener;
  /**
   * Key-loading failures that look like configuration (metadata naming another issuer, HTTP 401/403/404,
   * not JSON, not a JWK Set, no usable key for `algorithms`, a refused redirect) are reported once per
   * verifier and cause through `process.emitWarning` with code `SCOPEGUARD_CONFIG`, with the likely fix.
   * `false` silences them (events still carry every failure). Default `true`.
   */
  warnings?: boolean;
  /** Clock, in milliseconds since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** Options of `createVerifier` for one issuer. Names are part of the public contract. */
export interface VerifierOptions extends VerifierSharedOptions {
  /**
   * The expected `iss`, compared exactly. Must be `https:` unless its host is loopback (`localhost`,
   * `127.0.0.0/8`, `::1`).
   */
  issuer: string;
  /**
   * Accepted audience(s): the token's `aud` (string or array) must contain one of them. Required unless
   * `resource` is set (then `resource` is the audience).
   */
  audience: string | readonly string[];
  /**
   * Where the keys are. When absent: discovered from `${issuer}/.well-known/oauth-authorization-server`
   * (RFC 8414), then `/.well-known/openid-configuration`, else Okta's `${issuer}/v1/keys`.
   */
  jwksUri?: string;
  /** Only in the multi-issuer form. */
  issuers?: undefined;
}

/**
 * The single-issuer form with `resource` standing for the audience: `{ issuer, resource }`. Everything
 * else as {@link VerifierOptions}.
 */
export interface ResourceVerifierOptions extends Omit<VerifierOptions, 'audience'> {
  /** The resource identifier; it is the accepted audience. */
  resource: string;
  /** Optional here: when absent, `resource` is the audience. */
  audience?: string | readonly string[];
}

/**
 * Options of `createVerifier` for several issuers: `issuers` lists the trusted ones (or a function that
 * decides), and each token is routed by its `iss` to its issuer's keys and settings. Top-level
 * {@link IssuerSettings} are every issuer's defaults; `fetch`, `cache`, `threadpool`, `onEvent`, `warnings`,
 * `maxTokenLength`, `now` and `resource` are verifier-wide.
 */
export interface MultiIssuerVerifierOptions extends VerifierSharedOptions {
  /** The trusted issuers, at least one, each with its own settings; or a function deciding per `iss`. */
  issuers: readonly IssuerConfig[] | IssuerResolver;
  /** Only in the single-issuer form. */
  issuer?: undefined;
  /** Per issuer only (`issuers[i].jwksUri`). */
  jwksUri?: undefined;
  /**
   * With a function: most issuers kept live at once, each with its keys (least recently used are
   * dropped, and asked about again when a token names them). Default 100.
   */
  maxIssuers?: number;
  /** With a function: how its answers are cached. */
  resolver?: IssuerResolverOptions;
}

/** Every form `createVerifier` accepts. */
export type AnyVerifierOptions = VerifierOptions | ResourceVerifierOptions | MultiIssuerVerifierOptions;

/** A verifier built once at startup and shared by every request. */
export interface Verifier {
  /** Verifies a compact JWS access token; rejects with a `TokenError` only. */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * Fetches the key set now, whatever is cached (single-flight: joins a fetch in flight). Rejects with
   * `TokenError` `jwks_unavailable` when the fetch fails or the set it got has no usable key. With several
   * issuers: `refreshKeys(iss)` refreshes that one (a live one, for a function), `refreshKeys()` every
   * static (or live) one, rejecting with a message naming each issuer that failed.
   */
  refreshKeys(issuer?: string): Promise<void>;
  /**
   * The readiness check: resolves once keys are loaded and at least one is usable, fetching them (with
   * discovery) only if none are cached (or, past the cooldown, while the cached set has no usable key);
   * resolves at once when they are. Rejects with `TokenError`
   * `jwks_unavailable` whose message names the cause and, when it looks like configuration, the likely
   * fix. Call it before `listen` to fail at startup. With several issuers it loads every static issuer's
   * keys and rejects naming each issuer that failed (with a function: the live ones, none at startup).
   * `createVerifier`'s verifiers always have it; it is
   * optional here only so that hand-written `Verifier`s (test doubles, wrappers) keep type-checking.
   */
  ready?(): Promise<void>;
  /**
   * The configured issuer. With several issuers: the first of the static list (`''` for a function);
   * read `issuers` instead.
   */
  readonly issuer: string;
  /**
   * The accepted audiences. With several issuers: the top-level ones (or `resource`) and every static
   * issuer's own.
   */
  readonly audiences: readonly string[];
  /**
   * The trusted issuers: `[issuer]`, the static list, or (for a function) the issuers live now. Optional
   * here for hand-written `Verifier`s; `createVerifier`'s always have it.
   */
  readonly issuers?: readonly string[];
  /** The configured resource identifier (RFC 8707 / RFC 9728), when there is one. */
  readonly resource?: string | undefined;
}

/** A public key from the JWKS, imported and bound to exactly one algorithm. */
export interface ImportedKey {
  /** The JWK's `kid`, if it had one. */
  readonly kid: string | undefined;
  /** The one algorithm this key may verify. */
  readonly alg: Algorithm;
  /** The imported public key. */
  readonly key: KeyObject;
}
