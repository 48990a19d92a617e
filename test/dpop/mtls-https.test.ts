import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authenticate } from '@scopeguard/express';
import {
  createTestCertificate,
  createTestIssuer,
  mintCertificateBoundToken,
  type TestCertificate,
  type TestIssuer,
} from '@scopeguard/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Certificate-bound tokens (RFC 8705 §3) through the Express adapter over real mutual TLS on loopback: the
 * certificate comes from the TLS socket (`socket.getPeerCertificate(true)`). Every certificate and key is
 * made at test time; nothing private is committed.
 */

let issuer: TestIssuer;
let serverCertificate: TestCertificate;
let client: TestCertificate;
let other: TestCertificate;
let server: Server;
let base: string;

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: 'api://default' });
  serverCertificate = createTestCertificate({
    commonName: 'localhost',
    altNames: ['127.0.0.1', 'localhost'],
  });
  client = createTestCertificate({ commonName: 'client one' });
  other = createTestCertificate({ commonName: 'client two' });
  const app = express();
  app.use(authenticate({ issuer: issuer.issuer, audience: 'api://default' }));
  app.get('/orders', (req, res) => {
    res.json({ subject: req.auth?.subject ?? null });
  });
  // Self-signed client certificates are fine for binding (RFC 8705 §2.2): TLS proves the client holds the
  // key; the token's cnf names which certificate. The chain is not what is checked.
  server = createServer(
    {
      cert: serverCertificate.certificate,
      key: serverCertificate.privateKey,
      requestCert: true,
      rejectUnauthorized: false,
    },
    app,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await issuer?.close();
});

interface Sent {
  status: number;
  challenge: string | undefined;
  body: string;
}

function get(
  token: string,
  certificate?: TestCertificate,
  headers: Record<string, string> = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${base}/orders`,
      {
        ca: serverCertificate.certificate,
        agent: false,
        headers: { authorization: `Bearer ${token}`, ...headers },
        ...(certificate === undefined ? {} : { cert: certificate.certificate, key: certificate.privateKey }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'], body }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('mTLS certificate-bound tokens through Express over real HTTPS (RFC 8705 §3)', () => {
  it('accepts a bound token presented over a connection with its client certificate', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const response = await get(token, client);
    expect(response.status).toBe(200);
  });

  it('refuses it over a connection without a client certificate: 401 invalid_token (stolen token)', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const response = await get(token);
    expect(response.status).toBe(401);
    expect(response.challenge).toContain('error="invalid_token"');
    expect(JSON.parse(response.body).error_description).toBe(
      'The token is bound to a client certificate, and the request presented none',
    );
  });

  it('refuses it with another client certificate: 401 invalid_token (stolen token, attacker’s own cert)', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const response = await get(token, other);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body).error_description).toBe(
      'The client certificate is not the one the token is bound to',
    );
  });

  it('ignores a client-certificate header when none is configured (header spoofing)', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const response = await get(token, other, {
      'x-client-cert': encodeURIComponent(client.certificate),
      'x-ssl-client-cert': encodeURIComponent(client.certificate),
      'client-cert': `:${client.der.toString('base64')}:`,
    });
    expect(response.status).toBe(401);
  });

  it('keeps accepting unbound Bearer tokens over the same server, certificate or not', async () => {
    const token = await issuer.mint();
    expect((await get(token)).status).toBe(200);
    expect((await get(token, other)).status).toBe(200);
  });
});
