/**
 * The `Authorization` header grammar (RFC 9110 §11.4 and §11.6.2), read in linear time.
 *
 *     credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *     auth-param  = token BWS "=" BWS ( token / quoted-string )
 *     token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * RFC 6750 §2.1's `b64token` is the same set as `token68`.
 *
 * This runs on every request, on text an unauthenticated caller chooses. The trim that used to be
 * here, `/^[ \t]+|[ \t]+$/g`, was quadratic on a run of spaces in the middle of a header (16,000 spaces
 * cost 150–290 ms of CPU; issue 11, F3): a global search retries `[ \t]+$` from every position of the
 * run. Now the ends are trimmed by two loops that stop at the first other character, and every regular
 * expression below is anchored (`^…$`, or sticky and run once from a known position) and unambiguous,
 * so backtracking gives back each character at most once: linear. `test/redos` has the recheck ReDoS
 * checker confirm it for each of them. They are regular expressions rather than `charCodeAt` loops
 * because irregexp's compiled code reads a 16 KiB header several times faster.
 */

const TCHARS = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED_STRING = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const AUTH_PARAM = `${TCHARS}[ \\t]*=[ \\t]*(?:${TCHARS}|${QUOTED_STRING})`;

/** A non-empty comma-separated list of auth-params, nothing around it. */
const AUTH_PARAMS = new RegExp(`^${AUTH_PARAM}(?:[ \\t]*,[ \\t]*${AUTH_PARAM})*$`);
/** Exactly one token68 (= b64token). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The auth-scheme, from `lastIndex` (sticky). */
const SCHEME = new RegExp(TCHARS, 'y');
/** Spaces and tabs, from `lastIndex` (sticky). */
const WHITESPACE = /[ \t]*/y;

/** SP or HTAB (RFC 9110 OWS/BWS/RWS). */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** True when `text` is exactly one `token68` (= RFC 6750 `b64token`). */
export function isToken68(text: string): boolean {
  return TOKEN68.test(text);
}

/**
 * True when `text` is a non-empty comma-separated list of `auth-param`s (`name=value` or
 * `name="quoted value"`), with optional spaces around `=` and `,`, and nothing around it.
 */
export function isAuthParams(text: string): boolean {
  return AUTH_PARAMS.test(text);
}

/** One `Authorization` field value, split into its scheme and the rest. */
export type ParsedAuthorization =
  /** Empty, or only spaces and tabs. */
  | { readonly kind: 'empty' }
  /** `scheme [ 1*SP rest ]`; `value` is the rest with surrounding whitespace removed (`''` when absent). */
  | { readonly kind: 'credentials'; readonly scheme: string; readonly value: string }
  /** Not `auth-scheme [ 1*SP … ]` at all (no scheme, or a scheme glued to other characters). */
  | { readonly kind: 'malformed' };

const EMPTY: ParsedAuthorization = Object.freeze({ kind: 'empty' });
const MALFORMED: ParsedAuthorization = Object.freeze({ kind: 'malformed' });

/**
 * Splits one `Authorization` field value into `auth-scheme` and the rest, tolerating spaces and
 * tabs around the value and several after the scheme. Does not judge the rest: callers check it with
 * {@link isToken68} or {@link isAuthParams} as their scheme requires. Linear in the header's length.
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  let start = 0;
  let end = header.length;
  while (start < end && isWhitespace(header.charCodeAt(start))) start++;
  while (end > start && isWhitespace(header.charCodeAt(end - 1))) end--;
  if (start === end) return EMPTY;
  SCHEME.lastIndex = start;
  if (!SCHEME.test(header)) return MALFORMED;
  // A scheme never runs into trailing whitespace, so it ends at or before `end`.
  const schemeEnd = SCHEME.lastIndex;
  const scheme = header.slice(start, schemeEnd);
  if (schemeEnd === end) return { kind: 'credentials', scheme, value: '' };
  if (!isWhitespace(header.charCodeAt(schemeEnd))) return MALFORMED;
  // `header[end - 1]` is not whitespace, so this run stops before `end` and the rest is non-empty.
  WHITESPACE.lastIndex = schemeEnd;
  WHITESPACE.test(header);
  return { kind: 'credentials', scheme, value: header.slice(WHITESPACE.lastIndex, end) };
}

/** True when `text` contains a space or a tab. */
export function containsWhitespace(text: string): boolean {
  return text.indexOf(' ') !== -1 || text.indexOf('\t') !== -1;
}

/**
 * True when `scheme` equals `expected` ignoring ASCII case (`expected` given in lower case); auth
 * schemes are case-insensitive (RFC 9110 §11.1).
 */
export function schemeIs(scheme: string, expected: string): boolean {
  if (scheme.length !== expected.length) return false;
  for (let i = 0; i < scheme.length; i++) {
    let code = scheme.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== expected.charCodeAt(i)) return false;
  }
  return true;
}
