import { hash, timingSafeEqual } from 'node:crypto';
import { SenderConstraintError } from './sender-constraint-error.js';

/**
 * A client certificate as the TLS layer gives it: its DER bytes, a `crypto.X509Certificate`, or what
 * `tlsSocket.getPeerCertificate()` returns (an object with `raw`; `{}` when the client sent none).
 * `null` and `undefined` mean "no certificate".
 */
export type ClientCertificate = Uint8Array | { readonly raw?: Uint8Array | undefined } | null | undefined;

function derBytes(certificate: ClientCertificate): Uint8Array | undefined {
  if (certificate === null || certificate === undefined) return undefined;
  if (certificate instanceof Uint8Array) return certificate.length > 0 ? certificate : undefined;
  const raw = certificate.raw;
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
}

/**
 * The SHA-256 thumbprint of a certificate's DER encoding, base64url-encoded: what a certificate-bound token
 * carries in `cnf["x5t#S256"]` (RFC 8705 §3.1). `undefined` when there is no certificate.
 */
export function certificateThumbprint(certificate: ClientCertificate): string | undefined {
  const der = derBytes(certificate);
  return der === undefined ? undefined : hash('sha256', der, 'base64url');
}

/**
 * Checks a certificate-bound token against the client certificate of the mutual-TLS connection it came
 * over (RFC 8705 §3): the SHA-256 thumbprint of the certificate's DER bytes must equal `x5tS256` (the
 * token's `cnf["x5t#S256"]`, from `readTokenBinding`). The digests are compared in constant time.
 *
 * Throws `SenderConstraintError` (each maps to HTTP 401 `invalid_token`, RFC 8705 §3):
 * `certificate_required` when no client certificate was presented, `certificate_mismatch` when its
 * thumbprint differs, `binding_invalid` when `x5tS256` is not a base64url SHA-256 digest.
 *
 * Where the certificate comes from is the caller's decision: the TLS socket of this connection
 * (`socket.getPeerCertificate(true)`), or a header set by a TLS-terminating proxy the deployment trusts.
 */
export function verifyCertificateBinding(x5tS256: string, certificate: ClientCertificate): void {
  const expected = typeof x5tS256 === 'string' ? Buffer.from(x5tS256, 'base64url') : undefined;
  if (expected === undefined || expected.length !== 32 || expected.toString('base64url') !== x5tS256) {
    throw new SenderConstraintError(
      'binding_invalid',
      'cnf',
      'the token\'s cnf["x5t#S256"] is not a base64url SHA-256 thumbprint',
    );
  }
  const der = derBytes(certificate);
  if (der === undefined) {
    throw new SenderConstraintError(
      'certificate_required',
      'certificate',
      'the token is bound to a client certificate (cnf["x5t#S256"]), but the request presented none',
    );
  }
  const actual = hash('sha256', der, 'buffer');
  if (!timingSafeEqual(actual, expected)) {
    throw new SenderConstraintError(
      'certificate_mismatch',
      'certificate',
      `the client certificate's SHA-256 thumbprint ${actual.toString('base64url')} is not the token's cnf["x5t#S256"] ${x5tS256}`,
    );
  }
}
