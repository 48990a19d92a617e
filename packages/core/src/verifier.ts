import { type CheckedClaims, checkClaims } from './claims.js';
import { deepFreeze } from './deep-freeze.js';
import { type ParsedCompact, parseCompact } from './compact.js';
import { describeValue, isTokenError, TokenError } from './errors.js';
import { createEmitter } from './events.js';
import {
  DynamicIssuerRouter,
  type IssuerRouter,
  singleIssuerRouter,
  staticIssuerRouter,
} from './issuer-router.js';
import { type ResolvedShared, resolveMultiOptions, resolveOptions } from './options.js';
import { createSignatureScheduler } from './signature-scheduler.js';
import { VerifiedTokenCache } from './token-cache.js';
import { createTrustedIssuer, type IssuerRuntime, type TrustedIssuer } from './trusted-issuer.js';
import type {
  AnyVerifierOptions,
  ImportedKey,
  JwsHeader,
  MultiIssuerVerifierOptions,
  ResourceVerifierOptions,
  VerifiedToken,
  Verifier,
  VerifierOptions,
} from './types.js';

/** A token's claims checked before its signature: the result to give, or the claim rule's refusal to report. */
type Prepared =
  | { readonly result: VerifiedToken; readonly refusal: undefined }
  | { readonly result: undefined; readonly refusal: unknown };

/** What `createVerifier` returns: a {@link Verifier} with every member (`resource` stays optional). */
export type CreatedVerifier = Required<Omit<Verifier, 'resource'>> & Pick<Verifier, 'resource'>;

function keyName(key: ImportedKey): string {
  return key.kid === undefined ? 'without kid' : describeValue(key.kid, 64);
}

/**
 * Anything but a TokenError escaped a check on the token itself (key failures are mapped in `fetchKey`):
 * refuse the token rather than report an outage, and keep the promise that only TokenErrors come out.
 */
function asTokenError(error: unknown): TokenError {
  return isTokenError(error)
    ? error
    : new TokenError('token_malformed', 'the token could not be processed', { cause: error });
}
const rethrowAsTokenError = (error: unknown): never => {
  throw asTokenError(error);
};

function isMultiIssuer(options: AnyVerifierOptions): options is MultiIssuerVerifierOptions {
  return (
    typeof options === 'object' &&
    options !== null &&
    (options as { issuers?: unknown }).issuers !== undefined
  );
}

/**
 * Runs `operation` on every issuer at once. One issuer: its own outcome, unchanged. Several: resolves when
 * all succeed, else rejects with one `jwks_unavailable` naming each issuer that failed and why.
 */
async function onEveryIssuer(
  issuers: readonly TrustedIssuer[],
  operation: (issuer: TrustedIssuer) => Promise<void>,
): Promise<void> {
  if (issuers.length === 1) return operation(issuers[0] as TrustedIssuer);
  const outcomes = await Promise.allSettled(issuers.map(operation));
  const failed = outcomes.flatMap((outcome, index) =>
    outcome.status === 'rejected'
      ? [{ issuer: (issuers[index] as TrustedIssuer).issuer, error: outcome.reason }]
      : [],
  );
  if (failed.length === 0) return;
  const reasons = failed.map(
    ({ issuer, error }) =>
      `issuer ${describeValue(issuer, 200)}: ${(error as Error)?.message ?? String(error)}`,
  );
  throw new TokenError(
    'jwks_unavailable',
    `${failed.length} of ${issuers.length} issuers cannot verify tokens: ${reasons.join('; ')}`,
    { cause: failed[0]?.error },
  );
}

/**
 * Builds a verifier. Construction validates the options and throws `ConfigError` on a mistake; nothing is
 * fetched until the first `verify` (or `ready` / `refreshKeys`).
 *
 * - One issuer: `{ issuer, audience }` (or `{ issuer, resource }`: the resource is then the audience).
 * - Several: `{ issuers: [{ issuer, ...own settings }, ...], audience }`; top-level settings are every
 *   issuer's defaults. Each token is routed by its unverified `iss`, compared exactly, to its issuer's
 *   own keys (discovery, JWKS cache, cooldown, stale window) and settings; an `iss` that is not trusted is
 *   refused (`issuer_invalid`) before any key lookup, and nothing is ever fetched for it.
 * - Dynamic tenants: `{ issuers: (iss) => config | undefined, audience }`, answers cached, at most
 *   `maxIssuers` live issuers.
 *
 * `verify(token)` resolves with the verified token or rejects with a `TokenError`. The order is fixed
 * and each step refuses early: strict compact parsing → (several issuers) routing by `iss` → algorithm
 * allowlist → key lookup in the JWKS cache → signature → claims. A bad signature is therefore reported as
 * such even on an expired token.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * const { clientId, scopes } = await verifier.verify(token);
 */
export function createVerifier(options: VerifierOptions): CreatedVerifier;
export function createVerifier(options: ResourceVerifierOptions): CreatedVerifier;
export function createVerifier(options: MultiIssuerVerifierOptions): CreatedVerifier;
export function createVerifier(options: AnyVerifierOptions): CreatedVerifier;
export function createVerifier(options: AnyVerifierOptions): CreatedVerifier {
  if (isMultiIssuer(options)) {
    const m = resolveMultiOptions(options);
    const runtime = runtimeOf(m.shared);
    if (m.issuers !== undefined) {
      const issuers = m.issuers.map((settings) => createTrustedIssuer(settings, runtime));
      const audiences = new Set(m.defaults.audiences ?? []);
      for (const issuer of issuers) for (const a of issuer.settings.claims.audiences) audiences.add(a);
      return build(m.shared, staticIssuerRouter(issuers), {
        issuer: issuers[0]?.issuer ?? '',
        audiences: [...audiences],
        dynamic: false,
      });
    }
    const router = new DynamicIssuerRouter({
      resolve: m.resolve as NonNullable<typeof m.resolve>,
      defaults: m.defaults,
      runtime,
      maxIssuers: m.maxIssuers,
      resolver: m.resolver,
      failureMaxAge: m.defaults.jwks.cooldown,
      maxStale: m.defaults.jwks.maxStale,
    });
    return build(m.shared, router, {
      issuer: '',
      audiences: [...(m.defaults.audiences ?? [])],
      dynamic: true,
    });
  }
  const o = resolveOptions(options);
  const issuer = createTrustedIssuer(o, runtimeOf(o));
  return build(o, singleIssuerRouter(issuer), {
    issuer: o.issuer,
    audiences: o.claims.audiences,
    dynamic: false,
  });
}

function runtimeOf(shared: ResolvedShared): IssuerRuntime {
  return {
    fetch: shared.fetch,
    emit: createEmitter(shared.onEvent),
    warnings: shared.warnings,
    now: shared.now,
  };
}

interface Described {
  issuer: string;
  audiences: readonly string[];
  /** Issuers come and go (an issuers function): `issuers` is read anew each time. */
  dynamic: boolean;
}

function build(shared: ResolvedShared, router: IssuerRouter, described: Described): CreatedVerifier {
  const { now } = shared;
  const cache =
    shared.cacheMaxEntries > 0 ? new VerifiedTokenCache<TrustedIssuer>(shared.cacheMaxEntries) : undefined;
  const signatures = createSignatureScheduler(shared.threadpool);

  /**
   * The claims checked and the result built (frozen), or the claim rule that refused the token: worked
   * out before the signature check, while the parsed token is fresh in the CPU's caches (the RSA or EC
   * operation evicts them; measured, the same checks cost ~1.5 µs more after it), but reported only after
   * it, so a bad signature is still reported as such on a token whose claims are also wrong.
   */
  function prepare(parsed: ParsedCompact, issuer: TrustedIssuer): Prepared {
    const policy = issuer.settings.claims;
    let checked: CheckedClaims;
    try {
      checked = checkClaims(parsed.header, parsed.payload, policy, now());
    } catch (error) {
      return { result: undefined, refusal: error };
    }
    // Frozen in depth, member by member (the same outcome as deepFreeze of the whole result, without
    // walking its top level): the claims and scopes may be shared by every request that presents the token.
    const result: VerifiedToken = Object.freeze({
      claims: deepFreeze(checked.claims),
      header: deepFreeze(parsed.header as JwsHeader),
      scopes: deepFreeze(checked.scopes),
      clientId: checked.clientId,
      subject: checked.subject,
      expiresAt: Object.freeze(new Date(checked.claims.exp * 1000)),
      issuer: issuer.issuer,
    });
    return { result, refusal: undefined };
  }

  /** After the signature check: the verdict, in order (signature, then claims); remembered when the cache is on. */
  function finish(
    token: string,
    prepared: Prepared,
    issuer: TrustedIssuer,
    key: ImportedKey,
    valid: boolean,
  ): VerifiedToken {
    if (!valid) {
      throw new TokenError(
        'signature_invalid',
        `signature does not verify with key ${keyName(key)} (${key.alg})`,
      );
    }
    const { result } = prepared;
    if (result === undefined) throw prepared.refusal;
    if (cache) {
      // The window in which checkClaims' time rules hold (see VerifiedTokenCache for what a hit re-checks).
      const policy = issuer.settings.claims;
      const tolerance = policy.clockTolerance;
      const { exp, nbf, iat } = result.claims;
      let validUntil = (exp + tolerance) * 1000;
      const { maxTokenAge } = policy;
      if (maxTokenAge !== undefined && typeof iat === 'number') {
        validUntil = Math.min(validUntil, (iat + maxTokenAge + tolerance) * 1000);
      }
      const notBefore = Math.max(typeof nbf === 'number' ? nbf : 0, typeof iat === 'number' ? iat : 0);
      cache.set(token, result, key, issuer, (notBefore - tolerance) * 1000, validUntil);
    }
    return result;
  }

  function checkSignature(token: string, parsed: ParsedCompact, issuer: TrustedIssuer, key: ImportedKey) {
    if (key.alg !== parsed.header.alg) {
      throw new TokenError(
        'alg_not_allowed',
        `alg ${describeValue(parsed.header.alg)} does not fit key ${keyName(key)}, which is bound to ${key.alg}`,
        { claim: 'header.alg' },
      );
    }
    const prepared = prepare(parsed, issuer);
    const valid = signatures.verify(key.alg, key.key, parsed.signingInput, parsed.signature);
    return valid === true || valid === false
      ? finish(token, prepared, issuer, key, valid)
      : valid.then((ok) => finish(token, prepared, issuer, key, ok));
  }

  /** Key lookup (sync when cached) and the signature, against the one issuer the token was routed to. */
  function checkWith(
    token: string,
    parsed: ParsedCompact,
    issuer: TrustedIssuer,
  ): VerifiedToken | Promise<VerifiedToken> {
    const key = issuer.keyFor(parsed.header);
    return key instanceof Promise
      ? key.then((k) => checkSignature(token, parsed, issuer, k))
      : checkSignature(token, parsed, issuer, key);
  }

  /**
   * The whole check. Synchronous when the issuer is known, the key is cached and the signature runs on this
   * thread (the common case: one promise per verification, made by `verify`); otherwise a promise.
   */
  function verifyUncached(token: string): VerifiedToken | Promise<VerifiedToken> {
    const parsed = parseCompact(token, shared.maxTokenLength);
    const issuer = router.route(parsed.payload);
    return issuer instanceof Promise
      ? issuer.then((i) => checkWith(token, parsed, i))
      : checkWith(token, parsed, issuer);
  }

  /**
   * The cached verification of `token` when a hit passes every re-check now (the cache's time window and
   * key; the issuer's `requiredClaims`): the result; the refusal of a re-check that fails; `undefined` on a
   * miss (or with the cache off).
   */
  function fromCache(token: string): VerifiedToken | TokenError | undefined {
    if (!cache || typeof token !== 'string') return undefined;
    const hit = cache.get(token, now());
    if (hit === undefined) return undefined;
    const recheck = hit.owner.recheck;
    if (recheck === undefined) return hit.result;
    try {
      recheck(hit.result);
      return hit.result;
    } catch (error) {
      return asTokenError(error);
    }
  }

  /** The issuer `refreshKeys(iss)` means: a trusted one, asking an issuers function if need be. */
  async function issuerNamed(iss: string): Promise<TrustedIssuer> {
    const known = router.find(iss);
    if (known !== undefined) return known;
    if (!described.dynamic) {
      throw new TokenError('issuer_invalid', `${describeValue(iss)} is not a trusted issuer`, {
        claim: 'iss',
      });
    }
    return router.route({ iss });
  }

  const staticIssuers = Object.freeze(router.issuers().map((issuer) => issuer.issuer));
  const verifier: CreatedVerifier = {
    issuer: described.issuer,
    audiences: Object.freeze([...described.audiences]),
    get issuers() {
      return described.dynamic
        ? Object.freeze(router.issuers().map((issuer) => issuer.issuer))
        : staticIssuers;
    },
    resource: shared.resource,
    verify(token: string): Promise<VerifiedToken> {
      const hit = fromCache(token);
      if (hit !== undefined) return hit instanceof TokenError ? Promise.reject(hit) : Promise.resolve(hit);
      try {
        const result = verifyUncached(token);
        return result instanceof Promise ? result.catch(rethrowAsTokenError) : Promise.resolve(result);
      } catch (error) {
        return Promise.reject(asTokenError(error));
      }
    },
    refreshKeys(iss?: string): Promise<void> {
      if (iss === undefined) return onEveryIssuer(router.issuers(), (issuer) => issuer.refresh());
      return issuerNamed(iss).then((issuer) => issuer.refresh());
    },
    ready(): Promise<void> {
      return onEveryIssuer(router.issuers(), (issuer) => issuer.ready());
    },
  };
  if (cache) {
    // A re-check that fails is a miss here: verify() reports it.
    CACHED_BY_VERIFY.set(verifier.verify, (token) => {
      const hit = fromCache(token);
      return hit instanceof TokenError ? undefined : hit;
    });
  }
  return verifier;
}

/**
 * Each verifier's cache lookup, by its `verify` function: a verifier whose `verify` was replaced (a wrapper
 * that adds a deny-list, a test double) has no entry, so nothing can bypass the replacement.
 */
const CACHED_BY_VERIFY = new WeakMap<Verifier['verify'], (token: string) => VerifiedToken | undefined>();

/**
 * The verified token for exactly this string when `verifier` (from `createVerifier`, its `verify`
 * unchanged) holds it in its verified-token cache and every re-check of a hit passes now (time window,
 * key still published, `requiredClaims`); otherwise `undefined`, which means only "call `verify`".
 * Synchronous; never fetches, never throws, emits nothing. Adapters use it to answer a repeated token
 * without re-reading its header; any other verifier, or a verifier with the cache off, always gets
 * `undefined`.
 */
export function cachedVerification(verifier: Verifier, token: string): VerifiedToken | undefined {
  if (typeof token !== 'string') return undefined;
  return CACHED_BY_VERIFY.get(verifier.verify)?.(token);
}
