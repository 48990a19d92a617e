import { createHash, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { certificateThumbprint, createTestCertificate, mintCertificateBoundToken } from './certificate.js';
import { createTestIssuer } from './create-test-issuer.js';

describe('createTestCertificate', () => {
  it('always encodes the serial in minimal DER, so OpenSSL parses every certificate (was 1 in 256)', () => {
    // A random serial starting 0x00 0x00-0x7f used to keep its leading zero: `new X509Certificate`
    // threw "PEM routines::no start line" for about one certificate in 256 (flaky mTLS tests).
    for (let i = 0; i < 1000; i++) expect(() => createTestCertificate()).not.toThrow();
  });

  it('makes a self-signed P-256 certificate that Node parses, with its thumbprint', () => {
    const cert = createTestCertificate({ commonName: 'svc-a' });
    const x509 = new X509Certificate(cert.certificate);
    expect(x509.subject).toBe('CN=svc-a');
    expect(x509.issuer).toBe('CN=svc-a');
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.raw.equals(cert.der)).toBe(true);
    expect(cert.x5tS256).toBe(createHash('sha256').update(x509.raw).digest('base64url'));
    expect(certificateThumbprint(x509)).toBe(cert.x5tS256);
    expect(cert.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('writes subjectAltName DNS names and IPv4/IPv6 addresses', () => {
    const cert = createTestCertificate({ altNames: ['localhost', '127.0.0.1', '::1'] });
    expect(cert.x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.x509.checkHost('localhost')).toBe('localhost');
    expect(cert.x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('makes expired certificates with negative days', () => {
    const cert = createTestCertificate({ days: -1 });
    expect(new Date(cert.x509.validTo).getTime()).toBeLessThan(Date.now());
  });

  it('works for mutual TLS with verification on both sides (server trusts the client certificate, and back)', async () => {
    const server = createTestCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
    const client = createTestCertificate({ commonName: 'client' });
    const authorized = new Promise<{ authorized: boolean; raw: Buffer }>((resolve) => {
      const tlsServer = createServer(
        {
          key: server.privateKey,
          cert: server.certificate,
          ca: client.certificate,
          requestCert: true,
          rejectUnauthorized: true,
        },
        (socket: TLSSocket) => {
          resolve({ authorized: socket.authorized, raw: socket.getPeerCertificate(true).raw });
          socket.end();
          tlsServer.close();
        },
      );
      tlsServer.listen(0, '127.0.0.1', () => {
        const { port } = tlsServer.address() as AddressInfo;
        const socket = connect({
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          ca: server.certificate,
          cert: client.certificate,
          key: client.privateKey,
        });
        socket.on('error', () => {});
        socket.on('end', () => socket.destroy());
        socket.resume();
      });
    });
    const seen = await authorized;
    expect(seen.authorized).toBe(true);
    expect(seen.raw.equals(client.der)).toBe(true);
  });
});

describe('mintCertificateBoundToken', () => {
  it('mints a token with cnf["x5t#S256"] from a certificate, DER bytes or a thumbprint', async () => {
    const issuer = await createTestIssuer({ listen: false });
    const cert = createTestCertificate();
    for (const from of [cert, cert.der, cert.x509, cert.x5tS256]) {
      const token = await mintCertificateBoundToken(issuer, from, { scp: ['a'] });
      expect(decodeJwt(token)).toMatchObject({ cnf: { 'x5t#S256': cert.x5tS256 }, scp: ['a'] });
    }
    await issuer.close();
  });
});
