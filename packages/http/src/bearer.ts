import {
  containsWhitespace,
  isAuthParams,
  isToken68,
  parseAuthorization,
  schemeIs,
} from './authorization.js';
import type { HeaderValue, HttpRequest } from './types.js';

/**
 * Where the bearer token of a request is, per RFC 6750 §2. Pure: reads headers, target and body,
 * never decodes the token (that is the core's job). Every step is linear in the input's length.
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

const NONE: BearerExtraction = Object.freeze({ kind: 'none' });

/**
 * Longest auth-param list of another scheme (`Digest a=b, c="d"`) that is examined. Such lists are a
 * few hundred characters in practice; checking one costs several times more per character than a
 * token68 (each parameter is a few steps of the regular expression), so a longer one is refused as
 * malformed without being read through. A long token68 (`Negotiate …`) is not affected.
 */
const MAX_AUTH_PARAMS_LENGTH = 4096;
const FORM_TYPE = 'application/x-www-form-urlencoded';

function malformed(description: string): BearerExtraction {
  return { kind: 'malformed', description };
}

/** The one value of a header that must not be repeated, `undefined` when absent, `null` when repeated. */
export function singleValue(value: HeaderValue): string | undefined | null {
  if (value === undefined || typeof value === 'string') return value;
  if (value.length === 0) return undefined;
  return value.length === 1 ? value[0] : null;
}

/**
 * `Bearer <b64token>` with one space and nothing around it: the usual header, read in one pass. A
 * regular expression because irregexp's compiled code reads a token about twice as fast as a
 * `charCodeAt` loop; it is anchored and has no ambiguous repetition, so it is linear (backtracking
 * gives back at most the characters of one run, once), which `test/redos` checks. Every other header
 * goes through `parseAuthorization`.
 */
const PLAIN_BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

function plainBearer(header: string): string | undefined {
  return PLAIN_BEARER.exec(header)?.[1];
}

/**
 * Reads one `Authorization` value. Scheme matching is case-insensitive; surrounding spaces and extra
 * spaces after the scheme are tolerated. A well-formed non-Bearer scheme (`Basic xyz`) is "no bearer
 * credentials"; a header that is not `scheme [credentials]` at all is malformed.
 */
export function bearerFromAuthorization(header: string): BearerExtraction {
  const plain = plainBearer(header);
  if (plain !== undefined) return { kind: 'token', token: plain, source: 'header' };
  const parsed = parseAuthorization(header);
  if (parsed.kind === 'empty') return NONE;
  if (parsed.kind === 'malformed')
    return malformed('The Authorization header is not of the form: Bearer <token>');
  const { scheme, value } = parsed;
  if (!schemeIs(scheme, 'bearer')) {
    if (value === '' || isToken68(value)) return NONE;
    if (value.length <= MAX_AUTH_PARAMS_LENGTH && isAuthParams(value)) return NONE;
    return malformed('The Authorization header is malformed');
  }
  if (value === '') return malformed('The Bearer scheme has no token');
  if (containsWhitespace(value)) return malformed('The Authorization header carries more than one token');
  if (!isToken68(value)) {
    return malformed('The bearer token contains characters outside the RFC 6750 b64token syntax');
  }
  return { kind: 'token', token: value, source: 'header' };
}

function fromHeader(value: HeaderValue): BearerExtraction {
  const header = singleValue(value);
  if (header === undefined) return NONE;
  // RFC 9110 §5.3: Authorization is not a list; two field lines are two credentials, and a proxy
  // that kept the other one would see another identity (issue 11, F5).
  if (header === null) return malformed('The request carries more than one Authorization header');
  return bearerFromAuthorization(header);
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
  if (!isToken68(value)) {
    return malformed(`The ${label} contains characters outside the RFC 6750 b64token syntax`);
  }
  return { kind: 'token', token: value, source: where };
}

function fromQuery(target: string): BearerExtraction {
  const start = target.indexOf('?');
  if (start === -1) return NONE;
  const hashAt = target.indexOf('#', start);
  const values = new URLSearchParams(target.slice(start + 1, hashAt === -1 ? undefined : hashAt)).getAll(
    'access_token',
  );
  return fromValue(values.length === 0 ? undefined : values, 'query');
}

/** True for `application/x-www-form-urlencoded`, with or without parameters, in any case. */
export function isFormContentType(contentType: string): boolean {
  if (contentType.length < FORM_TYPE.length) return false;
  for (let i = 0; i < FORM_TYPE.length; i++) {
    let code = contentType.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== FORM_TYPE.charCodeAt(i)) return false;
  }
  let i = FORM_TYPE.length;
  while (i < contentType.length && (contentType.charCodeAt(i) === 0x20 || contentType.charCodeAt(i) === 0x09))
    i++;
  return i === contentType.length || contentType.charCodeAt(i) === 0x3b; // ";"
}

function fromBody(request: HttpRequest): BearerExtraction {
  const contentType = singleValue(request.header('content-type'));
  if (typeof contentType !== 'string' || !isFormContentType(contentType)) return NONE;
  const body = request.body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'access_token')) return NONE;
  return fromValue((body as Record<string, unknown>)['access_token'], 'body');
}

/**
 * Finds the bearer token of a request. Only the `Authorization` header is read unless the query or
 * form-body locations are enabled; a disabled location is ignored entirely. A repeated
 * `Authorization` header, or a token found in more than one enabled location, is malformed
 * (RFC 6750 §2: clients MUST NOT use more than one method).
 */
export function findBearerToken(request: HttpRequest, locations: BearerLocations = {}): BearerExtraction {
  const header = fromHeader(request.header('authorization'));
  if (header.kind === 'malformed') return header;
  if (!locations.allowQueryToken && !locations.allowBodyToken) return header;
  let token = header;
  const others = [
    locations.allowQueryToken ? fromQuery(request.target) : NONE,
    locations.allowBodyToken ? fromBody(request) : NONE,
  ];
  for (const result of others) {
    if (result.kind === 'malformed') return result;
    if (result.kind === 'token') {
      if (token.kind === 'token') return malformed('The access token was sent by more than one method');
      token = result;
    }
  }
  return token;
}
