import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from 'node:crypto';

const b64url = (text: string | Buffer) => Buffer.from(text).toString('base64url');

/** Decodes the header (0) or payload (1) of a compact JWS. */
export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[index];
  if (segment === undefined) throw new Error('not a compact JWS');
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Signs header and payload given as raw JSON *text*, so a test can write what `JSON.stringify` never
 * produces (a member name twice). RS256 with a private key, or HS256 with any secret.
 */
export function signRawJws(
  headerJson: string,
  payloadJson: string,
  key: { alg: 'RS256'; privateKey: KeyObject } | { alg: 'HS256'; secret: string | Buffer },
): string {
  const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  const signature =
    key.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key.privateKey)
      : createHmac('sha256', key.secret).update(input).digest();
  return `${input}.${b64url(signature)}`;
}

/** An RS256 key the test itself holds (the test kit never hands out its private keys). */
export function craftingKey(kid: string): { privateKey: KeyObject; publicJwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

/** The PEM text of a public JWK: what an HS256/RS256 "key confusion" attacker uses as the HMAC secret. */
export function publicPem(jwk: JsonWebKey): string {
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Respells the signature segment without changing its bytes: flips a spare low bit of the last base64url
 * character (a 256-byte RSA signature leaves 4 such bits). Lenient decoders read the same signature.
 */
export function nonCanonicalSignature(token: string): string {
  const last = token.at(-1);
  if (last === undefined) throw new Error('empty token');
  const index = ALPHABET.indexOf(last);
  return `${token.slice(0, -1)}${ALPHABET[index ^ 1]}`;
}

/** Flips one bit in the middle of the signature (the bytes change: it can no longer verify). */
export function tamperedSignature(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  signature[signature.length >> 1] = (signature[signature.length >> 1] ?? 0) ^ 0x01;
  return `${token.slice(0, dot + 1)}${signature.toString('base64url')}`;
}

/** Replaces the payload with `claims`, keeping the original header and signature. */
export function withPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(JSON.stringify(claims))}.${signature}`;
}
