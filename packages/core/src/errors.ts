/**
 * Why a token was refused. Stable: callers branch on these, never on message text.
 *
 * Every code but `jwks_unavailable` and `insufficient_scope` means the token itself is not acceptable
 * (HTTP adapters answer 401 `invalid_token`). `insufficient_scope` means the token is valid but lacks a
 * required scope (403). `jwks_unavailable` means the server could not check the token at all (key endpoint
 * down, timed out or answering garbage): not the client's fault, so adapters answer 503.
 */
export type TokenErrorCode =
  | 'token_malformed'
  | 'alg_not_allowed'
  | 'key_not_found'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'issuer_invalid'
  | 'audience_invalid'
  | 'client_not_allowed'
  | 'claim_invalid'
  | 'insufficient_scope'
  | 'jwks_unavailable';

/** Every {@link TokenErrorCode}, in a stable order (useful for exhaustive tests and docs). */
export const TOKEN_ERROR_CODES: readonly TokenErrorCode[] = Object.freeze([
  'token_malformed',
  'alg_not_allowed',
  'key_not_found',
  'signature_invalid',
  'token_expired',
  'token_not_yet_valid',
  'issuer_invalid',
  'audience_invalid',
  'client_not_allowed',
  'claim_invalid',
  'insufficient_scope',
  'jwks_unavailable',
]);

/** Extra, non-secret detail attached to a {@link TokenError}. */
export interface TokenErrorDetails {
  /** The claim (or header parameter) the failure is about, e.g. `aud`, `exp`, `header.alg`. */
  claim?: string;
  /** For `insufficient_scope`: the scopes the requirement asked for. */
  requiredScopes?: readonly string[];
  /** The underlying error (never contains the token). */
  cause?: unknown;
}

/**
 * The one error a verification rejects with. `code` is stable; `message` says what was expected and
 * what was found, and never contains the token or any secret.
 */
export class TokenError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: TokenErrorCode;
  /** The claim or header parameter involved, where there is one. */
  readonly claim: string | undefined;
  /** For `insufficient_scope`: the scopes that were required. */
  readonly requiredScopes: readonly string[] | undefined;

  constructor(code: TokenErrorCode, message: string, details: TokenErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TokenError';
    this.code = code;
    this.claim = details.claim;
    this.requiredScopes = details.requiredScopes;
  }
}

/** True when `value` is a {@link TokenError} (also across duplicated copies of this package). */
export function isTokenError(value: unknown): value is TokenError {
  return (
    value instanceof TokenError ||
    (value instanceof Error &&
      value.name === 'TokenError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (TOKEN_ERROR_CODES as readonly string[]).includes((value as unknown as { code: string }).code))
  );
}

/**
 * Thrown synchronously by constructors (e.g. `createVerifier`) when the configuration is unusable:
 * an `http:` issuer that is not loopback, a missing audience, `none` or `HS256` in `algorithms`, …
 * Configuration mistakes surface at startup, never at the first request.
 */
export class ConfigError extends Error {
  /** Always `config_invalid`. */
  readonly code = 'config_invalid' as const;
  /** The option at fault, e.g. `issuer`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'ConfigError';
    this.option = option;
  }
}

/**
 * Renders an untrusted value for an error message: JSON-quoted, truncated, so that a hostile claim
 * cannot flood logs or forge log lines. Never pass the token itself here.
 */
export function describeValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    text = typeof value;
  }
  if (text === undefined) text = typeof value;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
