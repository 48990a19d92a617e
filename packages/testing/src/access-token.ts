import { randomBytes } from 'node:crypto';

/** Default `aud` of minted tokens: the audience of Okta's `default` custom authorization server. */
export const DEFAULT_AUDIENCE = 'api://default';
/** Default client id (`cid`, `sub`) of minted tokens; shaped like an Okta client id. */
export const DEFAULT_CLIENT_ID = '0oatestclient0000001';
/** Default scopes (`scp`) of minted tokens. */
export const DEFAULT_SCOPES: readonly string[] = ['api:read'];
/** Default token lifetime in seconds, as Okta issues by default. */
export const DEFAULT_TOKEN_LIFETIME = 3600;

/**
 * Claims of an access token. Every member may be overridden; passing `undefined` for a member removes it
 * from the token. Any other claim may be added.
 */
export interface AccessTokenClaims {
  // Known claims are typed loosely on purpose: a test kit must be able to mint malformed tokens
  // (`exp: "9999999999"`, `aud: []`, `scp: "a b"`) as easily as good ones.
  ver?: unknown;
  jti?: unknown;
  iss?: unknown;
  aud?: unknown;
  iat?: unknown;
  exp?: unknown;
  nbf?: unknown;
  cid?: unknown;
  client_id?: unknown;
  sub?: unknown;
  uid?: unknown;
  scp?: unknown;
  scope?: unknown;
  [claim: string]: unknown;
}

/**
 * Token shape: `okta` (Okta custom authorization server: `ver`, `cid`, `scp` array, no `typ`) or `rfc9068`
 * (JWT profile for access tokens: `client_id`, `scope` string, `typ: "at+jwt"`).
 */
export type AccessTokenProfile = 'okta' | 'rfc9068';

/** Options shaping a token beyond its claims. Explicit claims always win over these. */
export interface AccessTokenShapeOptions {
  /** `okta` (default) or `rfc9068`. */
  profile?: AccessTokenProfile;
  /** Seconds from `iat` to `exp`; default 3600. Negative values mint an already expired token. */
  expiresIn?: number;
  /** Sets `nbf` to `iat + notBefore` seconds (e.g. `60` for a token not valid for another minute). */
  notBefore?: number;
  /** `iat` in epoch seconds; default now. */
  issuedAt?: number;
  /** Granted scopes; written as `scp` (okta) or as the space-delimited `scope` (rfc9068). */
  scopes?: readonly string[];
  /** Shorthand for `header.typ`, e.g. `'at+jwt'`. */
  typ?: string;
  /** JWS header overrides; `undefined` removes a member (e.g. `{ kid: undefined }`). */
  header?: Record<string, unknown>;
}

/** Issuer-side values a token is built from. */
export interface AccessTokenContext {
  issuer: string;
  audience: string;
  alg: string;
  kid: string;
  lifetime?: number;
}

/** A token before signing. */
export interface UnsignedAccessToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

function applyOverrides(
  target: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): void {
  if (!overrides) return;
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
}

/**
 * Builds the header and payload of a client-credentials access token shaped like Okta's (or RFC 9068's),
 * applying shape options first and explicit claim/header overrides last.
 */
export function buildAccessToken(
  context: AccessTokenContext,
  claims: AccessTokenClaims = {},
  options: AccessTokenShapeOptions = {},
): UnsignedAccessToken {
  const profile = options.profile ?? 'okta';
  const iat =
    typeof claims.iat === 'number' ? claims.iat : (options.issuedAt ?? Math.floor(Date.now() / 1000));
  const scopes = [...(options.scopes ?? DEFAULT_SCOPES)];
  const clientId =
    (typeof claims.cid === 'string' && claims.cid) ||
    (typeof claims.client_id === 'string' && claims.client_id) ||
    DEFAULT_CLIENT_ID;
  const jti = `AT.${randomBytes(24).toString('base64url')}`;
  const exp = iat + (options.expiresIn ?? context.lifetime ?? DEFAULT_TOKEN_LIFETIME);

  const payload: Record<string, unknown> =
    profile === 'rfc9068'
      ? { iss: context.issuer, sub: clientId, aud: context.audience, exp, iat, jti, client_id: clientId }
      : { ver: 1, jti, iss: context.issuer, aud: context.audience, iat, exp, cid: clientId, sub: clientId };
  if (options.notBefore !== undefined) payload['nbf'] = iat + options.notBefore;
  if (profile === 'rfc9068') payload['scope'] = scopes.join(' ');
  else payload['scp'] = scopes;
  applyOverrides(payload, claims);

  const header: Record<string, unknown> = { alg: context.alg, kid: context.kid };
  const typ = options.typ ?? (profile === 'rfc9068' ? 'at+jwt' : undefined);
  if (typ !== undefined) header['typ'] = typ;
  applyOverrides(header, options.header);
  return { header, payload };
}
