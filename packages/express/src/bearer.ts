import type { ScopeguardRequest } from './types.js';

/**
 * Where the bearer token of a request is, per RFC 6750 §2. Pure: reads headers, URL and body, never
 * decodes the token (that is the core's job).
 */
export type BearerExtraction =
  /** No bearer credentials (no `Authorization` header, an empty one, or another well-formed scheme). */
  | { readonly kind: 'none' }
  /** Exactly one syntactically valid b64token. */
  | { readonly kind: 'token'; readonly token: string; readonly source: 'header' | 'query' | 'body' }
  /** A malformed request (answer 400 `invalid_request`); `description` never contains the token. */
  | { readonly kind: 'malformed'; readonly description: string };

/** Which token locations besides the `Authorization` header are enabled. */
export interface BearerLocations {
  allowQueryToken?: boolean | undefined;
  allowBodyToken?: boolean | undefined;
}

/** RFC 6750 §2.1 `b64token` (also RFC 7235 `token68`). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 7230 `tchar`s: an auth-scheme or auth-param name. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED_STRING = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const AUTH_PARAM = `${TOKEN}[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED_STRING})`;
/** `#auth-param`: the credentials of a non-Bearer scheme, when not a token68. */
const AUTH_PARAMS = new RegExp(`^${AUTH_PARAM}(?:[ \\t]*,[ \\t]*${AUTH_PARAM})*$`);
/** `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`. */
const CREDENTIALS = new RegExp(`^(${TOKEN})(?:[ \\t]+([^]*))?$`);
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded(?:[ \t]*;|[ \t]*$)/i;

const NONE: BearerExtraction = Object.freeze({ kind: 'none' });

function malformed(description: string): BearerExtraction {
  return { kind: 'malformed', description };
}

/**
 * Reads the `Authorization` header. Scheme matching is case-insensitive, surrounding spaces and
 * extra spaces after the scheme are tolerated. A well-formed non-Bearer scheme (`Basic xyz`) is "no
 * bearer credentials"; a header that is not `scheme [credentials]` at all is malformed.
 */
/** The usual header, `Bearer <b64token>` with one space and nothing around it, read in one pass. */
const PLAIN_BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

function fromHeader(header: string | undefined): BearerExtraction {
  if (header === undefined) return NONE;
  const plain = PLAIN_BEARER.exec(header);
  if (plain) return { kind: 'token', token: plain[1] as string, source: 'header' };
  const value = header.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value === '') return NONE;
  const match = CREDENTIALS.exec(value);
  if (!match) return malformed('The Authorization header is not of the form: Bearer <token>');
  const scheme = match[1] ?? '';
  const rest = match[2] ?? '';
  if (scheme.toLowerCase() !== 'bearer') {
    if (rest === '' || B64TOKEN.test(rest) || AUTH_PARAMS.test(rest)) return NONE;
    return malformed('The Authorization header is malformed');
  }
  if (rest === '') return malformed('The Bearer scheme has no token');
  if (/[ \t]/.test(rest)) return malformed('The Authorization header carries more than one token');
  if (!B64TOKEN.test(rest)) {
    return malformed('The bearer token contains characters outside the RFC 6750 b64token syntax');
  }
  return { kind: 'token', token: rest, source: 'header' };
}

/** One `access_token` value from the query or the body; arrays mean it was repeated. */
function fromValue(value: unknown, where: 'query' | 'body'): BearerExtraction {
  if (value === undefined) return NONE;
  const label = where === 'query' ? 'access_token query parameter' : 'access_token form field';
  if (Array.isArray(value)) {
    if (value.length === 1) return fromValue(value[0], where);
    return malformed(`The ${label} is repeated`);
  }
  if (typeof value !== 'string') return malformed(`The ${label} is not a string`);
  if (value === '') return malformed(`The ${label} is empty`);
  if (!B64TOKEN.test(value)) {
    return malformed(`The ${label} contains characters outside the RFC 6750 b64token syntax`);
  }
  return { kind: 'token', token: value, source: where };
}

function fromQuery(req: ScopeguardRequest): BearerExtraction {
  const url = req.originalUrl ?? req.url ?? '';
  const start = url.indexOf('?');
  if (start === -1) return NONE;
  const hashAt = url.indexOf('#', start);
  const values = new URLSearchParams(url.slice(start + 1, hashAt === -1 ? undefined : hashAt)).getAll(
    'access_token',
  );
  return fromValue(values.length === 0 ? undefined : values, 'query');
}

function fromBody(req: ScopeguardRequest): BearerExtraction {
  const contentType = req.headers['content-type'];
  if (contentType === undefined || !FORM_CONTENT_TYPE.test(contentType)) return NONE;
  const body = req.body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'access_token')) return NONE;
  return fromValue((body as Record<string, unknown>)['access_token'], 'body');
}

/**
 * Finds the bearer token of a request. Only the `Authorization` header is read unless the query or
 * form-body locations are enabled; a disabled location is ignored entirely. A token found in more
 * than one enabled location is malformed (RFC 6750 §2: clients MUST NOT use more than one method).
 */
export function extractBearerToken(
  req: ScopeguardRequest,
  locations: BearerLocations = {},
): BearerExtraction {
  const found: BearerExtraction[] = [fromHeader(req.headers.authorization)];
  if (locations.allowQueryToken) found.push(fromQuery(req));
  if (locations.allowBodyToken) found.push(fromBody(req));
  let token: BearerExtraction = NONE;
  for (const result of found) {
    if (result.kind === 'malformed') return result;
    if (result.kind === 'token') {
      if (token.kind === 'token') return malformed('The access token was sent by more than one method');
      token = result;
    }
  }
  return token;
}
