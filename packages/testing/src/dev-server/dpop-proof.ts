import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { OAuthError } from './oauth-error.js';
import type { ReplayCache } from './replay-cache.js';

/** Algorithms the token endpoint accepts for DPoP proofs; advertised as `dpop_signing_alg_values_supported`. */
export const DPOP_SIGNING_ALGORITHMS: readonly string[] = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
];

/** Seconds a proof stays acceptable after its `iat`, and the clock leeway. */
const MAX_AGE = 60;
const CLOCK_TOLERANCE = 5;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** What the token endpoint needs to check a proof. */
export interface TokenEndpointProofContext {
  /** The token endpoint URL (the proof's `htu`). */
  tokenEndpoint: string;
  /** Where used `jti`s are remembered. */
  replays: ReplayCache;
}

function invalid(description: string): OAuthError {
  return new OAuthError('invalid_dpop_proof', description);
}

function withoutQueryAndFragment(value: string): string | undefined {
  try {
    const url = new URL(value);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * Checks the DPoP proof sent to the token endpoint (RFC 9449 §4.3, §5): one `DPoP` header holding a
 * `dpop+jwt` signed with an allowed asymmetric algorithm by the public `jwk` it carries, `htm` `POST`, `htu`
 * the token endpoint, `iat` within 60 s (5 s leeway), and a `jti` not seen before. Verified with `jose`,
 * independently of `@scopeguard/core`. Returns the key's RFC 7638 thumbprint, for `cnf.jkt`; throws an
 * {@link OAuthError} `invalid_dpop_proof` (400) otherwise.
 */
export async function checkTokenEndpointProof(
  header: string,
  context: TokenEndpointProofContext,
): Promise<string> {
  if (header.includes(',')) throw invalid('Send exactly one DPoP header.');
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    verified = await jwtVerify(header, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_SIGNING_ALGORITHMS],
      maxTokenAge: MAX_AGE,
      clockTolerance: CLOCK_TOLERANCE,
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    });
  } catch (error) {
    throw invalid(`DPoP proof rejected: ${(error as Error).message}`);
  }
  const { payload, protectedHeader } = verified;
  const jwk = protectedHeader.jwk as Record<string, unknown> | undefined;
  if (!jwk || PRIVATE_MEMBERS.some((member) => jwk[member] !== undefined)) {
    throw invalid('The DPoP proof jwk must be a public key.');
  }
  if (payload['htm'] !== 'POST') throw invalid('The DPoP proof htm must be POST.');
  const htu = typeof payload['htu'] === 'string' ? withoutQueryAndFragment(payload['htu']) : undefined;
  if (htu !== withoutQueryAndFragment(context.tokenEndpoint)) {
    throw invalid('The DPoP proof htu must be the token endpoint.');
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0)
    throw invalid('The DPoP proof needs a jti.');
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (
    !context.replays.use(`dpop\u0000${jkt}\u0000${payload.jti}`, payload.iat! + MAX_AGE + CLOCK_TOLERANCE)
  ) {
    throw invalid('The DPoP proof was already used (jti replayed).');
  }
  return jkt;
}
