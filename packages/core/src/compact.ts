import { isUtf8 } from 'node:buffer';
import { deepFreeze } from './deep-freeze.js';
import { describeValue, TokenError } from './errors.js';
import { parseJsonObject } from './json-object.js';

/** A compact JWS split and decoded, not yet trusted. */
export interface ParsedCompact {
  /** The decoded JOSE header (an object with distinct member names). */
  header: Record<string, unknown>;
  /** The decoded payload (an object with distinct member names). */
  payload: Record<string, unknown>;
  /** `base64url(header) "." base64url(payload)`, as it appears in the token (ASCII): what was signed. */
  signingInput: string;
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

/** Value of one base64url character (the alphabet is already checked). */
function sextet(code: number): number {
  if (code >= 0x61) return code - 0x61 + 26; // a-z
  if (code >= 0x41) return code === 0x5f ? 63 : code - 0x41; // A-Z, _
  if (code >= 0x30) return code - 0x30 + 52; // 0-9
  return 62; // -
}

/**
 * Checks one base64url segment strictly: only the URL-safe alphabet (the caller has tested it), no padding,
 * no whitespace, and canonical: the unused low bits of the last character must be zero, so no two
 * spellings of one token exist (RFC 4648 §3.5). Checking that one character is equivalent to re-encoding,
 * and much cheaper.
 */
function checkSegment(segment: string, name: string): void {
  if (segment.length === 0) throw malformed(`the ${name} segment is empty`);
  const rest = segment.length % 4;
  if (rest === 1) {
    throw malformed(`the ${name} segment is not base64url (unpadded, URL-safe alphabet)`);
  }
  if (rest !== 0) {
    const spareBits = rest === 2 ? 0b1111 : 0b11;
    if ((sextet(segment.charCodeAt(segment.length - 1)) & spareBits) !== 0) {
      throw malformed(`the ${name} segment is not canonical base64url`);
    }
  }
}

/** Decodes a checked segment to bytes. */
function decodeSegment(segment: string, name: string): Buffer {
  checkSegment(segment, name);
  return Buffer.from(segment, 'base64url');
}

/**
 * Decodes a checked segment to text through one reused buffer: the bytes are needed only until they are a
 * string, and this runs once per token. The bytes must be valid UTF-8 (RFC 7515 §7.1, RFC 8259 §8.1):
 * invalid sequences would silently become U+FFFD, so two different signed byte strings would read as one
 * claim set. The lenient decoder writes U+FFFD for every invalid sequence, so the strict check runs only
 * when the text contains one (rare: a genuine U+FFFD in a claim), and costs nothing otherwise.
 */
let scratch = Buffer.allocUnsafeSlow(4096);
function decodeSegmentText(segment: string, name: string): string {
  checkSegment(segment, name);
  const most = Math.ceil((segment.length * 3) / 4);
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
  const length = scratch.write(segment, 0, 'base64url');
  const text = scratch.toString('utf8', 0, length);
  if (text.includes('\uFFFD') && !isUtf8(scratch.subarray(0, length))) {
    throw malformed(`the ${name} is not valid UTF-8`, name);
  }
  return text;
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
  if (token.length > maxLength) {
    throw malformed(`the token is ${token.length} characters long, over the limit of ${maxLength}`);
  }
  return parseCanonical(token) ?? parseChecked(token);
}

/**
 * True when `segment` decoded to exactly `length` bytes and is canonical: unpadded, of a length base64url
 * can have, with zero spare bits in its last character. Only meaningful for a segment of a token already
 * known to be ASCII without `+` or `/` (see {@link parseCanonical}): Node's decoder skips, or stops at,
 * every other character outside the base64url alphabet (`=`, `.`, whitespace, controls), so any such
 * character leaves fewer bytes than the segment's length promises. `compact.test.ts` pins that behaviour
 * of the decoder for every character from U+0000 to U+00FF.
 */
function decodedCanonically(segment: string, length: number): boolean {
  const rest = segment.length % 4;
  if (rest === 1) return false;
  if (length !== (segment.length >> 2) * 3 + (rest === 0 ? 0 : rest - 1)) return false;
  if (rest === 0) return true;
  return (sextet(segment.charCodeAt(segment.length - 1)) & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/**
 * The common case, checked by construction instead of by a pass of a regular expression: a header already
 * seen (and checked) by {@link parseChecked}, a token that is ASCII without `+` or `/` (the other base64
 * alphabet, which Node's decoder also reads), and payload and signature segments that are each non-empty
 * and decode to exactly as many bytes as their length promises, with zero spare bits. Together that is
 * exactly what the shape check and {@link checkSegment} require (no padding, whitespace, dot or other
 * character, one canonical spelling), at a fraction of the cost on long tokens. Returns `undefined` for
 * anything else (a new header, any doubt, any fault), and {@link parseChecked} then parses the token again
 * with the step-by-step checks and their exact messages.
 */
function parseCanonical(token: string): ParsedCompact | undefined {
  const firstDot = token.indexOf('.');
  if (firstDot < 1) return undefined;
  const header = headerCache.get(token.slice(0, firstDot));
  if (header === undefined) return undefined;
  const secondDot = token.indexOf('.', firstDot + 1);
  if (secondDot < 0) return undefined;
  const payloadSegment = token.slice(firstDot + 1, secondDot);
  const signatureSegment = token.slice(secondDot + 1);
  if (payloadSegment.length === 0 || signatureSegment.length === 0) return undefined;
  // ASCII (a character above U+007F takes more than one UTF-8 byte; the decoder would read some, such as
  // U+0141, as their low byte), and neither `+` nor `/`.
  if (Buffer.byteLength(token, 'utf8') !== token.length) return undefined;
  if (token.indexOf('+', firstDot) !== -1 || token.indexOf('/', firstDot) !== -1) return undefined;

  const most = Math.ceil((payloadSegment.length * 3) / 4);
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
  const length = scratch.write(payloadSegment, 0, 'base64url');
  if (!decodedCanonically(payloadSegment, length)) return undefined;
  const text = scratch.toString('utf8', 0, length);
  if (text.includes('\uFFFD') && !isUtf8(scratch.subarray(0, length))) return undefined;
  const payload = parseJsonObject(text);
  if (payload === undefined) return undefined;

  const signature = Buffer.from(signatureSegment, 'base64url');
  if (!decodedCanonically(signatureSegment, signature.length)) return undefined;
  return { header, payload, signingInput: token.slice(0, secondDot), signature };
}

/**
 * Every check in order, each failing with its own message: the shape of the whole token (one pass of a
 * regular expression after the header; the header segment is checked only when it is not one already
 * seen), the header, the payload, the signature. Used for a new header and for every refusal.
 */
function parseChecked(token: string): ParsedCompact {
  const firstDot = token.indexOf('.');
  REST_SHAPE.lastIndex = firstDot + 1;
  if (firstDot < 1 || !REST_SHAPE.test(token)) throw diagnoseShape(token);
  const secondDot = token.indexOf('.', firstDot + 1);

  const header = parseHeader(token, firstDot);
  const payload = parseJsonObject(decodeSegmentText(token.slice(firstDot + 1, secondDot), 'payload'));
  if (!payload) throw malformed('the payload is not a JSON object with distinct member names', 'payload');

  const signature = decodeSegment(token.slice(secondDot + 1), 'signature');
  return { header, payload, signingInput: token.slice(0, secondDot), signature };
}

/**
 * What follows a non-empty header segment without a dot: two more non-empty base64url segments and nothing
 * else (no padding, whitespace or other characters). Sticky: matched from `lastIndex` (just after the first
 * dot) to the end, so with the header's own check the token is exactly three base64url segments.
 */
const REST_SHAPE = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/y;

function diagnoseShape(token: string): TokenError {
  if (token.length === 0) return malformed('the token is empty');
  const segments = token.split('.');
  if (segments.length === 5) {
    return malformed(
      'expected a compact JWS (3 segments), found 5 segments: an encrypted JWE is not accepted',
    );
  }
  if (segments.length !== 3)
    return malformed(`expected a compact JWS (3 segments), found ${segments.length}`);
  const names = ['header', 'payload', 'signature'] as const;
  for (const [index, segment] of segments.entries()) {
    if (segment.length === 0) return malformed(`the ${names[index]} segment is empty`);
  }
  const bad = segments.findIndex((segment) => !BASE64URL.test(segment));
  return malformed(`the ${names[Math.max(bad, 0)]} segment is not base64url (unpadded, URL-safe alphabet)`);
}

/**
 * Headers repeat: every token from one issuer key carries the same few. Parsed, checked and frozen headers
 * are kept by their exact segment text, in a small map that is simply emptied when full, so a flood of
 * distinct headers costs the flooder, not memory. Only a segment that passed every check is kept, so a
 * segment found here is known to be base64url.
 */
const headerCache = new Map<string, Record<string, unknown>>();
const HEADER_CACHE_SIZE = 64;

/** The header of `token`, whose first dot is at `firstDot` (> 0). */
function parseHeader(token: string, firstDot: number): Record<string, unknown> {
  const segment = token.slice(0, firstDot);
  const cached = headerCache.get(segment);
  if (cached !== undefined) return cached;
  if (!BASE64URL.test(segment)) throw diagnoseShape(token);
  const header = parseJsonObject(decodeSegmentText(segment, 'header'));
  if (!header) throw malformed('the header is not a JSON object with distinct member names', 'header');
  checkHeader(header);
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  headerCache.set(segment, deepFreeze(header));
  return header;
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
