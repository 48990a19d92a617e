import { constants, type KeyObject, verify as cryptoVerify } from 'node:crypto';
import { ALGORITHM_SPECS, type Algorithm } from './algorithms.js';

function verifyOptions(alg: Algorithm, key: KeyObject) {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' as const };
  if (spec.pss) {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  }
  return key;
}

/**
 * Checks a JWS signature with Node's `crypto.verify` (synchronous: the fastest path for one token).
 * ECDSA signatures must be raw r‖s of exactly the curve's length (DER is refused); the key must already
 * have been bound to `alg` (see `jwk-import.ts`). Returns false rather than throwing on a bad signature.
 */
export function verifySignature(
  alg: Algorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.ecSignatureLength !== undefined && signature.length !== spec.ecSignatureLength) return false;
  if (signature.length === 0) return false;
  try {
    return cryptoVerify(spec.hash, signingInput, verifyOptions(alg, key), signature);
  } catch {
    return false;
  }
}

/**
 * The same check as {@link verifySignature}, run in libuv's threadpool (`crypto.verify` with a callback)
 * so that many verifications in flight use every core.
 */
export function verifySignatureAsync(
  alg: Algorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.ecSignatureLength !== undefined && signature.length !== spec.ecSignatureLength) {
    return Promise.resolve(false);
  }
  if (signature.length === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      cryptoVerify(spec.hash, signingInput, verifyOptions(alg, key), signature, (error, ok) => {
        resolve(error ? false : ok);
      });
    } catch {
      resolve(false);
    }
  });
}
