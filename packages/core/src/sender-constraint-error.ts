/**
 * Why a sender-constrained request was refused (DPoP, RFC 9449; mutual-TLS binding, RFC 8705). Stable:
 * callers branch on these, never on message text. Each code maps to exactly one HTTP answer:
 *
 * | code | meaning | HTTP answer (RFC 9449 §7.1, §9; RFC 8705 §3; RFC 6750 §3.1) |
 * | --- | --- | --- |
 * | `dpop_request_invalid` | more than one `DPoP` header (§4.3 check 1) | 400 `invalid_request` |
 * | `dpop_proof_invalid` | any other §4.3 check failed, or the proof was replayed (§11.1) | 401 `invalid_dpop_proof` |
 * | `dpop_nonce_required` | nonces are on and the proof's `nonce` is missing, wrong or stale (§8, §9) | 401 `use_dpop_nonce` with a fresh `DPoP-Nonce` |
 * | `replay_store_unavailable` | the replay store could not answer: the proof was not checked for replay | 503 with `Retry-After` |
 * | `binding_invalid` | the token's `cnf` claim is malformed or names a confirmation method we cannot check | 401 `invalid_token` |
 * | `certificate_required` | a certificate-bound token came without a client certificate (RFC 8705 §3) | 401 `invalid_token` |
 * | `certificate_mismatch` | the client certificate's SHA-256 thumbprint is not the token's `cnf["x5t#S256"]` | 401 `invalid_token` |
 */
export type SenderConstraintErrorCode =
  | 'dpop_request_invalid'
  | 'dpop_proof_invalid'
  | 'dpop_nonce_required'
  | 'replay_store_unavailable'
  | 'binding_invalid'
  | 'certificate_required'
  | 'certificate_mismatch';

/** Every {@link SenderConstraintErrorCode}, in a stable order (for exhaustive tests and docs). */
export const SENDER_CONSTRAINT_ERROR_CODES: readonly SenderConstraintErrorCode[] = Object.freeze([
  'dpop_request_invalid',
  'dpop_proof_invalid',
  'dpop_nonce_required',
  'replay_store_unavailable',
  'binding_invalid',
  'certificate_required',
  'certificate_mismatch',
]);

/**
 * Which check failed. For DPoP, one name per check of RFC 9449 §4.3, numbered as there:
 * `header` (1: exactly one `DPoP` header), `jwt` (2: one well-formed JWT), `claims` (3: `jti`, `htm`, `htu`,
 * `iat`, and `ath` with a token, present and well typed), `typ` (4), `alg` (5), `signature` (6), `jwk` (7: a
 * usable public key, no private members), `htm` (8), `htu` (9), `nonce` (10), `iat` (11), `ath` and `jkt`
 * (12), plus `replay` (§11.1: the `jti` was already used). `cnf` is the token's confirmation claim, and
 * `certificate` the RFC 8705 check.
 */
export type SenderConstraintCheck =
  | 'header'
  | 'jwt'
  | 'claims'
  | 'typ'
  | 'alg'
  | 'signature'
  | 'jwk'
  | 'htm'
  | 'htu'
  | 'nonce'
  | 'iat'
  | 'ath'
  | 'jkt'
  | 'replay'
  | 'cnf'
  | 'certificate';

/**
 * The one error the DPoP and certificate-binding checks throw or reject with. `code` says what the HTTP
 * answer is, `check` which rule failed; `message` says what was expected and what was found (for logs:
 * it may name the configured request URI), and never contains a token, a proof or a secret.
 */
export class SenderConstraintError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: SenderConstraintErrorCode;
  /** The check that failed. */
  readonly check: SenderConstraintCheck;

  constructor(
    code: SenderConstraintErrorCode,
    check: SenderConstraintCheck,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SenderConstraintError';
    this.code = code;
    this.check = check;
  }
}

/** True when `value` is a {@link SenderConstraintError} (also across duplicated copies of this package). */
export function isSenderConstraintError(value: unknown): value is SenderConstraintError {
  return (
    value instanceof SenderConstraintError ||
    (value instanceof Error &&
      value.name === 'SenderConstraintError' &&
      (SENDER_CONSTRAINT_ERROR_CODES as readonly string[]).includes(
        (value as unknown as { code?: unknown }).code as string,
      ))
  );
}
