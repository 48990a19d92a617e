import { webcrypto } from 'node:crypto';
import type { SigningAlgorithm } from './signing-key.js';

const SIGN_PARAMS: Record<
  SigningAlgorithm,
  webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams
> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  RS384: { name: 'RSASSA-PKCS1-v1_5' },
  RS512: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  ES384: { name: 'ECDSA', hash: 'SHA-384' },
  EdDSA: { name: 'Ed25519' },
};

/** What {@link signCompactJws} signs with; `null` produces an unsecured JWS (empty signature). */
export interface JwsSigner {
  readonly alg: SigningAlgorithm;
  readonly privateKey: webcrypto.CryptoKey;
}

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Serializes a JWS in compact form. The header is written exactly as given (so a test may make it lie about
 * `alg`); the signature is always computed with the signer's own algorithm.
 */
export async function signCompactJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: JwsSigner | null,
): Promise<string> {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  if (signer === null) return `${signingInput}.`;
  const signature = await webcrypto.subtle.sign(
    SIGN_PARAMS[signer.alg],
    signer.privateKey,
    new TextEncoder().encode(signingInput),
  );
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}
