import type { TokenError, TokenErrorCode } from '@scopeguard/core';

/**
 * What a caller is told about a refused token: a table from the `TokenError`'s `code` (and, where it
 * helps, its `claim`) to a sentence about *the token*. It is never built from `TokenError.message`,
 * which names this API's configuration (expected audience and issuer, client allowlist, accepted
 * algorithms, the JWKS URL and its key count) for the logs; an unauthenticated caller must not learn
 * those. Claim names are used only from the fixed lists below: a `requiredClaims` rule's claim name is
 * configuration too.
 */
interface Row {
  /** The sentence when no claim-specific one applies. */
  readonly text: string;
  /** Sentences for particular `claim` values of the error. */
  readonly byClaim?: Readonly<Record<string, string>>;
}

/** Registered claims and header parameters whose names may appear in a description. */
const REGISTERED_CLAIMS = new Set(['sub', 'cid', 'client_id', 'scp', 'scope', 'exp', 'nbf', 'iat', 'jti']);
const HEADER_PARAMETERS = new Set([
  'alg',
  'kid',
  'typ',
  'crit',
  'b64',
  'zip',
  'enc',
  'jku',
  'x5u',
  'jwk',
  'x5c',
]);

const TABLE: Readonly<Record<TokenErrorCode, Row>> = {
  token_malformed: {
    text: 'The token is not a well-formed signed JWT (compact JWS)',
    byClaim: {
      header: "The token's header is not a JSON object with distinct member names",
      payload: "The token's payload is not a JSON object with distinct member names",
    },
  },
  alg_not_allowed: { text: 'The token is signed with an algorithm this API does not accept' },
  key_not_found: { text: 'The token names a signing key this API does not know' },
  signature_invalid: { text: "The token's signature is invalid" },
  token_expired: {
    text: 'The token has expired',
    byClaim: { iat: 'The token was issued too long ago' },
  },
  token_not_yet_valid: {
    text: 'The token is not valid yet',
    byClaim: { iat: 'The token was issued in the future' },
  },
  issuer_invalid: { text: "The token's iss does not name an issuer this API trusts" },
  audience_invalid: { text: "The token's aud does not name this API" },
  client_not_allowed: { text: "The token's client is not allowed to call this API" },
  claim_invalid: {
    text: 'The token does not carry the claims this API requires',
    byClaim: {
      typ: 'The token is an ID token, not an access token',
      'header.typ': "The token's typ header does not mark it as an access token (at+jwt)",
    },
  },
  insufficient_scope: { text: 'The token lacks a scope this resource requires' },
  jwks_unavailable: { text: 'The token cannot be verified right now: the issuer keys are unavailable' },
};

function forClaim(code: TokenErrorCode, claim: string): string | undefined {
  if (claim.startsWith('header.')) {
    const name = claim.slice('header.'.length);
    if (!HEADER_PARAMETERS.has(name)) return undefined;
    if (code === 'token_malformed') return `The token's header parameter ${name} is not acceptable`;
    return undefined;
  }
  if (code === 'claim_invalid' && REGISTERED_CLAIMS.has(claim)) {
    return `The token's ${claim} claim has a wrong type or value`;
  }
  return undefined;
}

/**
 * The sentence sent to the caller for `error`: what is wrong with the token, from the table above, in
 * the characters RFC 6750 allows. Unknown codes (a newer core) get a neutral sentence.
 */
export function describeTokenError(error: Pick<TokenError, 'code' | 'claim'>): string {
  const row = (TABLE as Readonly<Record<string, Row | undefined>>)[error.code];
  if (row === undefined) return 'The token was refused';
  const claim = error.claim;
  if (claim !== undefined) {
    const exact = row.byClaim?.[claim];
    if (exact !== undefined) return exact;
    const named = forClaim(error.code, claim);
    if (named !== undefined) return named;
  }
  return row.text;
}
