import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ALGORITHM_SPECS, type Algorithm, isSupportedAlgorithm, MIN_RSA_BITS } from './algorithms.js';
import { describeValue } from './errors.js';
import type { ImportedKey } from './types.js';

/** Largest RSA modulus accepted: OpenSSL refuses to verify with anything bigger anyway. */
const MAX_RSA_BITS = 16_384;

/** Members that only a private or symmetric key has: a public JWKS must never carry them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Byte length of one affine coordinate (EC) or of the public key (OKP), per curve. */
const COORDINATE_BYTES: Readonly<Record<string, number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
  Ed25519: 32,
};

/** The algorithm a JWK without `alg` is bound to, per `crv`. */
const ALG_BY_CURVE: Readonly<Record<string, Algorithm>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  Ed25519: 'EdDSA',
};

/** Node's `asymmetricKeyType` each JWK `kty` must produce. */
const NODE_KEY_TYPE = { RSA: 'rsa', EC: 'ec', OKP: 'ed25519' } as const;

/** What {@link importJwks} made of a JWK Set: usable keys, and why the others were left out. */
export interface ImportedJwks {
  /** Keys that may verify tokens, each bound to one algorithm of the allowlist. */
  keys: ImportedKey[];
  /**
   * Keys that were left out, with the reason (for `jwk_ignored` events). `kid` is untruncated. `offers` names
   * the algorithm (or `RSA`) of a key left out only because the allowlist does not include it.
   */
  ignored: { kid: string | undefined; reason: string; offers?: string }[];
}

type Jwk = Record<string, unknown>;

function isObject(value: unknown): value is Jwk {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes strict, canonical, unpadded base64url; `undefined` when `value` is anything else. */
function decodeBase64Url(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length === 0 || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  // Re-encoding catches impossible lengths (4n+1) and non-zero trailing bits: one key, one spelling.
  return bytes.toString('base64url') === value ? bytes : undefined;
}

function stripLeadingZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function bitLength(bytes: Buffer): number {
  const stripped = stripLeadingZeros(bytes);
  const first = stripped[0];
  if (first === undefined) return 0;
  return (stripped.length - 1) * 8 + (32 - Math.clz32(first));
}

/** Why a JWK may verify nothing; `offers` is set when the only problem is the allowlist. */
interface Unbound {
  reason: string;
  /** The algorithm (or family, `RSA`) the key is for, when it is left out only because that is not allowed. */
  offers?: string;
}

/** The one algorithm a JWK may verify, or why it may verify none. */
function bindAlgorithm(
  jwk: Jwk,
  kty: 'RSA' | 'EC' | 'OKP',
  algorithms: readonly Algorithm[],
): Algorithm | Unbound {
  const crv = jwk['crv'];
  if (jwk['alg'] !== undefined) {
    const alg = jwk['alg'];
    if (!isSupportedAlgorithm(alg)) {
      return { reason: `alg ${describeValue(alg)} is not a supported signature algorithm` };
    }
    const spec = ALGORITHM_SPECS[alg];
    if (spec.kty !== kty) return { reason: `alg ${alg} needs a ${spec.kty} key, not ${kty}` };
    if (spec.crv !== undefined && spec.crv !== crv)
      return { reason: `alg ${alg} needs curve ${spec.crv}, not ${describeValue(crv)}` };
    if (!algorithms.includes(alg))
      return {
        reason: `alg ${alg} is not in the allowed algorithms (${algorithms.join(', ')})`,
        offers: alg,
      };
    return alg;
  }
  let alg: Algorithm | undefined;
  if (kty === 'RSA') {
    alg = algorithms.find((candidate) => ALGORITHM_SPECS[candidate].kty === 'RSA');
    if (alg === undefined) {
      return { reason: `RSA key, but no RSA algorithm is allowed (${algorithms.join(', ')})`, offers: 'RSA' };
    }
    return alg;
  }
  alg = typeof crv === 'string' && Object.hasOwn(ALG_BY_CURVE, crv) ? ALG_BY_CURVE[crv] : undefined;
  if (alg === undefined || ALGORITHM_SPECS[alg].kty !== kty) {
    return { reason: `unsupported curve ${describeValue(crv)} for a ${kty} key` };
  }
  if (!algorithms.includes(alg))
    return {
      reason: `${alg} key, but ${alg} is not in the allowed algorithms (${algorithms.join(', ')})`,
      offers: alg,
    };
  return alg;
}

/** Checks the public members of a JWK and copies only those into a fresh JWK for Node. */
function publicMembers(jwk: Jwk, kty: 'RSA' | 'EC' | 'OKP'): JsonWebKey | string {
  if (kty === 'RSA') {
    const n = decodeBase64Url(jwk['n']);
    const e = decodeBase64Url(jwk['e']);
    if (n === undefined) return 'RSA modulus "n" is missing or not base64url';
    if (e === undefined) return 'RSA exponent "e" is missing or not base64url';
    const bits = bitLength(n);
    if (bits < MIN_RSA_BITS) return `RSA modulus is ${bits} bits, under the ${MIN_RSA_BITS}-bit minimum`;
    if (bits > MAX_RSA_BITS) return `RSA modulus is ${bits} bits, over the ${MAX_RSA_BITS}-bit maximum`;
    const exponent = stripLeadingZeros(e);
    const last = exponent[exponent.length - 1];
    // e = 1 makes every "signature" equal to its own message; even exponents are not RSA at all.
    if (last === undefined || last % 2 === 0 || (exponent.length === 1 && last < 3)) {
      return `RSA public exponent must be odd and at least 3 (got 0x${exponent.toString('hex') || '0'})`;
    }
    if (exponent.length > 8) return 'RSA public exponent is longer than 64 bits';
    return { kty, n: jwk['n'] as string, e: jwk['e'] as string };
  }
  const crv = jwk['crv'] as string;
  const size = COORDINATE_BYTES[crv];
  if (size === undefined) return `unsupported curve ${describeValue(crv)}`;
  const x = decodeBase64Url(jwk['x']);
  if (x === undefined || x.length !== size) return `"x" must be ${size} base64url-encoded bytes for ${crv}`;
  if (kty === 'OKP') return { kty, crv, x: jwk['x'] as string };
  const y = decodeBase64Url(jwk['y']);
  if (y === undefined || y.length !== size) return `"y" must be ${size} base64url-encoded bytes for ${crv}`;
  return { kty, crv, x: jwk['x'] as string, y: jwk['y'] as string };
}

/**
 * Imports one JWK from a JWK Set and binds it to exactly one algorithm of `algorithms`: its `alg` when
 * present (which must be allowed and fit `kty`/`crv`), else P-256→ES256, P-384→ES384, P-521→ES512,
 * Ed25519→EdDSA, and RSA→the first RSA algorithm (RS* or PS*) in the allowlist's order.
 *
 * Never throws: a key that cannot or must not verify tokens comes back as `{ ignored: reason }`. Ignored
 * are keys whose `use` is not `sig` or whose `key_ops` lack `verify`; symmetric (`oct`) keys and any key
 * carrying private members; RSA moduli under {@link MIN_RSA_BITS} bits and exponents that are even or
 * under 3; unknown curves, Ed448, X25519 and points that are not on their curve; malformed base64url.
 * Only the public members are handed to `crypto.createPublicKey` (`x5c`, `x5u` and anything unknown are
 * never used). Duplicate `kid`s are handled by {@link importJwks}, which sees the whole set.
 */
export function importJwk(
  jwk: unknown,
  algorithms: readonly Algorithm[],
): ImportedKey | { ignored: string; offers?: string } {
  if (!isObject(jwk)) return { ignored: `not a JSON object (${describeValue(jwk, 40)})` };
  const kid = jwk['kid'];
  if (kid !== undefined && typeof kid !== 'string')
    return { ignored: `"kid" is not a string (${describeValue(kid, 40)})` };
  const use = jwk['use'];
  if (use !== undefined && use !== 'sig') return { ignored: `"use" is ${describeValue(use, 40)}, not "sig"` };
  const keyOps = jwk['key_ops'];
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) {
    return { ignored: `"key_ops" ${describeValue(keyOps, 60)} does not include "verify"` };
  }
  const kty = jwk['kty'];
  if (kty === 'oct') return { ignored: 'symmetric ("oct") key in a public key set' };
  const privateMember = PRIVATE_MEMBERS.find((member) => jwk[member] !== undefined);
  if (privateMember !== undefined) {
    return {
      ignored: `private key member "${privateMember}" present: a public key set must not carry private keys`,
    };
  }
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP')
    return { ignored: `unsupported "kty" ${describeValue(kty, 40)}` };

  const alg = bindAlgorithm(jwk, kty, algorithms);
  if (typeof alg !== 'string') {
    return alg.offers === undefined ? { ignored: alg.reason } : { ignored: alg.reason, offers: alg.offers };
  }
  const members = publicMembers(jwk, kty);
  if (typeof members === 'string') return { ignored: members };

  let key: KeyObject;
  try {
    key = createPublicKey({ key: members, format: 'jwk' });
  } catch (error) {
    return {
      ignored: `not a valid ${kty} public key (${error instanceof Error ? error.message : 'import failed'})`,
    };
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== NODE_KEY_TYPE[kty]) {
    return { ignored: `imported as ${describeValue(key.asymmetricKeyType)}, not a ${kty} public key` };
  }
  const modulusLength = key.asymmetricKeyDetails?.modulusLength;
  if (kty === 'RSA' && (modulusLength === undefined || modulusLength < MIN_RSA_BITS)) {
    return { ignored: `RSA modulus is ${modulusLength} bits, under the ${MIN_RSA_BITS}-bit minimum` };
  }
  return Object.freeze({ kid, alg, key });
}

/**
 * Imports a JWK Set (RFC 7517 §5) through {@link importJwk}, keeping only keys usable with `algorithms`.
 * When two or more usable keys share a `kid`, all of them are ignored: a token naming that `kid` would be
 * ambiguous. Keys without a `kid` are kept (their `kid` is `undefined`).
 *
 * Throws an `Error` when `document` is not an object with a `keys` array (the JWKS cache reports it as
 * `jwks_unavailable`); individual bad keys never throw.
 */
export function importJwks(document: unknown, algorithms: readonly Algorithm[]): ImportedJwks {
  if (!isObject(document))
    throw new Error(`not a JWK Set: expected a JSON object, got ${describeValue(document, 40)}`);
  const entries = document['keys'];
  if (!Array.isArray(entries)) {
    throw new Error(`not a JWK Set: "keys" is ${describeValue(entries, 40)}, expected an array`);
  }
  const candidates: ImportedKey[] = [];
  const ignored: ImportedJwks['ignored'] = [];
  for (const entry of entries) {
    const result = importJwk(entry, algorithms);
    if ('ignored' in result) {
      const kid = isObject(entry) && typeof entry['kid'] === 'string' ? entry['kid'] : undefined;
      ignored.push(
        result.offers === undefined
          ? { kid, reason: result.ignored }
          : { kid, reason: result.ignored, offers: result.offers },
      );
    } else {
      candidates.push(result);
    }
  }
  const kidCounts = new Map<string, number>();
  for (const key of candidates) {
    if (key.kid !== undefined) kidCounts.set(key.kid, (kidCounts.get(key.kid) ?? 0) + 1);
  }
  const keys: ImportedKey[] = [];
  for (const key of candidates) {
    const count = key.kid === undefined ? 1 : (kidCounts.get(key.kid) ?? 1);
    if (count > 1) {
      ignored.push({ kid: key.kid, reason: `duplicate kid: ${count} usable keys share it, so none is used` });
    } else {
      keys.push(key);
    }
  }
  return { keys, ignored };
}

/**
 * Says why a well-formed JWK Set left no usable key, in the terms an operator can act on: an empty set,
 * "publishes only ES256 keys; this verifier allows RS256", or the first few reasons keys were ignored.
 * `fix` is the likely remedy, when there is one to suggest.
 */
export function describeUnusable(
  imported: ImportedJwks,
  algorithms: readonly Algorithm[],
): { why: string; fix: string | undefined } {
  const { ignored } = imported;
  const allowed = algorithms.join(', ');
  if (ignored.length === 0) {
    return {
      why: 'the JWK Set is empty ({"keys": []})',
      fix: 'the authorization server publishes no signing key: check that jwksUri (or issuer) names the right server, and that it has an active key',
    };
  }
  const offered = [...new Set(ignored.map((entry) => entry.offers))];
  if (offered.every((offer) => offer !== undefined)) {
    const list = (offered as string[]).join(', ');
    // An RSA key without `alg` fits any RS*/PS* algorithm: name the usual one.
    const toAdd = (offered as string[]).map((offer) => (offer === 'RSA' ? 'RS256' : offer)).join(', ');
    return {
      why: `the issuer publishes only ${list} keys; this verifier allows ${allowed}`,
      fix: `if your tokens are signed with ${toAdd}, add ${toAdd} to the algorithms option`,
    };
  }
  const shown = ignored
    .slice(0, 3)
    .map(
      (entry) =>
        `${entry.kid === undefined ? 'a key without kid' : `kid ${describeValue(entry.kid, 40)}`}: ${entry.reason}`,
    )
    .join('; ');
  const more = ignored.length > 3 ? `; and ${ignored.length - 3} more` : '';
  return {
    why: `none of its ${ignored.length} keys is usable with ${allowed} (${shown}${more})`,
    fix: undefined,
  };
}
