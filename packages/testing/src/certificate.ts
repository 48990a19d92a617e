import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { AccessTokenClaims } from './access-token.js';
import type { MintOptions, TestIssuer } from './create-test-issuer.js';

/** Options of {@link createTestCertificate}. */
export interface TestCertificateOptions {
  /** Subject (and issuer) common name; default `scopeguard test client`. */
  commonName?: string;
  /** DNS names and IP addresses for `subjectAltName` (a server certificate needs them, e.g. `['localhost', '127.0.0.1']`). */
  altNames?: readonly string[];
  /** Days of validity from now; default 1. Negative days give an expired certificate. */
  days?: number;
}

/** A self-signed certificate with its key, made at test time (nothing private is ever committed). */
export interface TestCertificate {
  /** PEM certificate, for `tls.createServer({ cert })`, a client's `cert`, or a trust list (`ca`). */
  readonly certificate: string;
  /** PEM (PKCS#8) private key, for `key`. */
  readonly privateKey: string;
  /** The certificate's DER bytes. */
  readonly der: Buffer;
  /** Its SHA-256 thumbprint, base64url: the `cnf["x5t#S256"]` of tokens bound to it (RFC 8705 §3.1). */
  readonly x5tS256: string;
  /** Node's view of it. */
  readonly x509: X509Certificate;
}

// Minimal DER (ITU-T X.690) writer: just what one X.509 certificate needs.
function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let head: Buffer;
  if (length < 0x80) head = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
    head = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([head, content]);
}
const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer) => tlv(0xa0 + n, item);

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function positiveInteger(bytes: Buffer): Buffer {
  // DER wants the minimal encoding: no leading zero byte unless the next one has its top bit set
  // (OpenSSL refuses a random serial that starts 0x00 0x00-0x7f, about one certificate in 256).
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++;
  const minimal = bytes.subarray(start);
  const trimmed = minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
  return tlv(0x02, trimmed);
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14); // YYMMDDHHMMSS
  return tlv(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

const name = (commonName: string) =>
  sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = groups(tail);
  const all = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return Buffer.from(
    all.flatMap((group) => [Number.parseInt(group, 16) >> 8, Number.parseInt(group, 16) & 0xff]),
  );
}

function subjectAltName(names: readonly string[]): Buffer {
  const entries = names.map((entry) =>
    isIP(entry) ? tlv(0x87, ipBytes(entry)) : tlv(0x82, Buffer.from(entry, 'ascii')),
  );
  return sequence(oid('2.5.29.17'), tlv(0x04, sequence(...entries)));
}

/**
 * Makes a self-signed ECDSA P-256 X.509 v3 certificate and its private key, in memory, for mutual-TLS tests
 * (RFC 8705): use it as a client certificate (`cert`/`key` of the client, `ca` of the server), or, with
 * `altNames`, as a loopback server's certificate. Nothing is written to disk.
 *
 * @example
 * const client = createTestCertificate();
 * const token = await mintCertificateBoundToken(issuer, client, { scp: ['orders:read'] });
 */
export function createTestCertificate(options: TestCertificateOptions = {}): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const commonName = options.commonName ?? 'scopeguard test client';
  const now = Date.now();
  const days = options.days ?? 1;
  const notBefore = new Date(Math.min(now, now + days * 86_400_000) - 60_000);
  const notAfter = new Date(Math.max(now - 1000, now + days * 86_400_000));
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const extensions = options.altNames?.length
    ? [explicit(3, sequence(subjectAltName(options.altNames)))]
    : [];
  const tbs = sequence(
    explicit(0, tlv(0x02, Buffer.from([2]))), // v3
    positiveInteger(serial),
    ecdsaWithSha256,
    name(commonName),
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    ...extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature, as X.509 wants
  const der = sequence(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const x509 = new X509Certificate(der);
  return Object.freeze({
    certificate: x509.toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    der,
    x5tS256: certificateThumbprint(der),
    x509,
  });
}

/** The SHA-256 thumbprint of a certificate's DER bytes, base64url (RFC 8705 §3.1 `x5t#S256`). */
export function certificateThumbprint(certificate: Uint8Array | { readonly raw: Uint8Array }): string {
  const der = certificate instanceof Uint8Array ? certificate : certificate.raw;
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * Mints a certificate-bound access token (RFC 8705 §3.1): the issuer's usual token plus
 * `cnf: { "x5t#S256": … }` for the certificate (a {@link TestCertificate}, DER bytes, an `X509Certificate`,
 * or the thumbprint itself). Explicit `claims` win.
 */
export function mintCertificateBoundToken(
  issuer: Pick<TestIssuer, 'mint'>,
  certificate: Pick<TestCertificate, 'x5tS256'> | Uint8Array | { readonly raw: Uint8Array } | string,
  claims: AccessTokenClaims = {},
  options?: MintOptions,
): Promise<string> {
  const x5tS256 =
    typeof certificate === 'string'
      ? certificate
      : 'x5tS256' in certificate
        ? certificate.x5tS256
        : certificateThumbprint(certificate);
  return issuer.mint({ cnf: { 'x5t#S256': x5tS256 }, ...claims }, options);
}
