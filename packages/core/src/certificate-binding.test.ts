import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import { createTestCertificate } from '@scopeguard/testing';
import { describe, expect, it } from 'vitest';
import { certificateThumbprint, verifyCertificateBinding } from './certificate-binding.js';
import { SenderConstraintError } from './sender-constraint-error.js';

const client = createTestCertificate({ commonName: 'client-a' });
const other = createTestCertificate({ commonName: 'client-b' });

function codeOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SenderConstraintError);
    return (error as SenderConstraintError).code;
  }
  return 'accepted';
}

/** Starts a TLS server on loopback that asks for a client certificate, connects, and gives the peer certificate it saw. */
async function peerCertificateOverTls(clientCertificate?: typeof client): Promise<PeerCertificate> {
  const server = createTestCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
  let resolveSeen!: (peer: PeerCertificate) => void;
  const seen = new Promise<PeerCertificate>((resolve) => {
    resolveSeen = resolve;
  });
  const tlsServer = createServer(
    { key: server.privateKey, cert: server.certificate, requestCert: true, rejectUnauthorized: false },
    (socket: TLSSocket) => {
      resolveSeen(socket.getPeerCertificate(true));
      socket.end();
    },
  );
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const { port } = tlsServer.address() as AddressInfo;
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: server.certificate,
    servername: 'localhost',
    ...(clientCertificate ? { cert: clientCertificate.certificate, key: clientCertificate.privateKey } : {}),
  });
  socket.on('error', () => {});
  socket.resume();
  try {
    return await seen;
  } finally {
    socket.destroy();
    await new Promise((resolve) => tlsServer.close(resolve));
  }
}

describe('verifyCertificateBinding (RFC 8705 §3)', () => {
  it('accepts the certificate the token is bound to, as DER bytes, an X509Certificate or a peer certificate', () => {
    expect(certificateThumbprint(client.der)).toBe(client.x5tS256);
    expect(codeOf(() => verifyCertificateBinding(client.x5tS256, client.der))).toBe('accepted');
    expect(codeOf(() => verifyCertificateBinding(client.x5tS256, new X509Certificate(client.der)))).toBe(
      'accepted',
    );
    expect(codeOf(() => verifyCertificateBinding(client.x5tS256, { raw: client.der }))).toBe('accepted');
  });

  it('agrees with the SHA-256 fingerprint Node computes for the certificate', () => {
    const hex = client.x509.fingerprint256.replaceAll(':', '').toLowerCase();
    expect(Buffer.from(client.x5tS256, 'base64url').toString('hex')).toBe(hex);
  });

  it('refuses another client certificate (a stolen token used from another client) as certificate_mismatch', () => {
    expect(codeOf(() => verifyCertificateBinding(client.x5tS256, other.der))).toBe('certificate_mismatch');
  });

  it('refuses a bound token with no certificate as certificate_required', () => {
    for (const none of [undefined, null, {}, new Uint8Array(0), { raw: undefined }]) {
      expect(codeOf(() => verifyCertificateBinding(client.x5tS256, none))).toBe('certificate_required');
    }
  });

  it('refuses a cnf["x5t#S256"] that is not a base64url SHA-256 digest as binding_invalid', () => {
    for (const bad of [
      '',
      'abc',
      `${client.x5tS256}=`,
      client.x5tS256.slice(0, 42),
      'A'.repeat(43).replace(/A$/, 'B'),
    ]) {
      expect(codeOf(() => verifyCertificateBinding(bad, client.der))).toBe('binding_invalid');
    }
  });

  it('binds to the certificate of a real mutual-TLS connection (getPeerCertificate(true))', async () => {
    const peer = await peerCertificateOverTls(client);
    expect(codeOf(() => verifyCertificateBinding(client.x5tS256, peer))).toBe('accepted');
    expect(codeOf(() => verifyCertificateBinding(other.x5tS256, peer))).toBe('certificate_mismatch');
  });

  it('refuses a bound token on a TLS connection where the client sent no certificate', async () => {
    const peer = await peerCertificateOverTls();
    expect(codeOf(() => verifyCertificateBinding(client.x5tS256, peer))).toBe('certificate_required');
  });
});
