import { challenge } from './rfc6750.js';
import type { SenderConstraintSettings } from './sender-options.js';
import type { AuthFailure } from './types.js';

/** A failure reduced to "these are the credentials this scheme takes": the bare challenge. */
const BARE: AuthFailure = Object.freeze({ status: 401, error: 'unauthorized', description: '' });

/**
 * The `WWW-Authenticate` challenges with DPoP on (RFC 9449 §7.1, §7.2), one entry per challenge:
 *
 * - `required`: one `DPoP realm="…", algs="ES256 …"` challenge, carrying the error (if any);
 * - `allowed`: a `Bearer` and a `DPoP` challenge; the error goes in the challenge of the scheme the
 *   request used (a Bearer request's error in `Bearer`, a DPoP request's in `DPoP`), the other one is bare;
 * - no credentials: both bare, no error code (RFC 6750 §3.1);
 * - 503: none.
 *
 * `invalid_dpop_proof` and `use_dpop_nonce` only ever appear in the `DPoP` challenge.
 */
export function dpopChallenges(
  failure: AuthFailure,
  realm: string,
  settings: Pick<SenderConstraintSettings, 'mode' | 'algs'>,
): readonly string[] {
  if (failure.status === 503) return [];
  const dpopCarriesError =
    settings.mode === 'required' ||
    failure.scheme === 'DPoP' ||
    failure.error === 'invalid_dpop_proof' ||
    failure.error === 'use_dpop_nonce';
  const dpop = challenge(dpopCarriesError ? failure : BARE, realm, 'DPoP', settings.algs) as string;
  if (settings.mode === 'required') return [dpop];
  const bearer = challenge(dpopCarriesError ? BARE : failure, realm) as string;
  return [bearer, dpop];
}
