import { isToken68, parseAuthorization, schemeIs } from './authorization.js';
import { type BearerExtraction, findBearerToken, singleValue } from './bearer.js';
import type { SenderConstraintSettings } from './sender-options.js';
import type { HttpRequest } from './types.js';

/**
 * The credentials of a request: a bearer token (RFC 6750 §2), or, with DPoP on, a DPoP token and its one
 * proof (RFC 9449 §7.1: `Authorization: DPoP <token>` plus exactly one `DPoP` header). Pure and linear,
 * like the bearer parser it extends; it never decodes a token or a proof.
 */
export type Credentials =
  | BearerExtraction
  /** `Authorization: DPoP <token>` with exactly one `DPoP` header value, `proof`. */
  | { readonly kind: 'dpop'; readonly token: string; readonly proof: string }
  /** A DPoP request refused before any verification: a missing proof (401 `invalid_dpop_proof`). */
  | { readonly kind: 'no-proof'; readonly token: string }
  /** A malformed DPoP request (400 `invalid_request`, in the `DPoP` challenge). */
  | { readonly kind: 'dpop-malformed'; readonly description: string };

function malformed(description: string): { readonly kind: 'dpop-malformed'; readonly description: string } {
  return { kind: 'dpop-malformed', description };
}

/** The `DPoP` token of one `Authorization` value, `undefined` for another scheme, or the reason it is malformed. */
function dpopToken(header: string): string | undefined | ReturnType<typeof malformed> {
  const parsed = parseAuthorization(header);
  if (parsed.kind !== 'credentials' || !schemeIs(parsed.scheme, 'dpop')) return undefined;
  if (parsed.value === '') return malformed('The DPoP scheme has no token');
  if (!isToken68(parsed.value)) return malformed('The DPoP access token is not a single token68 value');
  return parsed.value;
}

/**
 * Finds the credentials of a request. With DPoP off this is exactly `findBearerToken` (a `DPoP` scheme is
 * then just another scheme: no credentials). With DPoP on, `Authorization: DPoP <token>` is read too, and
 * these are malformed (400 `invalid_request`): a DPoP token and a token in the query or body (two methods),
 * two `DPoP` headers (or one holding a `,`: a runtime's comma-join of two). A `DPoP` header beside a
 * `Bearer` token is ignored: the proof is only read for the DPoP scheme.
 */
export function findCredentials(
  request: HttpRequest,
  settings: {
    readonly allowQueryToken: boolean;
    readonly allowBodyToken: boolean;
    readonly senderConstraints: SenderConstraintSettings;
  },
): Credentials {
  const found = findBearerToken(request, settings);
  if (settings.senderConstraints.mode === 'off' || found.kind === 'malformed') return found;
  if (found.kind === 'token' && found.source === 'header') return found;
  // No bearer token in the header: a DPoP one, perhaps (the header is single here, or it was malformed).
  const header = singleValue(request.header('authorization'));
  if (typeof header !== 'string') return found;
  const token = dpopToken(header);
  if (token === undefined) return found;
  if (typeof token !== 'string') return token;
  if (found.kind === 'token') return malformed('The access token was sent by more than one method');
  const proofs = singleValue(request.header('dpop'));
  if (proofs === null || (typeof proofs === 'string' && proofs.includes(','))) {
    return malformed('The request carries more than one DPoP header');
  }
  if (proofs === undefined || proofs === '') return { kind: 'no-proof', token };
  return { kind: 'dpop', token, proof: proofs };
}
