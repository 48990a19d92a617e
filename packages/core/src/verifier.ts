import { checkClaims } from './claims.js';
import { deepFreeze } from './deep-freeze.js';
import { parseCompact } from './compact.js';
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
 * Builds a verifier for one issuer and audience. Construction validates the options and throws
 * `ConfigError` on a mistake; nothing is fetched until the first `verify` (or `refreshKeys`).
 *
 * `verify(token)` resolves with the verified token or rejects with a `TokenError`. The order is fixed
 * and each step refuses early: strict compact parsing → algorithm allowlist → key lookup in the JWKS
 * cache → signature → claims. A bad signature is therefore reported as such even on an expired token.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * const { clientId, scopes } = await verifier.verify(token);
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const o = resolveOptions(options);
  const emit = createEmitter(o.onEvent);

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
    now: o.now,
  });
  const cache = o.cacheMaxEntries > 0 ? new VerifiedTokenCache(o.cacheMaxEntries) : undefined;
  const keyIsCurrent = (key: ImportedKey) => jwks.has(key);
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

  async function verifyUncached(token: string): Promise<VerifiedToken> {
    const { header, payload, signingInput, signature } = parseCompact(token, o.maxTokenLength);
    const alg = header.alg as string;
    if (!(o.algorithms as readonly string[]).includes(alg)) {
      throw new TokenError(
        'alg_not_allowed',
        `alg ${describeValue(alg, 32)} is not allowed (allowed: ${o.algorithms.join(', ')})`,
        { claim: 'header.alg' },
      );
    }
    const kid = header.kid as string | undefined;
    const key = jwks.peek(kid, alg as Algorithm) ?? (await fetchKey(kid, alg as Algorithm));
    if (key.alg !== alg) {
      throw new TokenError(
        'alg_not_allowed',
        `alg ${describeValue(alg)} does not fit key ${keyName(key)}, which is bound to ${key.alg}`,
        { claim: 'header.alg' },
      );
    }
    const valid = signatures.verify(key.alg, key.key, signingInput, signature);
    if (!(valid === true || (valid !== false && (await valid)))) {
      throw new TokenError(
        'signature_invalid',
        `signature does not verify with key ${keyName(key)} (${key.alg})`,
      );
    }
    const now = o.now();
    const checked = checkClaims(header, payload, o.claims, now);
    const result: VerifiedToken = deepFreeze({
      claims: checked.claims,
      header: header as JwsHeader,
      scopes: checked.scopes,
      clientId: checked.clientId,
      subject: checked.subject,
      expiresAt: new Date(checked.claims.exp * 1000),
    });
    if (cache) {
      const tolerance = o.claims.clockTolerance;
      let validUntil = (checked.claims.exp + tolerance) * 1000;
      const { maxTokenAge } = o.claims;
      if (maxTokenAge !== undefined && typeof checked.claims.iat === 'number') {
        validUntil = Math.min(validUntil, (checked.claims.iat + maxTokenAge + tolerance) * 1000);
      }
      cache.set(token, result, key, validUntil);
    }
    return result;
  }

  return {
    issuer: o.issuer,
    audiences: Object.freeze([...o.claims.audiences]),
    async verify(token: string): Promise<VerifiedToken> {
      if (cache && typeof token === 'string') {
        const hit = cache.get(token, o.now(), keyIsCurrent);
        if (hit) return hit;
      }
      try {
        return await verifyUncached(token);
      } catch (error) {
        if (isTokenError(error)) throw error;
        // Anything else escaped a check on the token itself (key failures are mapped in fetchKey): refuse
        // the token rather than report an outage, and keep the promise that only TokenErrors come out.
        throw new TokenError('token_malformed', 'the token could not be processed', { cause: error });
      }
    },
    refreshKeys(): Promise<void> {
      return jwks.refresh();
    },
  };
}
