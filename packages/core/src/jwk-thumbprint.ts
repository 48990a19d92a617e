import { hash } from 'node:crypto';

/** The members RFC 7638 §3.2 hashes, per `kty`, already in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * The RFC 7638 JWK SHA-256 thumbprint of a public key, base64url-encoded: what a DPoP-bound token carries in
 * `cnf.jkt` (RFC 9449 §6.1). Only the required members of the key type are hashed, in lexicographic order,
 * with no whitespace (RFC 7638 §3.2, §3.3); every other member (`kid`, `alg`, `use`, …) is left out, so the
 * same key always has the same thumbprint.
 *
 * Returns `undefined` for a key type without a thumbprint rule here (`oct`, unknown) or when a required
 * member is missing or not a string. It does not check that the members make a valid key: import the key
 * first (the DPoP check does).
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const kty = jwk['kty'];
  const members =
    typeof kty === 'string' && Object.hasOwn(REQUIRED_MEMBERS, kty) ? REQUIRED_MEMBERS[kty] : undefined;
  if (members === undefined) return undefined;
  let json = '{';
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') return undefined;
    // JSON.stringify writes the value exactly as RFC 7638 §3.3 asks (RFC 8259 string, no extra escapes).
    json += `${json.length === 1 ? '' : ','}"${name}":${JSON.stringify(value)}`;
  }
  return hash('sha256', `${json}}`, 'base64url');
}
