/**
 * The `htu` comparison of RFC 9449 §4.3 (check 9): the proof's `htu` must equal the request's target URI,
 * ignoring query and fragment, after syntax-based (RFC 3986 §6.2.2) and scheme-based (§6.2.3)
 * normalisation. Both sides go through {@link normalizeHttpUri}.
 *
 * Written by hand, not with WHATWG `new URL()`: the WHATWG parser accepts what RFC 3986 does not (`\` as a
 * path separator, `0x7f.1` as an IPv4 address, spaces, non-ASCII) and rewrites it, so a proof made for one
 * URI by an RFC 3986 client could match another URI here. Anything outside RFC 3986's characters is refused
 * instead. One pass per component, no regular expression: linear in the input.
 */

/** Character classes of RFC 3986 §2, per ASCII code. */
const UNRESERVED = 1; // ALPHA / DIGIT / "-" / "." / "_" / "~"
const SUB_DELIM = 2; // "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
const PATH_EXTRA = 4; // ":" / "@" / "/" (allowed in a path besides unreserved and sub-delims)

const CLASS = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = UNRESERVED;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c] = UNRESERVED;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = UNRESERVED;
for (const c of '-._~') CLASS[c.charCodeAt(0)] = UNRESERVED;
for (const c of "!$&'()*+,;=") CLASS[c.charCodeAt(0)] = SUB_DELIM;
for (const c of ':@/') CLASS[c.charCodeAt(0)] = PATH_EXTRA;

const HEX_DIGITS = '0123456789ABCDEF';
const DEFAULT_PORT: Readonly<Record<string, string>> = { http: '80', https: '443' };

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Normalises one component: percent-encodings get upper-case hex digits (§6.2.2.1) and those of unreserved
 * characters are decoded (§6.2.2.2); with `lowerCase`, letters are lower-cased (the host, §6.2.2.1).
 * `allowed` is the set of classes a literal character may belong to. `undefined` when a character is not
 * allowed there or a `%` is not followed by two hex digits.
 */
function normalizeComponent(text: string, allowed: number, lowerCase: boolean): string | undefined {
  let out = '';
  let copyFrom = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return undefined;
      const byte = high * 16 + low;
      out += text.slice(copyFrom, i);
      if (byte < 128 && CLASS[byte] === UNRESERVED) {
        const char = String.fromCharCode(byte);
        out += lowerCase ? char.toLowerCase() : char;
      } else {
        out += `%${HEX_DIGITS[high]}${HEX_DIGITS[low]}`;
      }
      i += 2;
      copyFrom = i + 1;
    } else if (code >= 128 || (CLASS[code]! & allowed) === 0) {
      return undefined;
    }
  }
  out += text.slice(copyFrom);
  return lowerCase ? lowerAsciiOutsideEscapes(out) : out;
}

/** Lower-cases ASCII letters, leaving the (upper-case) hex digits of percent-encodings alone. */
function lowerAsciiOutsideEscapes(text: string): string {
  if (!text.includes('%')) return text.toLowerCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x25) {
      out += text.slice(i, i + 3);
      i += 2;
    } else {
      out += text[i]!.toLowerCase();
    }
  }
  return out;
}

/** RFC 3986 §5.2.4 for an absolute path (it starts with `/`). */
function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/** The scheme in lower case, or `undefined` when `text` is not `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`. */
function normalizeScheme(text: string): string | undefined {
  if (text.length === 0) return undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) | 0x20;
    const letter = code >= 0x61 && code <= 0x7a;
    const other = i > 0 && (CLASS[text.charCodeAt(i)] === UNRESERVED || text.charCodeAt(i) === 0x2b);
    if (!letter && !other) return undefined;
  }
  return text.toLowerCase();
}

/** Normalises `host [ ":" port ]`; refuses userinfo and empty hosts. */
function normalizeAuthority(authority: string, scheme: string): string | undefined {
  if (authority.includes('@')) return undefined; // userinfo: never part of a DPoP target
  let host: string | undefined;
  let rest: string;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    const inner = normalizeComponent(authority.slice(1, close), UNRESERVED | SUB_DELIM | PATH_EXTRA, true);
    if (inner === undefined || inner.length === 0 || inner.includes('/')) return undefined;
    host = `[${inner}]`;
    rest = authority.slice(close + 1);
  } else {
    const colon = authority.indexOf(':');
    const end = colon < 0 ? authority.length : colon;
    host = normalizeComponent(authority.slice(0, end), UNRESERVED | SUB_DELIM, true);
    rest = authority.slice(end);
  }
  if (host === undefined || host.length === 0) return undefined;
  if (rest.length === 0) return host;
  if (rest.charCodeAt(0) !== 0x3a /* : */) return undefined;
  const digits = rest.slice(1);
  if (digits.length === 0) return host; // "host:" means the default port (§6.2.3)
  if (digits.length > 5) return undefined;
  for (let i = 0; i < digits.length; i++) {
    const code = digits.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const port = Number(digits);
  if (port > 65_535) return undefined;
  return String(port) === DEFAULT_PORT[scheme] ? host : `${host}:${port}`;
}

/**
 * Normalises an absolute `http:` or `https:` URI for comparison, per RFC 3986 §6.2.2 and §6.2.3: query and
 * fragment are dropped (RFC 9449 §4.3 ignores them), scheme and host are lower-cased, percent-encodings get
 * upper-case hex and unreserved characters are decoded, dot segments are removed, an empty path becomes
 * `/`, and the scheme's default port (or an empty one) is left out.
 *
 * Returns `undefined` for anything else: another scheme, no `//` authority, userinfo, an empty host, a port
 * that is not 0–65535, or a character RFC 3986 does not allow there (spaces, `\`, controls, non-ASCII, a
 * lone `%`).
 *
 * @example normalizeHttpUri('HTTPS://API.Example.com:443/a/./b/../%7euser?x=1') // 'https://api.example.com/a/~user'
 */
export function normalizeHttpUri(uri: string): string | undefined {
  let end = uri.length;
  const question = uri.indexOf('?');
  if (question >= 0) end = question;
  const hash = uri.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;

  const colon = uri.indexOf(':');
  if (colon < 0 || colon > end) return undefined;
  const scheme = normalizeScheme(uri.slice(0, colon));
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  if (uri.charCodeAt(colon + 1) !== 0x2f || uri.charCodeAt(colon + 2) !== 0x2f || colon + 3 > end) {
    return undefined;
  }
  const authorityStart = colon + 3;
  let pathStart = uri.indexOf('/', authorityStart);
  if (pathStart < 0 || pathStart > end) pathStart = end;

  const authority = normalizeAuthority(uri.slice(authorityStart, pathStart), scheme);
  if (authority === undefined) return undefined;
  const rawPath = uri.slice(pathStart, end);
  const path =
    rawPath.length === 0 ? '/' : normalizeComponent(rawPath, UNRESERVED | SUB_DELIM | PATH_EXTRA, false);
  if (path === undefined) return undefined;
  return `${scheme}://${authority}${removeDotSegments(path)}`;
}
