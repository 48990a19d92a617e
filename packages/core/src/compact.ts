import { describeValue, TokenError } from './errors.js';
import { parseJsonObject } from './json-object.js';

/** A compact JWS split and decoded, not yet trusted. */
export interface ParsedCompact {
  /** The decoded JOSE header (an object with distinct member names). */
  header: Record<string, unknown>;
  /** The decoded payload (an object with distinct member names). */
  payload: Record<string, unknown>;
  /** ASCII bytes of `base64url(header) "." base64url(payload)`: what was signed. */
  signingInput: Buffer;
  /** The decoded signature. */
  signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Header parameters we understand; `crit` may name none of them, since we implement no extension. */
const REFUSED_HEADER_PARAMETERS: Readonly<Record<string, string>> = {
  enc: 'an encrypted token (JWE) is not an access token this verifier accepts',
  zip: '"zip" (compressed payload) is not supported in a JWS',
};

function malformed(message: string, claim?: string): TokenError {
  return new TokenError('token_malformed', message, claim === undefined ? {} : { claim });
}

/**
 * Decodes one base64url segment strictly: only the URL-safe alphabet, no padding, no whitespace, and
 * canonical (re-encoding gives the same text, so no two spellings of one token exist).
 */
function decodeSegment(segment: string, name: string): Buffer {
  if (segment.length === 0) throw malformed(`the ${name} segment is empty`);
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw malformed(`the ${name} segment is not base64url (unpadded, URL-safe alphabet)`);
  }
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) {
    throw malformed(`the ${name} segment is not canonical base64url`);
  }
  return bytes;
}

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without trusting anything in it.
 *
 * Refused, before any key is looked up: anything over `maxLength` characters (checked before decoding),
 * other than exactly three segments (a JWE has five; a JSON serialisation has none), padding, whitespace or
 * characters outside base64url, header or payload that are not JSON objects or repeat a member name,
 * `crit` (no extension is supported), `b64` other than `true` (RFC 7797 unencoded payloads), `zip`, `enc`,
 * and a `kid` or `alg` that is not a string. `jku`, `x5u`, `x5c` and `jwk` are never read: keys come only
 * from the configured JWKS.
 */
export function parseCompact(token: unknown, maxLength: number): ParsedCompact {
  if (typeof token !== 'string') throw malformed(`a token must be a string, found ${typeof token}`);
  if (token.length === 0) throw malformed('the token is empty');
  if (token.length > maxLength) {
    throw malformed(`the token is ${token.length} characters long, over the limit of ${maxLength}`);
  }
  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
    const segments = token.split('.').length;
    throw malformed(
      segments === 5
        ? 'expected a compact JWS (3 segments), found 5 segments: an encrypted JWE is not accepted'
        : `expected a compact JWS (3 segments), found ${segments}`,
    );
  }
  const headerSegment = token.slice(0, firstDot);
  const payloadSegment = token.slice(firstDot + 1, secondDot);
  const signatureSegment = token.slice(secondDot + 1);

  const header = parseJsonObject(decodeSegment(headerSegment, 'header').toString('utf8'));
  if (!header) throw malformed('the header is not a JSON object with distinct member names', 'header');
  checkHeader(header);

  const payload = parseJsonObject(decodeSegment(payloadSegment, 'payload').toString('utf8'));
  if (!payload) throw malformed('the payload is not a JSON object with distinct member names', 'payload');

  const signature = decodeSegment(signatureSegment, 'signature');
  return {
    header,
    payload,
    signingInput: Buffer.from(token.slice(0, secondDot), 'ascii'),
    signature,
  };
}

function checkHeader(header: Record<string, unknown>): void {
  if (typeof header.alg !== 'string' || header.alg.length === 0) {
    throw malformed(`header "alg" must be a non-empty string, found ${typeof header.alg}`, 'header.alg');
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw malformed(`header "kid" must be a string, found ${typeof header.kid}`, 'header.kid');
  }
  if (header.typ !== undefined && typeof header.typ !== 'string') {
    throw malformed(`header "typ" must be a string, found ${typeof header.typ}`, 'header.typ');
  }
  if (header.crit !== undefined) {
    // describeValue never recurses unguarded: a hostile, deeply nested `crit` cannot exhaust the stack here.
    throw malformed(
      `header "crit" names extensions this verifier does not support: ${describeValue(header.crit)}`,
      'header.crit',
    );
  }
  if (header.b64 !== undefined && header.b64 !== true) {
    throw malformed('header "b64": false (unencoded payload, RFC 7797) is not supported', 'header.b64');
  }
  for (const [name, why] of Object.entries(REFUSED_HEADER_PARAMETERS)) {
    if (header[name] !== undefined) throw malformed(why, `header.${name}`);
  }
}
