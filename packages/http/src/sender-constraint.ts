import {
  type ClientCertificate,
  readTokenBinding,
  type SenderConstraintCheck,
  SenderConstraintError,
  type VerifiedToken,
  verifyCertificateBinding,
} from '@scopeguard/core';
import { clientCertificateOf } from './client-certificate.js';
import { sanitizeDescription } from './rfc6750.js';
import type { SenderConstraintSettings } from './sender-options.js';
import type { AuthFailure, HttpRequest, ResponseHeaders } from './types.js';

/**
 * The sender-constraint checks of one request whose token has verified (RFC 9449 §7.1, RFC 8705 §3): how
 * the token is bound (`cnf`) must fit how it came. A token bound to a DPoP key (`cnf.jkt`) comes with the
 * DPoP scheme and a proof by that key, never as Bearer; a token bound to a certificate (`cnf["x5t#S256"]`)
 * comes over a connection with that client certificate; an unbound token never comes with the DPoP scheme.
 * The verified-token cache may have served the token; the proof is checked here on every request.
 */

/** A binding refusal this layer decides itself, with the sentence the caller is told. */
class BindingRefusal extends SenderConstraintError {
  readonly description: string;
  constructor(check: SenderConstraintCheck, description: string, message: string) {
    super('binding_invalid', check, message);
    this.description = description;
  }
}

const NO_HEADERS: ResponseHeaders = Object.freeze({});

/** Path (and query) of a request target: the origin-form as is; the path of an absolute-form target. */
function pathOf(target: string): string | undefined {
  if (target.charCodeAt(0) === 0x2f /* / */) return target;
  const scheme = target.indexOf('://');
  if (scheme < 0) return undefined; // asterisk-form or authority-form: no DPoP target
  const path = target.indexOf('/', scheme + 3);
  return path < 0 ? '/' : target.slice(path);
}

/**
 * The URI a proof's `htu` must name: the configured origin (`publicOrigin`, or the origin of `resource`)
 * plus the path of the request target. Never the `Host` header nor `X-Forwarded-*`, nor the authority of
 * an absolute-form target: a proof made for `http://evil.example/…` cannot be replayed here by sending
 * `Host: evil.example` (the "Host header htu" attack).
 */
export function dpopRequestUri(target: string, origin: string): string {
  const path = pathOf(target);
  return path === undefined ? '' : origin + path;
}

/**
 * Runs the sender-constraint checks for a verified token presented as `scheme`. Returns `undefined` when
 * the request may go on with no more work (an unbound Bearer token: no promise, no allocation), a promise
 * of the headers to add to the response (a DPoP proof being checked; with nonces, a fresh `DPoP-Nonce`), or
 * throws `SenderConstraintError`.
 */
export function checkSenderConstraints(
  verified: VerifiedToken,
  token: string,
  proof: string | undefined,
  request: HttpRequest,
  settings: SenderConstraintSettings,
): Promise<ResponseHeaders> | undefined {
  const binding = readTokenBinding(verified.claims);
  if (binding.x5tS256 !== undefined) {
    const certificate: ClientCertificate = clientCertificateOf(request, settings.certificate);
    verifyCertificateBinding(binding.x5tS256, certificate);
  }
  if (proof === undefined) {
    if (binding.jkt !== undefined) {
      throw new BindingRefusal(
        'cnf',
        'The token is DPoP-bound: send it with the DPoP scheme and a DPoP proof',
        'a DPoP-bound token (cnf.jkt) was presented as a Bearer token; RFC 9449 §7.1 refuses it',
      );
    }
    return undefined;
  }
  const dpop = settings.dpop;
  if (dpop === undefined || settings.origin === undefined) {
    throw new Error('scopeguard: a DPoP request reached the sender checks with DPoP off');
  }
  if (binding.jkt === undefined) {
    throw new BindingRefusal(
      'cnf',
      'The token is not DPoP-bound: send it with the Bearer scheme',
      'an access token without cnf.jkt was presented with the DPoP scheme',
    );
  }
  const verifying = dpop.verify({
    proofs: proof,
    method: request.method,
    url: dpopRequestUri(request.target, settings.origin),
    accessToken: token,
    boundJkt: binding.jkt,
  });
  const nonces = dpop.nonces;
  if (nonces === undefined) return verifying.then(() => NO_HEADERS);
  return verifying.then(() => ({ 'DPoP-Nonce': nonces.issue() }));
}

/** What a caller is told per failed check (never the configured URI nor the allowed-algorithm list). */
const PROOF_DESCRIPTIONS: Readonly<Partial<Record<SenderConstraintCheck, string>>> = {
  header: 'The request must carry exactly one DPoP proof',
  jwt: 'The DPoP proof is not a well-formed JWT',
  claims: 'The DPoP proof lacks a required claim (jti, htm, htu, iat, ath) or one has the wrong type',
  typ: "The DPoP proof's typ is not dpop+jwt",
  alg: 'The DPoP proof is signed with an algorithm this API does not accept',
  signature: "The DPoP proof's signature does not verify with its jwk",
  jwk: "The DPoP proof's jwk is not a usable public key",
  htm: "The DPoP proof's htm is not this request's method",
  htu: "The DPoP proof's htu is not this request's URI",
  nonce: 'The DPoP proof must carry the nonce of the DPoP-Nonce header',
  iat: "The DPoP proof's iat is too old or in the future",
  ath: "The DPoP proof's ath is not the hash of the access token",
  jkt: 'The DPoP proof is signed by another key than the one the token is bound to',
  replay: 'The DPoP proof was already used',
};

/** The refusal of a request that carries a DPoP token but no `DPoP` header. */
export function missingProof(): AuthFailure {
  return {
    status: 401,
    error: 'invalid_dpop_proof',
    description: 'The request must carry exactly one DPoP proof',
    scheme: 'DPoP',
  };
}

/** The refusal of a Bearer request when DPoP is required. */
export function dpopRequired(): AuthFailure {
  return {
    status: 401,
    error: 'invalid_token',
    description: 'This API accepts access tokens sent with the DPoP scheme and a DPoP proof only',
    scheme: 'DPoP',
  };
}

/**
 * Maps a `SenderConstraintError` to a failure (see the core's code table): `dpop_request_invalid` → 400
 * `invalid_request`; `dpop_proof_invalid` → 401 `invalid_dpop_proof`; `dpop_nonce_required` → 401
 * `use_dpop_nonce` with a fresh nonce; `replay_store_unavailable` → 503 with `Retry-After`; the binding
 * codes → 401 `invalid_token`. `scheme` is the one the request used. The description never holds the
 * token, the configured URI or the algorithm list, unless `exposeErrorDetails` asks for the full message.
 */
export function failureFromSenderConstraintError(
  error: SenderConstraintError,
  scheme: 'Bearer' | 'DPoP',
  settings: {
    readonly retryAfter: number;
    readonly exposeErrorDetails: boolean;
    readonly senderConstraints: SenderConstraintSettings;
  },
  token: string,
): AuthFailure {
  const detail = (text: string) =>
    sanitizeDescription(settings.exposeErrorDetails ? error.message : text, token);
  const base = { code: error.code, cause: error, scheme } as const;
  switch (error.code) {
    case 'dpop_request_invalid':
      return {
        ...base,
        status: 400,
        error: 'invalid_request',
        description: detail('The request carries more than one DPoP header'),
      };
    case 'dpop_proof_invalid':
      return {
        ...base,
        status: 401,
        error: 'invalid_dpop_proof',
        description: detail(PROOF_DESCRIPTIONS[error.check] ?? 'The DPoP proof was refused'),
      };
    case 'dpop_nonce_required':
      return {
        ...base,
        status: 401,
        error: 'use_dpop_nonce',
        description: detail('The DPoP proof must carry the nonce of the DPoP-Nonce header'),
        dpopNonce: settings.senderConstraints.dpop?.nonces?.issue(),
      };
    case 'replay_store_unavailable':
      return {
        ...base,
        status: 503,
        error: 'temporarily_unavailable',
        description: detail('The DPoP proof could not be checked for replay; try again later'),
        retryAfter: settings.retryAfter,
      };
    case 'certificate_required':
      return {
        ...base,
        status: 401,
        error: 'invalid_token',
        description: detail('The token is bound to a client certificate, and the request presented none'),
      };
    case 'certificate_mismatch':
      return {
        ...base,
        status: 401,
        error: 'invalid_token',
        description: detail('The client certificate is not the one the token is bound to'),
      };
    default:
      return {
        ...base,
        status: 401,
        error: 'invalid_token',
        description: detail(
          error instanceof BindingRefusal
            ? error.description
            : "The token's cnf claim is malformed or names a confirmation method this API cannot check",
        ),
      };
  }
}
