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
import type {
  ClaimRequirement,
  FetchFunction,
  IssuerConfig,
  IssuerResolver,
  IssuerSettings,
  JwksCacheOptions,
  MultiIssuerVerifierOptions,
  ResourceVerifierOptions,
  VerifierOptions,
  VerifierSharedOptions,
} from './types.js';

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

/** The settings of one trusted issuer after validation and defaults. */
export interface ResolvedIssuer {
  issuer: string;
  jwksUri: string | undefined;
  algorithms: readonly Algorithm[];
  claims: ClaimPolicy;
  jwks: Required<JwksCacheOptions>;
}

/** The verifier-wide options after validation and defaults. */
export interface ResolvedShared {
  /** The resource identifier (RFC 8707 / RFC 9728), canonical, when configured. */
  resource: string | undefined;
  maxTokenLength: number;
  cacheMaxEntries: number;
  fetch: FetchFunction;
  threadpool: ThreadpoolMode;
  onEvent: EventListener | undefined;
  warnings: boolean;
  now: () => number;
}

/** Options after validation and defaults: one issuer's settings and the verifier-wide ones. */
export interface ResolvedOptions extends ResolvedIssuer, ResolvedShared {}

/** What every issuer inherits unless it sets its own (validated top-level {@link IssuerSettings}). */
export interface IssuerDefaults {
  /** Top-level `audience`, else `resource`, else none (then every issuer must have its own). */
  audiences: readonly string[] | undefined;
  clientIds: readonly string[] | undefined;
  algorithms: readonly Algorithm[];
  clockTolerance: number;
  maxTokenAge: number | undefined;
  typ: 'any' | 'strict';
  requiredClaims: readonly (readonly [string, ClaimRequirement])[];
  jwks: Required<JwksCacheOptions>;
}

/** How the answers of an issuers function are kept, after validation and defaults. */
export interface ResolvedResolverOptions {
  maxAge: number;
  refusedMaxAge: number;
  maxRefused: number;
  timeout: number;
}

/** The multi-issuer form after validation: shared options, defaults, and the static list or the function. */
export interface ResolvedMultiOptions {
  shared: ResolvedShared;
  defaults: IssuerDefaults;
  /** The static list, in order (distinct issuers). */
  issuers: readonly ResolvedIssuer[] | undefined;
  /** The function, when `issuers` is one. */
  resolve: IssuerResolver | undefined;
  maxIssuers: number;
  resolver: ResolvedResolverOptions;
}

/** The keys an {@link IssuerConfig} may have; anything else in one is refused (it is verifier-wide, or a typo). */
const ISSUER_CONFIG_KEYS = new Set([
  'issuer',
  'jwksUri',
  'audience',
  'clientIds',
  'algorithms',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
  'typ',
  'jwks',
]);

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
 * `option` names it in the `ConfigError` (`issuers[1].issuer` for one of several).
 */
export function checkIssuer(value: unknown, option = 'issuer'): string {
  return checkIdentifier(option, value, 'iss', false);
}

/**
 * Validates `resource` (RFC 8707 §2, RFC 9728 §1.2): an absolute `https:` URL (plain `http:` only on a
 * loopback host) without fragment, written canonically as `issuer` is, since it stands for the audience and
 * is compared exactly with `aud`. A query is allowed (RFC 8707 only says it SHOULD NOT be there).
 */
export function checkResource(value: unknown): string {
  return checkIdentifier('resource', value, 'aud', true);
}

/** An identifier compared exactly with a claim: a URL kept as written, which must be its canonical form. */
function checkIdentifier(option: string, value: unknown, claim: string, allowQuery: boolean): string {
  const url = parseUrlOption(option, value);
  const written = value as string;
  if (!allowQuery && (url.search || written.includes('?'))) {
    throw new ConfigError(option, `must not have a query (RFC 8414 §2), found ${describeValue(written)}`);
  }
  const canonical = url.href;
  const bareOrigin = url.pathname === '/' && !url.search && canonical === `${written}/`;
  if (written !== canonical && !bareOrigin) {
    const suggestion =
      url.pathname === '/' && !url.search && !written.trimEnd().endsWith('/')
        ? canonical.slice(0, -1)
        : canonical;
    throw new ConfigError(
      option,
      `${describeValue(written)} is not written in canonical form: a URL parser reads it as ${describeValue(suggestion)}. It is compared exactly with each token's "${claim}", so configure ${describeValue(suggestion)} (or the exact "${claim}" your tokens carry, if that is already canonical)`,
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

function algorithmList(option: string, value: unknown, fallback: readonly Algorithm[]): Algorithm[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(option, `must be a non-empty array, found ${describeValue(value)}`);
  }
  for (const alg of value) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^hs\d+$/i.test(alg))) {
      throw new ConfigError(
        option,
        `${describeValue(alg)} can never be enabled: a resource server verifies with public keys only (RFC 8725 §3.1, §3.2)`,
      );
    }
    if (!isSupportedAlgorithm(alg)) {
      throw new ConfigError(
        option,
        `${describeValue(alg)} is not supported (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`,
      );
    }
  }
  return [...new Set(value as Algorithm[])];
}

function typPolicy(option: string, value: unknown, fallback: 'any' | 'strict'): 'any' | 'strict' {
  const typ = value ?? fallback;
  if (typ !== 'any' && typ !== 'strict') {
    throw new ConfigError(option, `must be "any" or "strict", found ${describeValue(typ)}`);
  }
  return typ;
}

function claimRules(
  prefix: string,
  value: IssuerSettings['requiredClaims'],
  fallback: IssuerDefaults['requiredClaims'],
): IssuerDefaults['requiredClaims'] {
  if (value === undefined) return fallback;
  const requiredClaims = Object.entries(value);
  for (const [name, rule] of requiredClaims) {
    const ok =
      typeof rule === 'function' ||
      typeof rule === 'string' ||
      typeof rule === 'boolean' ||
      (typeof rule === 'number' && Number.isFinite(rule)) ||
      (typeof rule === 'object' && rule !== null && 'includes' in rule);
    if (!ok) {
      throw new ConfigError(
        `${prefix}requiredClaims.${name}`,
        `must be a value, { includes }, or a predicate, found ${describeValue(rule)}`,
      );
    }
  }
  return requiredClaims;
}

function jwksSettings(
  prefix: string,
  value: JwksCacheOptions | undefined,
  fallback: Required<JwksCacheOptions>,
): Required<JwksCacheOptions> {
  const jwks = value ?? {};
  const p = `${prefix}jwks.`;
  return {
    maxAge: positive(`${p}maxAge`, jwks.maxAge, fallback.maxAge),
    cooldown: positive(`${p}cooldown`, jwks.cooldown, fallback.cooldown, true),
    fetchTimeout: positive(`${p}fetchTimeout`, jwks.fetchTimeout, fallback.fetchTimeout),
    maxResponseBytes: positive(`${p}maxResponseBytes`, jwks.maxResponseBytes, fallback.maxResponseBytes),
    maxStale: positive(`${p}maxStale`, jwks.maxStale, fallback.maxStale, true),
    unknownKidTimeout: positive(
      `${p}unknownKidTimeout`,
      jwks.unknownKidTimeout,
      fallback.unknownKidTimeout,
      true,
    ),
  };
}

const BUILT_IN_DEFAULTS: IssuerDefaults = Object.freeze({
  audiences: undefined,
  clientIds: undefined,
  algorithms: DEFAULT_ALGORITHMS,
  clockTolerance: DEFAULTS.clockTolerance,
  maxTokenAge: undefined,
  typ: 'any',
  requiredClaims: [],
  jwks: DEFAULTS.jwks,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the top-level {@link IssuerSettings} into the defaults every issuer inherits. `resource`
 * stands for the audience when no `audience` is given.
 */
function resolveDefaults(options: IssuerSettings, resource: string | undefined): IssuerDefaults {
  const d = BUILT_IN_DEFAULTS;
  const audiences =
    options.audience === undefined ? (resource === undefined ? undefined : [resource]) : undefined;
  return {
    audiences: audiences ?? stringList('audience', options.audience, false),
    clientIds: stringList('clientIds', options.clientIds, false),
    algorithms: algorithmList('algorithms', options.algorithms, d.algorithms),
    clockTolerance: positive('clockTolerance', options.clockTolerance, d.clockTolerance, true),
    maxTokenAge:
      options.maxTokenAge === undefined ? undefined : positive('maxTokenAge', options.maxTokenAge, 0),
    typ: typPolicy('typ', options.typ, d.typ),
    requiredClaims: claimRules('', options.requiredClaims, d.requiredClaims),
    jwks: jwksSettings('', options.jwks, d.jwks),
  };
}

/**
 * Validates one issuer's settings over `defaults`. `prefix` names where they are in the options
 * (`''` for the single-issuer form, `issuers[1].` for one of several), so a `ConfigError` names the exact
 * option (`issuers[1].jwksUri`).
 */
export function resolveIssuer(
  config: IssuerConfig,
  defaults: IssuerDefaults,
  prefix: string,
): ResolvedIssuer {
  const issuer = checkIssuer(config.issuer, `${prefix}issuer`);
  const audiences =
    config.audience === undefined
      ? defaults.audiences
      : stringList(`${prefix}audience`, config.audience, true);
  if (audiences === undefined) {
    throw new ConfigError(
      `${prefix}audience`,
      prefix === ''
        ? `must be a non-empty string or array of non-empty strings, found ${describeValue(config.audience)} (or set resource)`
        : 'is required: this issuer has no audience of its own, and there is no top-level audience or resource',
    );
  }
  const jwksUri = config.jwksUri === undefined ? undefined : checkUrl(`${prefix}jwksUri`, config.jwksUri);
  const clientIds =
    config.clientIds === undefined
      ? defaults.clientIds
      : stringList(`${prefix}clientIds`, config.clientIds, false);
  const algorithms = algorithmList(`${prefix}algorithms`, config.algorithms, defaults.algorithms);
  const typ = typPolicy(`${prefix}typ`, config.typ, defaults.typ);
  const requiredClaims = claimRules(prefix, config.requiredClaims, defaults.requiredClaims);
  const clockTolerance = positive(
    `${prefix}clockTolerance`,
    config.clockTolerance,
    defaults.clockTolerance,
    true,
  );
  const maxTokenAge =
    config.maxTokenAge === undefined
      ? defaults.maxTokenAge
      : positive(`${prefix}maxTokenAge`, config.maxTokenAge, 0);
  return {
    issuer,
    jwksUri,
    algorithms,
    claims: {
      issuer,
      audiences: [...audiences],
      clientIds: clientIds === undefined ? undefined : [...clientIds],
      clockTolerance,
      maxTokenAge,
      typ,
      requiredClaims,
    },
    jwks: jwksSettings(prefix, config.jwks, defaults.jwks),
  };
}

/** Validates the verifier-wide options. */
function resolveShared(options: VerifierSharedOptions): ResolvedShared {
  const resource = options.resource === undefined ? undefined : checkResource(options.resource);
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
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new ConfigError('now', `must be a function, found ${describeValue(options.now)}`);
  }
  const cache = options.cache;
  return {
    resource,
    maxTokenLength: positive('maxTokenLength', options.maxTokenLength, DEFAULTS.maxTokenLength),
    cacheMaxEntries:
      cache === false ? 0 : positive('cache.maxEntries', cache?.maxEntries, DEFAULTS.cache.maxEntries, true),
    fetch: fetchImpl,
    threadpool,
    onEvent: options.onEvent,
    warnings,
    now: options.now ?? Date.now,
  };
}

function checkOptionsObject(options: unknown): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', `must be an object, found ${describeValue(options)}`);
  }
}

/** Options that belong to the multi-issuer form only. */
const MULTI_ONLY = ['maxIssuers', 'resolver'] as const;

/**
 * Validates single-issuer `createVerifier` options and fills in defaults. Throws `ConfigError` naming the
 * option at fault, so a misconfiguration stops the app at startup rather than refusing every request later.
 */
export function resolveOptions(options: VerifierOptions | ResourceVerifierOptions): ResolvedOptions {
  checkOptionsObject(options);
  if ((options as { issuers?: unknown }).issuers !== undefined) {
    throw new ConfigError(
      'issuers',
      'give either issuer (one trusted issuer) or issuers (several), not both',
    );
  }
  for (const name of MULTI_ONLY) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new ConfigError(name, 'applies only when issuers is a function (several issuers)');
    }
  }
  // The issuer first, as it always was: it is the option most often wrong.
  checkIssuer(options.issuer);
  const shared = resolveShared(options);
  const defaults = resolveDefaults(options, shared.resource);
  return { ...resolveIssuer(options as IssuerConfig, defaults, ''), ...shared };
}

const RESOLVER_DEFAULTS: ResolvedResolverOptions = Object.freeze({
  maxAge: 10 * 60_000,
  refusedMaxAge: 60_000,
  maxRefused: 1_000,
  timeout: 5_000,
});

/** Default most live issuers for an issuers function. */
export const DEFAULT_MAX_ISSUERS = 100;

/**
 * Validates multi-issuer `createVerifier` options: the shared ones, the defaults, and each static issuer
 * over them (or the function and how its answers are kept). Throws `ConfigError` naming the option, e.g.
 * `issuers[1].jwksUri`.
 */
export function resolveMultiOptions(options: MultiIssuerVerifierOptions): ResolvedMultiOptions {
  checkOptionsObject(options);
  const raw = options as unknown as Record<string, unknown>;
  if (raw['issuer'] !== undefined) {
    throw new ConfigError(
      'issuers',
      'give either issuer (one trusted issuer) or issuers (several), not both',
    );
  }
  if (raw['jwksUri'] !== undefined) {
    throw new ConfigError('jwksUri', 'is set per issuer with issuers: use issuers[i].jwksUri');
  }
  const shared = resolveShared(options);
  const defaults = resolveDefaults(options, shared.resource);
  const list = options.issuers;
  if (typeof list === 'function') {
    const r = options.resolver;
    if (r !== undefined && !isRecord(r)) {
      throw new ConfigError('resolver', `must be an object, found ${describeValue(r)}`);
    }
    const maxRefused = positive('resolver.maxRefused', r?.maxRefused, RESOLVER_DEFAULTS.maxRefused, true);
    const maxIssuers = positive('maxIssuers', options.maxIssuers, DEFAULT_MAX_ISSUERS);
    for (const [name, count] of [
      ['maxIssuers', maxIssuers],
      ['resolver.maxRefused', maxRefused],
    ] as const) {
      if (!Number.isInteger(count))
        throw new ConfigError(name, `must be a whole number, found ${describeValue(count)}`);
    }
    return {
      shared,
      defaults,
      issuers: undefined,
      resolve: list,
      maxIssuers,
      resolver: {
        maxAge: positive('resolver.maxAge', r?.maxAge, RESOLVER_DEFAULTS.maxAge),
        refusedMaxAge: positive(
          'resolver.refusedMaxAge',
          r?.refusedMaxAge,
          RESOLVER_DEFAULTS.refusedMaxAge,
          true,
        ),
        maxRefused,
        timeout: positive('resolver.timeout', r?.timeout, RESOLVER_DEFAULTS.timeout),
      },
    };
  }
  for (const name of MULTI_ONLY) {
    if (raw[name] !== undefined) {
      throw new ConfigError(name, 'applies only when issuers is a function; a static list is kept whole');
    }
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(
      'issuers',
      `must be a non-empty array of { issuer, ... } or a function (iss) => config, found ${describeValue(list)}`,
    );
  }
  const seen = new Map<string, number>();
  const issuers = list.map((entry: unknown, index) => {
    const resolved = resolveIssuerConfig(entry, defaults, `issuers[${index}]`);
    const earlier = seen.get(resolved.issuer);
    if (earlier !== undefined) {
      throw new ConfigError(
        `issuers[${index}].issuer`,
        `${describeValue(resolved.issuer)} is already issuers[${earlier}]: each issuer is listed once`,
      );
    }
    seen.set(resolved.issuer, index);
    return resolved;
  });
  return {
    shared,
    defaults,
    issuers,
    resolve: undefined,
    maxIssuers: issuers.length,
    resolver: RESOLVER_DEFAULTS,
  };
}

/**
 * Validates one entry of `issuers` (static, or returned by the function) over `defaults`. `where` names it
 * in the `ConfigError` (`issuers[1]`). Keys an issuer cannot have on its own (`fetch`, `cache`, a typo)
 * are refused, so a per-issuer setting that would be silently ignored fails at construction.
 */
export function resolveIssuerConfig(entry: unknown, defaults: IssuerDefaults, where: string): ResolvedIssuer {
  if (!isRecord(entry)) {
    throw new ConfigError(where, `must be an object { issuer, ... }, found ${describeValue(entry)}`);
  }
  for (const key of Object.keys(entry)) {
    if (ISSUER_CONFIG_KEYS.has(key) || entry[key] === undefined) continue;
    throw new ConfigError(
      `${where}.${key}`,
      VERIFIER_WIDE.has(key)
        ? 'is verifier-wide: set it at the top level of the options, not per issuer'
        : `is not a per-issuer setting (per issuer: ${[...ISSUER_CONFIG_KEYS].join(', ')})`,
    );
  }
  return resolveIssuer(entry as unknown as IssuerConfig, defaults, `${where}.`);
}

/** Options that exist only once per verifier. */
const VERIFIER_WIDE = new Set([
  'resource',
  'cache',
  'maxTokenLength',
  'fetch',
  'threadpool',
  'onEvent',
  'warnings',
  'now',
  'issuers',
  'maxIssuers',
  'resolver',
]);
