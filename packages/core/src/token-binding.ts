import { describeValue } from './errors.js';
import { SenderConstraintError } from './sender-constraint-error.js';

/**
 * What a verified access token is bound to, read from its `cnf` (confirmation) claim (RFC 7800 §3.1).
 * Neither member: a bearer token. `jkt`: DPoP-bound (RFC 9449 §6.1); the request must carry a DPoP proof
 * signed by that key. `x5tS256`: certificate-bound (RFC 8705 §3.1); the request must come over mutual TLS
 * with that certificate. Both: both checks apply.
 */
export interface TokenBinding {
  /** `cnf.jkt`: the RFC 7638 SHA-256 thumbprint (base64url) of the DPoP key the token is bound to. */
  readonly jkt: string | undefined;
  /** `cnf["x5t#S256"]`: the SHA-256 thumbprint (base64url) of the client certificate the token is bound to. */
  readonly x5tS256: string | undefined;
}

const BEARER: TokenBinding = Object.freeze({ jkt: undefined, x5tS256: undefined });

/** A base64url SHA-256 digest: 43 characters, the last one carrying 2 unused (zero) bits. */
function isSha256Thumbprint(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 43) return false;
  for (let i = 0; i < 43; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x5f;
    if (!ok) return false;
  }
  return Buffer.from(value, 'base64url').toString('base64url') === value;
}

function invalid(message: string): SenderConstraintError {
  return new SenderConstraintError('binding_invalid', 'cnf', message);
}

/**
 * Reads how a verified token is bound (see {@link TokenBinding}). Call it on the claims of a token whose
 * signature and claims have been checked.
 *
 * Fails closed: throws `SenderConstraintError` `binding_invalid` (HTTP: 401 `invalid_token`) when `cnf` is
 * not an object, when `jkt` or `x5t#S256` is not a base64url SHA-256 thumbprint, or when `cnf` names only
 * confirmation methods this library cannot check (`jwk`, `jwe`, `kid`, …): such a token is meant to be
 * sender-constrained, so it is never treated as a bearer token.
 */
export function readTokenBinding(claims: Readonly<Record<string, unknown>>): TokenBinding {
  const cnf = claims['cnf'];
  if (cnf === undefined) return BEARER;
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) {
    throw invalid(`claim "cnf" must be an object, found ${describeValue(cnf)}`);
  }
  const record = cnf as Record<string, unknown>;
  const jkt = record['jkt'];
  const x5tS256 = record['x5t#S256'];
  if (jkt !== undefined && !isSha256Thumbprint(jkt)) {
    throw invalid(`claim "cnf.jkt" must be a base64url SHA-256 thumbprint, found ${describeValue(jkt)}`);
  }
  if (x5tS256 !== undefined && !isSha256Thumbprint(x5tS256)) {
    throw invalid(
      `claim "cnf.x5t#S256" must be a base64url SHA-256 thumbprint, found ${describeValue(x5tS256)}`,
    );
  }
  if (jkt === undefined && x5tS256 === undefined) {
    throw invalid(
      `claim "cnf" names no confirmation method this server can check (jkt, x5t#S256); found members ${describeValue(Object.keys(record))}`,
    );
  }
  return Object.freeze({ jkt, x5tS256 });
}
