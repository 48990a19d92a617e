/**
 * The asymmetric JWS algorithms scopeguard can verify. `none` and every `HS*` are absent on purpose:
 * a resource server holds only public keys, so a symmetric or unsigned token can never be enabled.
 */
export type Algorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/** Every {@link Algorithm} scopeguard supports. */
export const SUPPORTED_ALGORITHMS: readonly Algorithm[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]);

/** The default allowlist: Okta signs access tokens with RS256. */
export const DEFAULT_ALGORITHMS: readonly Algorithm[] = Object.freeze(['RS256']);

/** True when `value` names an algorithm scopeguard can verify (case-sensitive, as RFC 7515 requires). */
export function isSupportedAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && (SUPPORTED_ALGORITHMS as readonly string[]).includes(value);
}

/** How one algorithm maps onto Node's `crypto.verify`. */
export interface AlgorithmSpec {
  /** Hash for `crypto.verify`; `null` for EdDSA. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** JWK `kty` a key must have. */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** JWK `crv` a key must have (EC and OKP). */
  readonly crv?: 'P-256' | 'P-384' | 'P-521' | 'Ed25519';
  /** RSA-PSS (salt length = hash length) rather than PKCS#1 v1.5. */
  readonly pss?: boolean;
  /** ECDSA: exact byte length of the raw r‖s signature (RFC 7518 §3.4). */
  readonly ecSignatureLength?: number;
}

/** The per-algorithm table used by key binding and signature verification. */
export const ALGORITHM_SPECS: Readonly<Record<Algorithm, AlgorithmSpec>> = Object.freeze({
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', crv: 'P-256', ecSignatureLength: 64 },
  ES384: { hash: 'sha384', kty: 'EC', crv: 'P-384', ecSignatureLength: 96 },
  ES512: { hash: 'sha512', kty: 'EC', crv: 'P-521', ecSignatureLength: 132 },
  EdDSA: { hash: null, kty: 'OKP', crv: 'Ed25519' },
});

/** Minimum RSA modulus length accepted for any key (RFC 7518 §3.3 asks for 2048 bits or more). */
export const MIN_RSA_BITS = 2048;
