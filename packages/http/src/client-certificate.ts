import type { ClientCertificate } from '@scopeguard/core';
import { singleValue } from './bearer.js';
import type { CertificateSource } from './sender-options.js';
import type { HttpRequest } from './types.js';

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/** Base64 (standard or url alphabet) to bytes; `undefined` for any other character. Linear. */
function base64Bytes(text: string): Uint8Array | undefined {
  let clean = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    const ok =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2b ||
      c === 0x2f ||
      c === 0x2d ||
      c === 0x5f ||
      c === 0x3d;
    if (!ok) return undefined;
    clean += text[i];
  }
  if (clean.length === 0) return undefined;
  const bytes = Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

/** The DER bytes of a header value in `encoding`, or `undefined` when it holds no certificate. */
export function certificateFromHeaderValue(
  value: string,
  encoding: 'pem-urlencoded' | 'base64-der',
): Uint8Array | undefined {
  if (encoding === 'base64-der') {
    // RFC 9440 sends the DER bytes as a structured-field byte sequence, `:base64:`.
    const inner =
      value.length >= 2 && value.startsWith(':') && value.endsWith(':') ? value.slice(1, -1) : value;
    return base64Bytes(inner);
  }
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const begin = pem.indexOf(PEM_BEGIN);
  const end = pem.indexOf(PEM_END);
  if (begin < 0 || end < begin) return undefined;
  return base64Bytes(pem.slice(begin + PEM_BEGIN.length, end));
}

/**
 * The client certificate of a request, from where the settings say (RFC 8705 §3): the TLS socket
 * (`request.clientCertificate`), a trusted proxy's header (a repeated header counts as none), or nowhere.
 * Read only for a certificate-bound token.
 */
export function clientCertificateOf(request: HttpRequest, source: CertificateSource): ClientCertificate {
  if (source.kind === 'socket') return request.clientCertificate;
  if (source.kind === 'none') return undefined;
  const value = singleValue(request.header(source.header));
  if (typeof value !== 'string' || value === '') return undefined;
  return certificateFromHeaderValue(value, source.encoding);
}
