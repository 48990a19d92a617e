import type { TokenError } from '@scopeguard/core';
import { describeTokenError } from './token-error-description.js';
import type { AuthFailure } from './types.js';

/**
 * RFC 6750 §3: failures, their `error` codes and the `Bearer` challenge. Nothing else in the layer
 * decides a status or writes a challenge.
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

/** 400 `invalid_request`: malformed `Authorization` header, repeated header or token, several methods. */
export function invalidRequest(description: string): AuthFailure {
  return { status: 400, error: 'invalid_request', description: sanitizeDescription(description) };
}

/** How much of a `TokenError` a failure may tell the caller. */
export interface DescriptionOptions {
  /** Use the full `TokenError.message` (development only). Default false: the table of `describeTokenError`. */
  exposeErrorDetails?: boolean | undefined;
}

/**
 * Maps a core `TokenError` to a failure: `insufficient_scope` → 403 (with the required scopes),
 * `jwks_unavailable` → 503 with `Retry-After` (the token may be fine; we could not check it), every
 * other code → 401 `invalid_token`, described as `<code>: <what is wrong with the token>`. The
 * description never echoes configured values (see `describeTokenError`) unless
 * `exposeErrorDetails` asks for the full message; it never contains `token`.
 */
export function failureFromTokenError(
  error: TokenError,
  retryAfter: number,
  token?: string,
  options: DescriptionOptions = {},
): AuthFailure {
  const detail = options.exposeErrorDetails ? error.message : describeTokenError(error);
  if (error.code === 'jwks_unavailable') {
    return {
      status: 503,
      error: 'temporarily_unavailable',
      description: sanitizeDescription(detail, token),
      code: error.code,
      retryAfter,
      cause: error,
    };
  }
  if (error.code === 'insufficient_scope') {
    return {
      status: 403,
      error: 'insufficient_scope',
      description: sanitizeDescription(detail, token),
      code: error.code,
      requiredScopes: error.requiredScopes ?? [],
      cause: error,
    };
  }
  return {
    status: 401,
    error: 'invalid_token',
    description: sanitizeDescription(`${error.code}: ${detail}`, token),
    code: error.code,
    cause: error,
  };
}

/**
 * The `Bearer` challenge for a failure (RFC 6750 §3), or undefined when none is due (503). With `scheme`
 * `DPoP` and `algs`, the `DPoP` challenge of RFC 9449 §7.1, whose parameters are the same plus `algs`.
 */
export function challenge(
  failure: AuthFailure,
  realm: string,
  scheme: 'Bearer' | 'DPoP' = 'Bearer',
  algs?: string,
): string | undefined {
  if (failure.status === 503) return undefined;
  const params = [`realm="${realm}"`];
  if (algs !== undefined) params.push(`algs="${algs}"`);
  if (failure.error !== 'unauthorized') {
    params.push(`error="${failure.error}"`);
    const description = sanitizeDescription(failure.description);
    if (description !== '') params.push(`error_description="${description}"`);
    if (failure.status === 403) {
      const scopes = (failure.requiredScopes ?? []).filter(isValidScopeToken);
      if (scopes.length > 0) params.push(`scope="${scopes.join(' ')}"`);
    }
  }
  return `${scheme} ${params.join(', ')}`;
}

/** The default body: `{ error, error_description }`. */
export function defaultErrorBody(failure: AuthFailure): { error: string; error_description: string } {
  return { error: failure.error, error_description: failure.description };
}
