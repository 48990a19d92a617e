/**
 * The `Authorization` header grammar (RFC 9110 §11.4 and §11.6.2), read by a hand-written scanner.
 *
 * Why no regular expression: this runs on every request, on text an unauthenticated caller chooses.
 * A trim such as `/^[ \t]+|[ \t]+$/g` is quadratic on a long run of spaces in the middle of a header
 * (16,000 spaces cost 150–290 ms of CPU; issue 11, F3). Every function here looks at each character a
 * bounded number of times, so a 16 KiB header of spaces, tabs and junk costs what its length costs.
 *
 *     credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *     auth-param  = token BWS "=" BWS ( token / quoted-string )
 *     token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * RFC 6750 §2.1's `b64token` is the same set as `token68`.
 */

const TCHAR = 1;
const TOKEN68 = 2;
const QDTEXT = 4;
const QUOTED_PAIR = 8;

/** Character classes for codes 0–255 (header text is Latin-1; anything above 255 is in no class). */
const CLASSES = (() => {
  const table = new Uint8Array(256);
  const add = (flag: number, from: number, to = from) => {
    for (let c = from; c <= to; c++) table[c] = (table[c] ?? 0) | flag;
  };
  const addChars = (flag: number, chars: string) => {
    for (let i = 0; i < chars.length; i++) add(flag, chars.charCodeAt(i));
  };
  for (const flag of [TCHAR, TOKEN68]) {
    add(flag, 0x30, 0x39); // DIGIT
    add(flag, 0x41, 0x5a); // upper-case ALPHA
    add(flag, 0x61, 0x7a); // lower-case ALPHA
  }
  addChars(TCHAR, "!#$%&'*+-.^_`|~");
  addChars(TOKEN68, '-._~+/');
  // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
  add(QDTEXT, 0x09);
  add(QDTEXT, 0x20, 0x21);
  add(QDTEXT, 0x23, 0x5b);
  add(QDTEXT, 0x5d, 0x7e);
  add(QDTEXT, 0x80, 0xff);
  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
  add(QUOTED_PAIR, 0x09);
  add(QUOTED_PAIR, 0x20, 0x7e);
  add(QUOTED_PAIR, 0x80, 0xff);
  return table;
})();

function has(code: number, flag: number): boolean {
  return code < 256 && ((CLASSES[code] as number) & flag) !== 0;
}

/** SP or HTAB (RFC 9110 OWS/BWS/RWS). */
export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** End of the run of `flag` characters that starts at `i` (at most `end`). */
function scan(text: string, i: number, end: number, flag: number): number {
  let j = i;
  while (j < end && has(text.charCodeAt(j), flag)) j++;
  return j;
}

function skipWhitespace(text: string, i: number, end: number): number {
  let j = i;
  while (j < end && isWhitespace(text.charCodeAt(j))) j++;
  return j;
}

/** True when `text[start, end)` is exactly one `token68` (= RFC 6750 `b64token`). */
export function isToken68(text: string, start = 0, end = text.length): boolean {
  const afterChars = scan(text, start, end, TOKEN68);
  if (afterChars === start) return false;
  let i = afterChars;
  while (i < end && text.charCodeAt(i) === 0x3d) i++; // "="
  return i === end;
}

/** End of the quoted-string that opens at `i` (which holds `"`), or -1 when it is not one. */
function quotedStringEnd(text: string, i: number, end: number): number {
  let j = i + 1;
  while (j < end) {
    const code = text.charCodeAt(j);
    if (code === 0x22) return j + 1; // closing DQUOTE
    if (code === 0x5c) {
      if (j + 1 >= end || !has(text.charCodeAt(j + 1), QUOTED_PAIR)) return -1;
      j += 2;
    } else if (has(code, QDTEXT)) {
      j++;
    } else {
      return -1;
    }
  }
  return -1;
}

/**
 * True when `text[start, end)` is a non-empty comma-separated list of `auth-param`s
 * (`name=value` or `name="quoted value"`), with optional spaces around `=` and `,`.
 * `text[start]` and `text[end - 1]` are expected not to be whitespace (the header is trimmed).
 */
export function isAuthParams(text: string, start = 0, end = text.length): boolean {
  let i = start;
  for (;;) {
    const nameEnd = scan(text, i, end, TCHAR);
    if (nameEnd === i) return false;
    i = skipWhitespace(text, nameEnd, end);
    if (i >= end || text.charCodeAt(i) !== 0x3d) return false; // "="
    i = skipWhitespace(text, i + 1, end);
    if (i >= end) return false;
    if (text.charCodeAt(i) === 0x22) {
      i = quotedStringEnd(text, i, end);
      if (i === -1) return false;
    } else {
      const valueEnd = scan(text, i, end, TCHAR);
      if (valueEnd === i) return false;
      i = valueEnd;
    }
    i = skipWhitespace(text, i, end);
    if (i === end) return true;
    if (text.charCodeAt(i) !== 0x2c) return false; // ","
    i = skipWhitespace(text, i + 1, end);
  }
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
  const schemeEnd = scan(header, start, end, TCHAR);
  if (schemeEnd === start) return MALFORMED;
  const scheme = header.slice(start, schemeEnd);
  if (schemeEnd === end) return { kind: 'credentials', scheme, value: '' };
  if (!isWhitespace(header.charCodeAt(schemeEnd))) return MALFORMED;
  // `end` is not whitespace, so the rest is non-empty.
  const valueStart = skipWhitespace(header, schemeEnd, end);
  return { kind: 'credentials', scheme, value: header.slice(valueStart, end) };
}

/** True when `text` contains a space or a tab. */
export function containsWhitespace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isWhitespace(text.charCodeAt(i))) return true;
  return false;
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
