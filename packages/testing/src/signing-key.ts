import type { webcrypto } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

/** JWS algorithms the test kit can sign with. RS256 is what Okta uses; the others are here for verifier tests. */
export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

/** The algorithms accepted wherever a {@link SigningAlgorithm} is expected. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
];

/** A private signing key with its published (public) JWK. */
export interface SigningKey {
  /** Key id, published in the JWKS and written to the JWS header. */
  readonly kid: string;
  /** The algorithm this key signs with. */
  readonly alg: SigningAlgorithm;
  /** The private half; never leaves the process. */
  readonly privateKey: webcrypto.CryptoKey;
  /** The public JWK as published: `kty`, key members, `kid`, `alg` and `use: "sig"`; no private members. */
  readonly publicJwk: Readonly<JWK>;
}

/**
 * Generates a key pair for `alg` and describes it as a {@link SigningKey}.
 * The `kid` defaults to the RFC 7638 thumbprint of the public key (Okta's kids look alike).
 */
export async function generateSigningKey(alg: SigningAlgorithm, kid?: string): Promise<SigningKey> {
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    throw new TypeError(
      `Unsupported signing algorithm "${String(alg)}"; use one of ${SIGNING_ALGORITHMS.join(', ')}`,
    );
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const { kty, n, e, crv, x, y } = await exportJWK(publicKey);
  const members: JWK = { kty, n, e, crv, x, y };
  for (const name of Object.keys(members) as (keyof JWK)[]) {
    if (members[name] === undefined) delete members[name];
  }
  const keyId = kid ?? (await calculateJwkThumbprint(members));
  return {
    kid: keyId,
    alg,
    privateKey,
    publicJwk: Object.freeze({ ...members, kid: keyId, alg, use: 'sig' }),
  };
}
