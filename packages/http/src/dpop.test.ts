import { ConfigError, type ReplayStore } from '@scopeguard/core';
import {
  createDpopKey,
  createTestCertificate,
  createTestIssuer,
  type DpopKey,
  mintCertificateBoundToken,
  mintDpopBoundToken,
  type TestIssuer,
} from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFromHeaderValue } from './client-certificate.js';
import { createGuard } from './guard.js';
import { scopeRule } from './scope-rule.js';
import type { AuthOutcome, AuthRefused, HttpRequest } from './types.js';

const ORIGIN = 'https://api.example.com';
const URL_ORDERS = `${ORIGIN}/orders`;

let issuer: TestIssuer;
let key: DpopKey;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
  key = await createDpopKey();
});

afterAll(async () => {
  await issuer.close();
});

interface RequestParts {
  authorization?: string | string[];
  dpop?: string | string[];
  method?: string;
  target?: string;
  headers?: Record<string, string>;
  clientCertificate?: Uint8Array;
}

function request(parts: RequestParts): HttpRequest {
  return {
    method: parts.method ?? 'GET',
    target: parts.target ?? '/orders',
    clientCertificate: parts.clientCertificate,
    header: (name) => {
      if (name === 'authorization') return parts.authorization;
      if (name === 'dpop') return parts.dpop;
      return parts.headers?.[name];
    },
  };
}

function guardFor(options: Record<string, unknown> = {}) {
  return createGuard<undefined>({
    issuer: issuer.issuer,
    audience: 'api://default',
    fetch: issuer.fetch,
    publicOrigin: ORIGIN,
    ...options,
  });
}

function refused(outcome: AuthOutcome): AuthRefused {
  if (outcome.ok) throw new Error('expected a refusal');
  return outcome;
}

function challengesOf(outcome: AuthOutcome): readonly string[] {
  return refused(outcome).answer.headers['WWW-Authenticate'] as readonly string[];
}

async function dpopRequest(token: string, options: { target?: string; url?: string } = {}) {
  const proof = await key.proof({ method: 'GET', url: options.url ?? URL_ORDERS, accessToken: token });
  return request({ authorization: `DPoP ${token}`, dpop: proof, target: options.target ?? '/orders' });
}

describe('DPoP at the HTTP layer (RFC 9449 §7)', () => {
  it('grants a DPoP-bound token with a good proof, and says so on auth', async () => {
    const guard = guardFor({ dpop: 'allowed' });
    const token = await mintDpopBoundToken(issuer, key);
    const outcome = await guard.authenticate(await dpopRequest(token), undefined);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) {
      expect(outcome.auth?.scheme).toBe('DPoP');
      expect(outcome.auth?.token).toBe(token);
    }
  });

  it('keeps Bearer working for unbound tokens in allowed mode (and off)', async () => {
    const token = await issuer.mint();
    for (const dpop of ['allowed', false]) {
      const outcome = await guardFor({ dpop }).authenticate(
        request({ authorization: `Bearer ${token}` }),
        undefined,
      );
      expect(outcome.ok).toBe(true);
      if (outcome.ok) expect(outcome.auth?.scheme).toBe('Bearer');
    }
  });

  it('refuses a DPoP-bound token sent as Bearer in every mode (token theft, RFC 9449 §7.1)', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    for (const dpop of [false, 'allowed', 'required']) {
      const outcome = await guardFor({ dpop }).authenticate(
        request({ authorization: `Bearer ${token}` }),
        undefined,
      );
      const { failure } = refused(outcome);
      expect(failure.status).toBe(401);
      expect(failure.error).toBe('invalid_token');
      const list = challengesOf(outcome).join('\n');
      expect(list).toContain('error="invalid_token"');
    }
  });

  it('refuses Bearer in required mode with a lone DPoP challenge', async () => {
    const token = await issuer.mint();
    const outcome = await guardFor({ dpop: 'required' }).authenticate(
      request({ authorization: `Bearer ${token}` }),
      undefined,
    );
    expect(refused(outcome).failure.status).toBe(401);
    const list = challengesOf(outcome);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^DPoP realm="api", algs="ES256 [^"]*", error="invalid_token"/);
  });

  it('sends both bare challenges, no error code, when there are no credentials (allowed mode)', async () => {
    const outcome = await guardFor({ dpop: 'allowed' }).authenticate(request({}), undefined);
    expect(refused(outcome).failure.status).toBe(401);
    expect(challengesOf(outcome)).toEqual([
      'Bearer realm="api"',
      expect.stringMatching(/^DPoP realm="api", algs="ES256 ES384 ES512 EdDSA PS256[^"]*"$/),
    ]);
  });

  it('answers a refused proof with 401 invalid_dpop_proof in the DPoP challenge, Bearer bare', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const proof = await key.proof({ method: 'GET', url: URL_ORDERS, accessToken: token }, { defect: 'typ' });
    const outcome = await guardFor({ dpop: 'allowed' }).authenticate(
      request({ authorization: `DPoP ${token}`, dpop: proof }),
      undefined,
    );
    const { failure } = refused(outcome);
    expect(failure.status).toBe(401);
    expect(failure.error).toBe('invalid_dpop_proof');
    const [bearer, dpop] = challengesOf(outcome);
    expect(bearer).toBe('Bearer realm="api"');
    expect(dpop).toMatch(/^DPoP realm="api", algs="[^"]+", error="invalid_dpop_proof", error_description="/);
    expect(refused(outcome).answer.body).not.toContain(token);
  });

  it('refuses two DPoP headers (and a comma-joined pair) as a malformed request: 400', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const a = await key.proof({ method: 'GET', url: URL_ORDERS, accessToken: token });
    const b = await key.proof({ method: 'GET', url: URL_ORDERS, accessToken: token });
    for (const dpop of [[a, b], `${a}, ${b}`]) {
      const outcome = await guardFor({ dpop: 'allowed' }).authenticate(
        request({ authorization: `DPoP ${token}`, dpop }),
        undefined,
      );
      expect(refused(outcome).failure.status).toBe(400);
      expect(challengesOf(outcome)[1]).toContain('error="invalid_request"');
    }
  });

  it('refuses a DPoP token with no DPoP header: 401 invalid_dpop_proof', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const outcome = await guardFor({ dpop: 'allowed' }).authenticate(
      request({ authorization: `DPoP ${token}` }),
      undefined,
    );
    expect(refused(outcome).failure).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
  });

  it('refuses a DPoP token sent in the header and another in the query: 400 (two methods)', async () => {
    const token = await mintDpopBoundToken(issuer, key);
    const proof = await key.proof({ method: 'GET', url: URL_ORDERS, accessToken: token });
    const outcome = await guardFor({ dpop: 'allowed', allowQueryToken: true }).authenticate(
      request({ authorization: `DPoP ${token}`, dpop: proof, target: `/orders?access_token=${token}` }),
      undefined,
    );
    expect(refused(outcome).failure).toMatchObject({ status: 400, error: 'invalid_request' });
  });

  it('refuses an unbound token sent with the DPoP scheme: 401 invalid_token', async () => {
    const token = await issuer.mint();
    const outcome = await guardFor({ dpop: 'allowed' }).authenticate(await dpopRequest(token), undefined);
    expect(refused(outcome).failure).toMatchObject({ status: 401, error: 'invalid_token' });
    expect(challengesOf(outcome)[1]).toContain('error="invalid_token"');
  });

  it('checks the proof on every request even when the token check is cached: a replay is refused', async () => {
    const guard = guardFor({ dpop: 'allowed' });
    const token = await mintDpopBoundToken(issuer, key);
    const req = await dpopRequest(token);
    expect((await guard.authenticate(req, undefined)).ok).toBe(true);
    const again = await guard.authenticate(req, undefined);
    expect(refused(again).failure).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    expect(refused(again).failure.description).toBe('The DPoP proof was already used');
  });

  it('builds htu from publicOrigin, never from an absolute-form target (Host header htu attack)', async () => {
    const guard = guardFor({ dpop: 'allowed' });
    const token = await mintDpopBoundToken(issuer, key);
    // The attacker's proof names its own host; the request target claims that host too.
    const evil = await dpopRequest(token, {
      url: 'http://evil.example/orders',
      target: 'http://evil.example/orders',
    });
    const outcome = await guard.authenticate(evil, undefined);
    expect(refused(outcome).failure).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    expect(refused(outcome).failure.description).toBe("The DPoP proof's htu is not this request's URI");
    // An honest absolute-form request for our own path is fine.
    const good = await dpopRequest(token, { target: 'https://whatever.example/orders?x=1' });
    expect((await guard.authenticate(good, undefined)).ok).toBe(true);
  });

  it('takes the htu origin from resource when publicOrigin is not set', async () => {
    const guard = createGuard<undefined>({
      issuer: issuer.issuer,
      resource: 'https://orders.example.com/api',
      audience: 'api://default',
      fetch: issuer.fetch,
      dpop: 'allowed',
    });
    const token = await mintDpopBoundToken(issuer, key);
    const ok = await guard.authenticate(
      await dpopRequest(token, { url: 'https://orders.example.com/orders' }),
      undefined,
    );
    expect(ok.ok).toBe(true);
  });

  it('refuses to start with DPoP on and neither publicOrigin nor resource (ConfigError)', () => {
    expect(() =>
      createGuard({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch, dpop: 'allowed' }),
    ).toThrow(ConfigError);
    expect(() =>
      createGuard({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch, dpop: 'allowed' }),
    ).toThrow(/publicOrigin/);
    expect(() => guardFor({ dpop: 'allowed', publicOrigin: 'https://api.example.com/v1' })).toThrow(
      ConfigError,
    );
    expect(() => guardFor({ dpop: 'sometimes' })).toThrow(ConfigError);
  });

  it('answers 503 with Retry-After when the replay store cannot answer, never an accept', async () => {
    const down: ReplayStore = { claim: () => Promise.reject(new Error('ECONNREFUSED')) };
    const guard = guardFor({ dpop: { mode: 'allowed', replayStore: down }, retryAfter: 7 });
    const token = await mintDpopBoundToken(issuer, key);
    const outcome = await guard.authenticate(await dpopRequest(token), undefined);
    const { answer } = refused(outcome);
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('7');
    expect(answer.headers['WWW-Authenticate']).toBeUndefined();
  });

  it('asks for a nonce with 401 use_dpop_nonce and DPoP-Nonce, then accepts it and sends a fresh one on 200', async () => {
    const guard = guardFor({ dpop: { mode: 'required', nonce: { secret: 'x'.repeat(32) } } });
    const token = await mintDpopBoundToken(issuer, key);
    const first = await guard.authenticate(await dpopRequest(token), undefined);
    const { answer, failure } = refused(first);
    expect(failure.error).toBe('use_dpop_nonce');
    expect(answer.status).toBe(401);
    expect(challengesOf(first)[0]).toContain('error="use_dpop_nonce"');
    const nonce = answer.headers['DPoP-Nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const proof = await key.proof({ method: 'GET', url: URL_ORDERS, accessToken: token, nonce });
    const second = await guard.authenticate(
      request({ authorization: `DPoP ${token}`, dpop: proof }),
      undefined,
    );
    expect(second.ok).toBe(true);
    if (second.ok) expect(second.headers['DPoP-Nonce']).toBe(nonce);
  });

  it('puts a DPoP request’s 403 insufficient_scope in the DPoP challenge', async () => {
    const guard = guardFor({ dpop: 'allowed' });
    const token = await mintDpopBoundToken(issuer, key, {}, { scopes: ['a'] });
    const outcome = await guard.authenticate(await dpopRequest(token), undefined);
    if (!outcome.ok) throw new Error('expected a grant');
    const denied = guard.authorize(outcome.auth, scopeRule({ allOf: ['b'] }), undefined);
    const list = denied?.answer.headers['WWW-Authenticate'] as readonly string[];
    expect(list[0]).toBe('Bearer realm="api"');
    expect(list[1]).toContain('error="insufficient_scope"');
    expect(list[1]).toContain('scope="b"');
  });

  it('refuses a token whose cnf names a method it cannot check (fails closed, not a bearer token)', async () => {
    const token = await issuer.mint({ cnf: { jwk: { kty: 'EC' } } });
    const outcome = await guardFor().authenticate(request({ authorization: `Bearer ${token}` }), undefined);
    expect(refused(outcome).failure).toMatchObject({ status: 401, error: 'invalid_token' });
  });
});

describe('certificate-bound tokens at the HTTP layer (RFC 8705 §3)', () => {
  const client = createTestCertificate();
  const other = createTestCertificate();

  it('accepts a certificate-bound token with its certificate from the TLS socket', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const outcome = await guardFor().authenticate(
      request({ authorization: `Bearer ${token}`, clientCertificate: client.der }),
      undefined,
    );
    expect(outcome.ok).toBe(true);
  });

  it('refuses it without a certificate, and with another one: 401 invalid_token (stolen token)', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const none = await guardFor().authenticate(request({ authorization: `Bearer ${token}` }), undefined);
    expect(refused(none).failure).toMatchObject({
      status: 401,
      error: 'invalid_token',
      code: 'certificate_required',
    });
    const wrong = await guardFor().authenticate(
      request({ authorization: `Bearer ${token}`, clientCertificate: other.der }),
      undefined,
    );
    expect(refused(wrong).failure).toMatchObject({
      status: 401,
      error: 'invalid_token',
      code: 'certificate_mismatch',
    });
  });

  it('ignores a certificate header unless configured (header spoofing)', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const header = encodeURIComponent(client.certificate);
    const spoofed = await guardFor().authenticate(
      request({ authorization: `Bearer ${token}`, headers: { 'x-client-cert': header } }),
      undefined,
    );
    expect(refused(spoofed).failure.code).toBe('certificate_required');
    const trusted = await guardFor({ clientCertificate: { header: 'X-Client-Cert' } }).authenticate(
      request({ authorization: `Bearer ${token}`, headers: { 'x-client-cert': header } }),
      undefined,
    );
    expect(trusted.ok).toBe(true);
  });

  it('refuses every certificate-bound token with clientCertificate: false', async () => {
    const token = await mintCertificateBoundToken(issuer, client);
    const outcome = await guardFor({ clientCertificate: false }).authenticate(
      request({ authorization: `Bearer ${token}`, clientCertificate: client.der }),
      undefined,
    );
    expect(refused(outcome).failure.code).toBe('certificate_required');
  });

  it('reads both header encodings', () => {
    const pem = certificateFromHeaderValue(encodeURIComponent(client.certificate), 'pem-urlencoded');
    expect(Buffer.from(pem ?? []).equals(client.der)).toBe(true);
    const b64 = client.der.toString('base64');
    expect(Buffer.from(certificateFromHeaderValue(b64, 'base64-der') ?? []).equals(client.der)).toBe(true);
    expect(Buffer.from(certificateFromHeaderValue(`:${b64}:`, 'base64-der') ?? []).equals(client.der)).toBe(
      true,
    );
    expect(certificateFromHeaderValue('%E0%A4%A', 'pem-urlencoded')).toBeUndefined();
    expect(certificateFromHeaderValue('not base64!', 'base64-der')).toBeUndefined();
  });
});
