import type { TokenError } from '@scopeguard/core';
import type { AuthFailure, ErrorBodyFormatter, ScopeguardRequest, ScopeguardResponse } from './types.js';

/**
 * The whole RFC 6750 §3 mapping: a failure becomes a status, a `WWW-Authenticate` challenge,
 * `Cache-Control: no-store` and a body. Nothing else in the adapter writes a failure response.
 */

/** Longest `error_description` sent, in characters. */
const MAX_DESCRIPTION = 200;
/** RFC 6750 §3 `scope-token` (NQCHAR). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Makes text safe for an `error_description` (RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E): `"` becomes
 * `'`, `\` becomes `/`, other characters outside the set are dropped or replaced, whitespace runs
 * collapse, and the result is truncated. `secret` (the token) is masked if it appears at all.
 */
export function sanitizeDescription(text: string, secret?: string): string {
  let value = text;
  if (secret !== undefined && secret.length > 0) value = value.split(secret).join('[token]');
  value = value
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/\u2026/g, '...')
    .replace(/[\t\r\n\f\v]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (value.length > MAX_DESCRIPTION) value = `${value.slice(0, MAX_DESCRIPTION - 3).trimEnd()}...`;
  return value;
}

/** Checks a `realm` (or any quoted-string value we emit) contains only characters RFC 6750 allows. */
export function isValidRealm(realm: string): boolean {
  return /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(realm);
}

/** Checks one scope name is a valid RFC 6750 `scope-token`. */
export function isValidScopeToken(scope: string): boolean {
  return SCOPE_TOKEN.test(scope);
}

/** 401 without an error code: the request carried no bearer token (RFC 6750 §3.1). */
export function noCredentials(): AuthFailure {
  return { status: 401, error: 'unauthorized', description: 'A bearer token is required' };
}

/** 400 `invalid_request`: malformed `Authorization` header, repeated token, several methods. */
export function invalidRequest(description: string): AuthFailure {
  return { status: 400, error: 'invalid_request', description: sanitizeDescription(description) };
}

/**
 * Maps a core `TokenError` to a failure: `insufficient_scope` → 403 (with the required scopes),
 * `jwks_unavailable` → 503 with `Retry-After` (the token may be fine; we could not check it), every
 * other code → 401 `invalid_token` with the code and message as description.
 */
export function failureFromTokenError(error: TokenError, retryAfter: number, token?: string): AuthFailure {
  if (error.code === 'jwks_unavailable') {
    return {
      status: 503,
      error: 'temporarily_unavailable',
      description: 'The token cannot be verified right now: the issuer keys are unavailable',
      code: error.code,
      retryAfter,
      cause: error,
    };
  }
  if (error.code === 'insufficient_scope') {
    return {
      status: 403,
      error: 'insufficient_scope',
      description: sanitizeDescription(error.message, token),
      code: error.code,
      requiredScopes: error.requiredScopes ?? [],
      cause: error,
    };
  }
  return {
    status: 401,
    error: 'invalid_token',
    description: sanitizeDescription(`${error.code}: ${error.message}`, token),
    code: error.code,
    cause: error,
  };
}

/** The `WWW-Authenticate` value for a failure, or undefined when none is due (503). */
export function challenge(failure: AuthFailure, realm: string): string | undefined {
  if (failure.status === 503) return undefined;
  const params = [`realm="${realm}"`];
  if (failure.error !== 'unauthorized') {
    params.push(`error="${failure.error}"`);
    const description = sanitizeDescription(failure.description);
    if (description !== '') params.push(`error_description="${description}"`);
    if (failure.status === 403) {
      const scopes = (failure.requiredScopes ?? []).filter(isValidScopeToken);
      if (scopes.length > 0) params.push(`scope="${scopes.join(' ')}"`);
    }
  }
  return `Bearer ${params.join(', ')}`;
}

/** The default body: `{ error, error_description }`. */
export function defaultErrorBody(failure: AuthFailure): { error: string; error_description: string } {
  return { error: failure.error, error_description: failure.description };
}

/** How a failure response is written. */
export interface ResponseSettings {
  realm: string;
  errorBody: ErrorBodyFormatter | undefined;
}

function renderBody(
  failure: AuthFailure,
  req: ScopeguardRequest,
  errorBody: ErrorBodyFormatter | undefined,
): { type: string; text: string } | undefined {
  let body: unknown;
  if (errorBody) {
    try {
      body = errorBody(failure, req);
    } catch {
      // A broken formatter must not turn a 401 into a 500 nor lose the challenge: use the default.
      body = undefined;
    }
  }
  if (body === null) return undefined;
  if (typeof body === 'string') return { type: 'text/plain; charset=utf-8', text: body };
  let text: string | undefined;
  if (body !== undefined) {
    try {
      text = JSON.stringify(body);
    } catch {
      text = undefined;
    }
  }
  return { type: 'application/json; charset=utf-8', text: text ?? JSON.stringify(defaultErrorBody(failure)) };
}

/**
 * Answers a failure: status, `WWW-Authenticate` (401/400/403), `Retry-After` (503),
 * `Cache-Control: no-store`, and the body. Uses only Node's `ServerResponse` API, so it behaves the
 * same under Express 4 and 5. Returns false when the head was already sent (nothing written).
 */
export function sendFailure(
  req: ScopeguardRequest,
  res: ScopeguardResponse,
  failure: AuthFailure,
  settings: ResponseSettings,
): boolean {
  if (res.headersSent) return false;
  res.statusCode = failure.status;
  const value = challenge(failure, settings.realm);
  if (value !== undefined) res.setHeader('WWW-Authenticate', value);
  if (failure.status === 503) res.setHeader('Retry-After', String(failure.retryAfter ?? 10));
  res.setHeader('Cache-Control', 'no-store');
  const body = renderBody(failure, req, settings.errorBody);
  if (body === undefined) {
    res.setHeader('Content-Length', '0');
    res.end();
    return true;
  }
  res.setHeader('Content-Type', body.type);
  res.setHeader('Content-Length', String(Buffer.byteLength(body.text)));
  res.end(body.text);
  return true;
}
