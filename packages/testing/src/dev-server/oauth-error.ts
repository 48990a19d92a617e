/**
 * Error codes of RFC 6749 §5.2 (and RFC 9449 §5's `invalid_dpop_proof`, RFC 8707 §2's `invalid_target`)
 * that the token endpoint returns.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_target'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_dpop_proof';

/** A token endpoint error, rendered as an RFC 6749 §5.2 JSON response. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
    this.status = status;
    this.headers = headers;
  }

  /** `{ error, error_description }` with the status and headers the error calls for; never cached. */
  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.code, error_description: this.message }), {
      status: this.status,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        pragma: 'no-cache',
        ...this.headers,
      },
    });
  }
}
