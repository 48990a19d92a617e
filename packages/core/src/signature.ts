import { constants, hash, type KeyObject, publicDecrypt, verify as cryptoVerify } from 'node:crypto';
import { ALGORITHM_SPECS, type Algorithm } from './algorithms.js';

/**
 * What was signed: the ASCII text `base64url(header) "." base64url(payload)` (a string, as sliced from the
 * token, or its bytes).
 */
export type SigningInput = string | Buffer;

function verifyOptions(alg: Algorithm, key: KeyObject) {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' as const };
  if (spec.pss) {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  }
  return key;
}

const bytes = (input: SigningInput): Buffer =>
  typeof input === 'string' ? Buffer.from(input, 'latin1') : input;

/** DER prefix of the DigestInfo for each hash (RFC 8017 §9.2, note 1). */
const DIGEST_INFO_PREFIX = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
} as const;
type RsaHash = keyof typeof DIGEST_INFO_PREFIX;
const DIGEST_LENGTH: Readonly<Record<RsaHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** Per key and hash: the public-key operation's options and the expected encoding up to the digest. */
interface Pkcs1Plan {
  /** Modulus length in bytes (k). */
  readonly k: number;
  readonly decrypt: { key: KeyObject; padding: number };
  /** `0x00 0x01 FF…FF 0x00 DigestInfoPrefix`: EM without the digest (k − hLen bytes). */
  readonly prefix: Buffer;
}
const plans = new WeakMap<KeyObject, Map<RsaHash, Pkcs1Plan>>();

function pkcs1Plan(key: KeyObject, hashName: RsaHash): Pkcs1Plan {
  let byHash = plans.get(key);
  if (byHash === undefined) {
    byHash = new Map();
    plans.set(key, byHash);
  }
  let plan = byHash.get(hashName);
  if (plan === undefined) {
    const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    const digestInfo = Buffer.from(DIGEST_INFO_PREFIX[hashName], 'hex');
    const padding = k - digestInfo.length - DIGEST_LENGTH[hashName] - 3;
    if (padding < 8) throw new Error(`an RSA key of ${k} bytes is too short for ${hashName}`);
    const prefix = Buffer.concat([
      Buffer.from([0x00, 0x01]),
      Buffer.alloc(padding, 0xff),
      Buffer.from([0x00]),
      digestInfo,
    ]);
    plan = { k, decrypt: { key, padding: constants.RSA_NO_PADDING }, prefix };
    byHash.set(hashName, plan);
  }
  return plan;
}

/**
 * RSASSA-PKCS1-v1_5 verification exactly as RFC 8017 §8.2.2 writes it: the signature must be k bytes, the
 * RSA public operation (RSAVP1; OpenSSL refuses s ≥ n) gives EM, and EM must equal, byte for byte, the
 * encoding EMSA-PKCS1-v1_5 builds from the hash of the signing input. Nothing in EM is parsed, so the
 * padding-parsing forgeries (Bleichenbacher 2006 and its variants) have nothing to work on.
 * Same verdicts as `crypto.verify` (a property test and the Wycheproof vectors hold it to that), with less
 * work per call: the expected prefix is built once per key, and the digest is taken straight from the
 * token's text.
 */
function verifyPkcs1(
  hashName: RsaHash,
  key: KeyObject,
  signingInput: SigningInput,
  signature: Buffer,
): boolean {
  const plan = pkcs1Plan(key, hashName);
  if (signature.length !== plan.k) return false;
  const em = publicDecrypt(plan.decrypt, signature);
  const split = plan.prefix.length;
  return (
    em.length === plan.k &&
    em.compare(plan.prefix, 0, split, 0, split) === 0 &&
    em.compare(hash(hashName, signingInput, 'buffer'), 0, plan.k - split, split, plan.k) === 0
  );
}

/**
 * Checks a JWS signature on the calling thread (synchronous: the fastest path for one token). RS* use the
 * encode-and-compare check above; PS*, ES* and EdDSA use Node's `crypto.verify`. ECDSA signatures must be
 * raw r‖s of exactly the curve's length (DER is refused); the key must already have been bound to `alg`
 * (see `jwk-import.ts`). Returns false rather than throwing on a bad signature.
 */
export function verifySignature(
  alg: Algorithm,
  key: KeyObject,
  signingInput: SigningInput,
  signature: Buffer,
): boolean {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.ecSignatureLength !== undefined && signature.length !== spec.ecSignatureLength) return false;
  if (signature.length === 0) return false;
  try {
    if (spec.kty === 'RSA' && !spec.pss)
      return verifyPkcs1(spec.hash as RsaHash, key, signingInput, signature);
    return cryptoVerify(spec.hash, bytes(signingInput), verifyOptions(alg, key), signature);
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
  signingInput: SigningInput,
  signature: Buffer,
): Promise<boolean> {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.ecSignatureLength !== undefined && signature.length !== spec.ecSignatureLength) {
    return Promise.resolve(false);
  }
  if (signature.length === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      cryptoVerify(spec.hash, bytes(signingInput), verifyOptions(alg, key), signature, (error, ok) => {
        resolve(error ? false : ok);
      });
    } catch {
      resolve(false);
    }
  });
}
