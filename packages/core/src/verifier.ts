import { checkClaims, checkRequiredClaims } from './claims.js';
import { createConfigWarner } from './config-warnings.js';
import { deepFreeze } from './deep-freeze.js';
import { type ParsedCompact, parseCompact } from './compact.js';
import { discoverJwksUri } from './discovery.js';
import { describeValue, isTokenError, TokenError } from './errors.js';
import { createEmitter } from './events.js';
import { JwksCache } from './jwks-cache.js';
import { resolveOptions } from './options.js';
import { createSignatureScheduler } from './signature-scheduler.js';
import { VerifiedTokenCache } from './token-cache.js';
import type { Algorithm } from './algorithms.js';
import type { ImportedKey, JwsHeader, VerifiedToken, Verifier, VerifierOptions } from './types.js';

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

/**
 * Builds a verifier for one issuer and audience. Construction validates the options and throws
 * `ConfigError` on a mistake; nothing is fetched until the first `verify` (or `ready` / `refreshKeys`).
 *
 * `verify(token)` resolves with the verified token or rejects with a `TokenError`. The order is fixed
 * and each step refuses early: strict compact parsing → algorithm allowlist → key lookup in the JWKS
 * cache → signature → claims. A bad signature is therefore reported as such even on an expired token.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * const { clientId, scopes } = await verifier.verify(token);
 */
export function createVerifier(options: VerifierOptions): Required<Verifier> {
  const o = resolveOptions(options);
  const emit = createEmitter(o.onEvent);
  const warn = createConfigWarner(o.warnings, o.issuer);

  let discovery: Promise<string> | undefined;
  const jwksUri = (): Promise<string> => {
    if (o.jwksUri !== undefined) return Promise.resolve(o.jwksUri);
    discovery ??= discoverJwksUri({
      issuer: o.issuer,
      fetch: o.fetch,
      timeoutMs: o.jwks.fetchTimeout,
      maxBytes: o.jwks.maxResponseBytes,
      emit,
    }).catch((error: unknown) => {
      discovery = undefined; // try again on the next allowed fetch
      throw error;
    });
    return discovery as Promise<string>;
  };

  const jwks = new JwksCache({
    jwksUri,
    fetch: o.fetch,
    algorithms: o.algorithms,
    ...o.jwks,
    emit,
    warn,
    issuer: o.issuer,
    now: o.now,
  });
  const cache = o.cacheMaxEntries > 0 ? new VerifiedTokenCache(o.cacheMaxEntries) : undefined;
  const keyIsCurrent = (key: ImportedKey) => jwks.has(key);
  /** What a cache hit must re-run besides the time window and the key: rules that may change their answer. */
  const recheck =
    o.claims.requiredClaims.length > 0
      ? (token: VerifiedToken) => checkRequiredClaims(token.claims, o.claims)
      : undefined;
  const signatures = createSignatureScheduler(o.threadpool);

  /** The slow path of key lookup. Only here can a failure mean "could not check" (jwks_unavailable). */
  async function fetchKey(kid: string | undefined, alg: Algorithm): Promise<ImportedKey> {
    try {
      return await jwks.getKey(kid, alg);
    } catch (error) {
      if (isTokenError(error)) throw error;
      throw new TokenError(
        'jwks_unavailable',
        `could not load the keys: ${(error as Error)?.message ?? 'unknown error'}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Key lookup, with the slow path (a JWKS fetch) only when the cache cannot answer. */
  function keyFor(header: Record<string, unknown>): ImportedKey | Promise<ImportedKey> {
    const alg = header.alg as string;
    if (!(o.algorithms as readonly string[]).includes(alg)) {
      throw new TokenError(
        'alg_not_allowed',
        `alg ${describeValue(alg, 32)} is not allowed (allowed: ${o.algorithms.join(', ')})`,
        { claim: 'header.alg' },
      );
    }
    const kid = header.kid as string | undefined;
    return jwks.peek(kid, alg as Algorithm) ?? fetchKey(kid, alg as Algorithm);
  }

  /** Signature, then claims; the result is frozen and, when the cache is on, remembered. */
  function finish(token: string, parsed: ParsedCompact, key: ImportedKey, valid: boolean): VerifiedToken {
    if (!valid) {
      throw new TokenError(
        'signature_invalid',
        `signature does not verify with key ${keyName(key)} (${key.alg})`,
      );
    }
    const checked = checkClaims(parsed.header, parsed.payload, o.claims, o.now());
    const result: VerifiedToken = deepFreeze({
      claims: checked.claims,
      header: parsed.header as JwsHeader,
      scopes: checked.scopes,
      clientId: checked.clientId,
      subject: checked.subject,
      expiresAt: new Date(checked.claims.exp * 1000),
    });
    if (cache) {
      // The window in which checkClaims' time rules hold (see VerifiedTokenCache for what a hit re-checks).
      const tolerance = o.claims.clockTolerance;
      const { exp, nbf, iat } = checked.claims;
      let validUntil = (exp + tolerance) * 1000;
      const { maxTokenAge } = o.claims;
      if (maxTokenAge !== undefined && typeof iat === 'number') {
        validUntil = Math.min(validUntil, (iat + maxTokenAge + tolerance) * 1000);
      }
      const notBefore = Math.max(typeof nbf === 'number' ? nbf : 0, typeof iat === 'number' ? iat : 0);
      cache.set(token, result, key, (notBefore - tolerance) * 1000, validUntil);
    }
    return result;
  }

  function checkSignature(token: string, parsed: ParsedCompact, key: ImportedKey) {
    if (key.alg !== parsed.header.alg) {
      throw new TokenError(
        'alg_not_allowed',
        `alg ${describeValue(parsed.header.alg)} does not fit key ${keyName(key)}, which is bound to ${key.alg}`,
        { claim: 'header.alg' },
      );
    }
    const valid = signatures.verify(key.alg, key.key, parsed.signingInput, parsed.signature);
    return valid === true || valid === false
      ? finish(token, parsed, key, valid)
      : valid.then((ok) => finish(token, parsed, key, ok));
  }

  /**
   * The whole check. Synchronous when the key is cached and the signature runs on this thread (the common
   * case: one promise per verification, made by `verify`); otherwise a promise.
   */
  function verifyUncached(token: string): VerifiedToken | Promise<VerifiedToken> {
    const parsed = parseCompact(token, o.maxTokenLength);
    const key = keyFor(parsed.header);
    return key instanceof Promise
      ? key.then((k) => checkSignature(token, parsed, k))
      : checkSignature(token, parsed, key);
  }

  return {
    issuer: o.issuer,
    audiences: Object.freeze([...o.claims.audiences]),
    verify(token: string): Promise<VerifiedToken> {
      if (cache && typeof token === 'string') {
        const hit = cache.get(token, o.now(), keyIsCurrent);
        if (hit) {
          if (recheck === undefined) return Promise.resolve(hit);
          try {
            recheck(hit);
            return Promise.resolve(hit);
          } catch (error) {
            return Promise.reject(asTokenError(error));
          }
        }
      }
      try {
        const result = verifyUncached(token);
        return result instanceof Promise ? result.catch(rethrowAsTokenError) : Promise.resolve(result);
      } catch (error) {
        return Promise.reject(asTokenError(error));
      }
    },
    refreshKeys(): Promise<void> {
      return jwks.refresh();
    },
    ready(): Promise<void> {
      return jwks.ready();
    },
  };
}
