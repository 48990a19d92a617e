import {
  createDpopKey,
  createTestIssuer,
  DPOP_PROOF_DEFECTS,
  type DpopKey,
  type DpopProofDefect,
  mintDpopBoundToken,
  type TestIssuer,
} from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDpopNonces } from './dpop-nonce.js';
import { createDpopVerifier, type DpopRequest, type DpopVerifierOptions } from './dpop-proof.js';
import { ConfigError } from './errors.js';
import { createMemoryReplayStore } from './memory-replay-store.js';
import type { ReplayStore } from './replay-store.js';
import {
  type SenderConstraintCheck,
  SenderConstraintError,
  type SenderConstraintErrorCode,
} from './sender-constraint-error.js';

const API = 'https://api.example.com/orders';
const SECRET = 'dpop-nonce-secret-for-the-tests-0123456789';

let issuer: TestIssuer;
let key: DpopKey;
let token: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
  key = await createDpopKey();
  token = await mintDpopBoundToken(issuer, key, { scp: ['orders:read'] });
});
afterAll(() => issuer.close());

/** A request for `proof` at GET https://api.example.com/orders?page=2 with the bound token. */
const request = (proof: string | string[], extra: Partial<DpopRequest> = {}): DpopRequest => ({
  proofs: Array.isArray(proof) ? proof : [proof],
  method: 'GET',
  url: `${API}?page=2`,
  accessToken: token,
  boundJkt: key.jkt,
  ...extra,
});
const proofFor = (options: Parameters<DpopKey['proof']>[1] = {}, extra: { nonce?: string } = {}) =>
  key.proof({ method: 'GET', url: API, accessToken: token, ...extra }, options);

/** A replay store that accepts everything and records what it was asked. */
function recordingStore() {
  const calls: { key: string; expiresAt: number }[] = [];
  return {
    calls,
    claim(key: string, expiresAt: number) {
      calls.push({ key, expiresAt });
      return Promise.resolve(true);
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<SenderConstraintError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SenderConstraintError);
    return error as SenderConstraintError;
  }
  throw new Error('expected the proof to be refused');
}

async function expectRefused(
  promise: Promise<unknown>,
  code: SenderConstraintErrorCode,
  check: SenderConstraintCheck,
  secrets: readonly string[] = [],
): Promise<SenderConstraintError> {
  const error = await refusal(promise);
  expect({ code: error.code, check: error.check }, error.message).toEqual({ code, check });
  for (const secret of [token, ...secrets]) expect(error.message).not.toContain(secret);
  return error;
}

describe('createDpopVerifier: accepting good proofs (RFC 9449 §4.3)', () => {
  it('accepts a good ES256 proof for a bound token and reports the key and the proof', async () => {
    const proof = await proofFor();
    const verified = await createDpopVerifier().verify(request(proof));
    expect(verified).toMatchObject({
      jkt: key.jkt,
      alg: 'ES256',
      jti: expect.any(String),
      iat: expect.any(Number),
    });
    expect(verified.jwk).toEqual(key.publicJwk);
    expect(verified.claims).toMatchObject({ htm: 'GET', htu: API });
    expect(Object.isFrozen(verified)).toBe(true);
  });

  it.each(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const)(
    'accepts a proof signed with %s',
    async (alg) => {
      const other = await createDpopKey(alg);
      const bound = await mintDpopBoundToken(issuer, other);
      const proof = await other.proof({ method: 'POST', url: API, accessToken: bound });
      const verified = await createDpopVerifier().verify({
        proofs: proof,
        method: 'POST',
        url: API,
        accessToken: bound,
        boundJkt: other.jkt,
      });
      expect(verified).toMatchObject({ alg, jkt: other.jkt });
    },
  );

  it('accepts a proof without a token (as at a token endpoint) and gives the thumbprint to bind to', async () => {
    const proof = await key.proof({ method: 'POST', url: 'https://as.example.com/token' });
    const verified = await createDpopVerifier().verify({
      proofs: [proof],
      method: 'POST',
      url: new URL('https://as.example.com/token'),
    });
    expect(verified.jkt).toBe(key.jkt);
  });

  it('accepts an htu spelled differently but equal after RFC 3986 normalisation', async () => {
    const proof = await proofFor({ claims: { htu: 'HTTPS://API.Example.COM:443/./x/../%6Frders' } });
    await expect(createDpopVerifier().verify(request(proof))).resolves.toMatchObject({ jkt: key.jkt });
  });

  it('accepts iat at the edges of the window: maxAge + tolerance old, tolerance ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = () => now * 1000;
    const verifier = createDpopVerifier({ maxAge: 60, clockTolerance: 5, now: clock });
    await expect(verifier.verify(request(await proofFor({ iat: now - 65 })))).resolves.toBeDefined();
    await expect(verifier.verify(request(await proofFor({ iat: now + 5 })))).resolves.toBeDefined();
  });

  it('accepts a proof carrying the current server nonce, and one from the previous window', async () => {
    const nonces = createDpopNonces({ secret: SECRET, window: 60 });
    const verifier = createDpopVerifier({ nonces });
    await expect(
      verifier.verify(request(await proofFor({}, { nonce: nonces.issue() }))),
    ).resolves.toBeDefined();
    const previous = nonces.issue(Date.now() - 60_000);
    await expect(verifier.verify(request(await proofFor({}, { nonce: previous })))).resolves.toBeDefined();
    expect(verifier.nonces).toBe(nonces);
  });

  it('exposes its algorithms in order, for the algs of a WWW-Authenticate: DPoP challenge', () => {
    expect(createDpopVerifier().algorithms[0]).toBe('ES256');
    expect(createDpopVerifier({ algorithms: ['EdDSA', 'ES256'] }).algorithms).toEqual(['EdDSA', 'ES256']);
  });
});

describe('createDpopVerifier: each RFC 9449 §4.3 failure', () => {
  /** What each of the test kit's broken proofs must be refused with. */
  const EXPECTED: Record<DpopProofDefect, [SenderConstraintErrorCode, SenderConstraintCheck]> = {
    'missing-jti': ['dpop_proof_invalid', 'claims'],
    'missing-htm': ['dpop_proof_invalid', 'claims'],
    'missing-htu': ['dpop_proof_invalid', 'claims'],
    'missing-iat': ['dpop_proof_invalid', 'claims'],
    'missing-ath': ['dpop_proof_invalid', 'claims'],
    typ: ['dpop_proof_invalid', 'typ'],
    // An empty signature segment is not a well-formed JWS: refused before alg is even read.
    'alg-none': ['dpop_proof_invalid', 'jwt'],
    'alg-hs256': ['dpop_proof_invalid', 'alg'],
    signature: ['dpop_proof_invalid', 'signature'],
    'private-jwk': ['dpop_proof_invalid', 'jwk'],
    'no-jwk': ['dpop_proof_invalid', 'jwk'],
    htm: ['dpop_proof_invalid', 'htm'],
    htu: ['dpop_proof_invalid', 'htu'],
    'missing-nonce': ['dpop_nonce_required', 'nonce'],
    nonce: ['dpop_nonce_required', 'nonce'],
    'stale-iat': ['dpop_proof_invalid', 'iat'],
    'future-iat': ['dpop_proof_invalid', 'iat'],
    ath: ['dpop_proof_invalid', 'ath'],
    'foreign-key': ['dpop_proof_invalid', 'jkt'],
  };

  it('has an expectation for every broken proof the test kit makes', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...DPOP_PROOF_DEFECTS].sort());
  });

  it.each(DPOP_PROOF_DEFECTS.map((defect) => [defect, ...EXPECTED[defect]] as const))(
    'refuses a proof with defect %s as %s (check %s)',
    async (defect, code, check) => {
      const nonces = createDpopNonces({ secret: SECRET });
      const verifier = createDpopVerifier({ nonces });
      const good = await proofFor({}, { nonce: nonces.issue() });
      await expect(verifier.verify(request(good))).resolves.toBeDefined();
      const broken = await proofFor({ defect }, { nonce: nonces.issue() });
      await expectRefused(verifier.verify(request(broken)), code, check, [broken]);
    },
  );

  it('(1) refuses two DPoP headers as a malformed request (HTTP 400), even if both are good', async () => {
    const [a, b] = [await proofFor(), await proofFor()];
    await expectRefused(createDpopVerifier().verify(request([a, b])), 'dpop_request_invalid', 'header');
  });

  it('(1) refuses two DPoP headers that Node joined with a comma as a malformed request', async () => {
    const joined = `${await proofFor()}, ${await proofFor()}`;
    await expectRefused(createDpopVerifier().verify(request(joined)), 'dpop_request_invalid', 'header');
  });

  it('(1) refuses a request with no DPoP proof (DPoP scheme, header missing) as an invalid proof', async () => {
    await expectRefused(createDpopVerifier().verify(request([])), 'dpop_proof_invalid', 'header');
    await expectRefused(
      createDpopVerifier().verify({ ...request(''), proofs: undefined }),
      'dpop_proof_invalid',
      'header',
    );
  });

  it.each([
    ['garbage', 'not a jwt'],
    ['a JWE (five segments)', 'a.b.c.d.e'],
    ['padding', 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30=.AAAA'],
    [
      'a payload that is not a JSON object',
      `${Buffer.from('{"typ":"dpop+jwt","alg":"ES256"}').toString('base64url')}.WzFd.AAAA`,
    ],
  ])('(2) refuses %s as not one well-formed JWT', async (_, proof) => {
    await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'jwt');
  });

  it('(2) refuses a proof over maxProofLength before decoding it', async () => {
    const proof = await proofFor({ claims: { padding: 'x'.repeat(9000) } });
    const error = await expectRefused(
      createDpopVerifier().verify(request(proof)),
      'dpop_proof_invalid',
      'jwt',
    );
    expect(error.message).toMatch(/over the limit of 8192/);
  });

  it('(2) refuses a proof whose header repeats a member name (parser differential)', async () => {
    const proof = await proofFor();
    const [, payload, signature] = proof.split('.');
    const header = Buffer.from(
      `{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":${JSON.stringify(key.publicJwk)}}`,
    ).toString('base64url');
    await expectRefused(
      createDpopVerifier().verify(request(`${header}.${payload}.${signature}`)),
      'dpop_proof_invalid',
      'jwt',
    );
  });

  it.each([
    ['an empty jti', { jti: '' }],
    ['a numeric jti', { jti: 42 }],
    ['a numeric htm', { htm: 1 }],
    ['an htu that is not a string', { htu: ['https://api.example.com/orders'] }],
    ['a string iat', { iat: String(Math.floor(Date.now() / 1000)) }],
    ['a non-string ath', { ath: 7 }],
  ])('(3) refuses %s', async (_, claims) => {
    await expectRefused(
      createDpopVerifier().verify(request(await proofFor({ claims }))),
      'dpop_proof_invalid',
      'claims',
    );
  });

  it('(4) refuses a missing typ and an access-token typ (at+jwt)', async () => {
    for (const typ of [undefined, 'at+jwt']) {
      const proof = await proofFor({ header: { typ } });
      await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'typ');
    }
  });

  it('(4) accepts typ in another capitalisation and with the application/ prefix (RFC 7515 §4.1.9)', async () => {
    for (const typ of ['DPoP+JWT', 'application/dpop+jwt']) {
      await expect(
        createDpopVerifier().verify(request(await proofFor({ header: { typ } }))),
      ).resolves.toBeDefined();
    }
  });

  it('(5) refuses alg "none" in any capitalisation, even with a signature attached', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const proof = await proofFor({ header: { alg } });
      await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'alg');
    }
  });

  it('(5) refuses an asymmetric algorithm outside the allowlist', async () => {
    const rsa = await createDpopKey('RS256');
    const proof = await rsa.proof({ method: 'GET', url: API, accessToken: token });
    await expectRefused(
      createDpopVerifier({ algorithms: ['ES256'] }).verify(request(proof, { boundJkt: rsa.jkt })),
      'dpop_proof_invalid',
      'alg',
    );
  });

  it('(6/7) refuses a jwk that does not fit alg (a P-256 key claiming ES384)', async () => {
    const proof = await proofFor({ header: { alg: 'ES384' } });
    await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'jwk');
  });

  it('(7) refuses a symmetric jwk', async () => {
    const proof = await proofFor({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' } } });
    await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'jwk');
  });

  it('(8) compares htm exactly: "get" is not "GET"', async () => {
    const proof = await proofFor({ claims: { htm: 'get' } });
    await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'htm');
  });

  it('(9) refuses a proof made for another host even when the request claims that Host (the URI comes from configuration)', async () => {
    // express-oauth2-jwt-bearer builds the URL from the Host header, so a proof for evil.example passes there.
    const evil = await key.proof({ method: 'GET', url: 'http://evil.example/orders', accessToken: token });
    await expectRefused(createDpopVerifier().verify(request(evil)), 'dpop_proof_invalid', 'htu');
  });

  it.each([
    ['another path', 'https://api.example.com/orders/1'],
    ['another port', 'https://api.example.com:8443/orders'],
    ['another scheme', 'http://api.example.com/orders'],
    ['userinfo', 'https://api.example.com@evil.example/orders'],
    ['a backslash host trick', 'https://evil.example\\@api.example.com/orders'],
    ['a trailing slash', 'https://api.example.com/orders/'],
  ])('(9) refuses an htu with %s', async (_, htu) => {
    const proof = await proofFor({ claims: { htu } });
    await expectRefused(createDpopVerifier().verify(request(proof)), 'dpop_proof_invalid', 'htu');
  });

  it('(9) refuses every proof when the configured request URI is not an http(s) URI', async () => {
    const proof = await proofFor();
    await expectRefused(
      createDpopVerifier().verify(request(proof, { url: '/orders' })),
      'dpop_proof_invalid',
      'htu',
    );
  });

  it('(10) refuses a nonce two windows old with dpop_nonce_required', async () => {
    const nonces = createDpopNonces({ secret: SECRET, window: 60 });
    const stale = nonces.issue(Date.now() - 120_000);
    await expectRefused(
      createDpopVerifier({ nonces }).verify(request(await proofFor({}, { nonce: stale }))),
      'dpop_nonce_required',
      'nonce',
    );
  });

  it('(10) checks the signature before asking for a nonce (a forged proof is invalid, not nonce-less)', async () => {
    const nonces = createDpopNonces({ secret: SECRET });
    await expectRefused(
      createDpopVerifier({ nonces }).verify(request(await proofFor({ defect: 'signature' }))),
      'dpop_proof_invalid',
      'signature',
    );
  });

  it('(11) refuses iat just outside the window', async () => {
    const now = Math.floor(Date.now() / 1000);
    const verifier = createDpopVerifier({ maxAge: 60, clockTolerance: 5, now: () => now * 1000 });
    await expectRefused(
      verifier.verify(request(await proofFor({ iat: now - 66 }))),
      'dpop_proof_invalid',
      'iat',
    );
    await expectRefused(
      verifier.verify(request(await proofFor({ iat: now + 6 }))),
      'dpop_proof_invalid',
      'iat',
    );
  });

  it('(12) refuses a token presented with a proof when the token is not DPoP-bound', async () => {
    await expectRefused(
      createDpopVerifier().verify(request(await proofFor(), { boundJkt: undefined })),
      'binding_invalid',
      'cnf',
    );
  });

  it('(12) refuses a good proof by the right key when the token is bound to another key', async () => {
    const other = await createDpopKey();
    await expectRefused(
      createDpopVerifier().verify(request(await proofFor(), { boundJkt: other.jkt })),
      'dpop_proof_invalid',
      'jkt',
    );
  });
});

describe('createDpopVerifier: replay (RFC 9449 §11.1)', () => {
  it('accepts a proof once; the same proof replayed is refused', async () => {
    const verifier = createDpopVerifier();
    const proof = await proofFor();
    await verifier.verify(request(proof));
    await expectRefused(verifier.verify(request(proof)), 'dpop_proof_invalid', 'replay');
  });

  it('refuses a new proof that reuses a jti for the same URI and key', async () => {
    const verifier = createDpopVerifier();
    await verifier.verify(request(await proofFor({ jti: 'same-jti' })));
    await expectRefused(
      verifier.verify(request(await proofFor({ jti: 'same-jti' }))),
      'dpop_proof_invalid',
      'replay',
    );
  });

  it("does not let another key burn a client's jti (the key is part of the replay key)", async () => {
    const verifier = createDpopVerifier();
    const attacker = await createDpopKey();
    const attackerToken = await mintDpopBoundToken(issuer, attacker);
    const attackerProof = await attacker.proof(
      { method: 'GET', url: API, accessToken: attackerToken },
      { jti: 'victim-jti' },
    );
    await verifier.verify(request(attackerProof, { accessToken: attackerToken, boundJkt: attacker.jkt }));
    await expect(verifier.verify(request(await proofFor({ jti: 'victim-jti' })))).resolves.toBeDefined();
  });

  it('remembers a jti per target URI: the same jti at another URI is another proof', async () => {
    const verifier = createDpopVerifier();
    const other = `${API}/1`;
    await verifier.verify(request(await proofFor({ jti: 'j' })));
    const elsewhere = await key.proof({ method: 'GET', url: other, accessToken: token }, { jti: 'j' });
    await expect(verifier.verify(request(elsewhere, { url: other }))).resolves.toBeDefined();
    await expectRefused(
      verifier.verify(request(await proofFor({ jti: 'j' }))),
      'dpop_proof_invalid',
      'replay',
    );
  });

  it('scopes a jti by the URI without its query: the same jti with another query string is a replay', async () => {
    const verifier = createDpopVerifier();
    await verifier.verify(request(await proofFor({ jti: 'q' }), { url: `${API}?page=1` }));
    await expectRefused(
      verifier.verify(request(await proofFor({ jti: 'q' }), { url: `${API}?page=2` })),
      'dpop_proof_invalid',
      'replay',
    );
  });

  it('stores only a fixed-size hash of a very long jti', async () => {
    const store = recordingStore();
    await createDpopVerifier({ replayStore: store }).verify(
      request(await proofFor({ jti: 'j'.repeat(5000) })),
    );
    expect(store.calls[0]?.key).toMatch(/^dpop:[A-Za-z0-9_-]{43}$/);
  });

  it('claims the jti until the proof would be stale anyway (iat + maxAge + tolerance, plus one tolerance of slack)', async () => {
    const store = recordingStore();
    const now = Math.floor(Date.now() / 1000);
    const verifier = createDpopVerifier({
      maxAge: 60,
      clockTolerance: 5,
      now: () => now * 1000,
      replayStore: store,
    });
    await verifier.verify(request(await proofFor({ iat: now })));
    expect(store.calls[0]?.expiresAt).toBe((now + 70) * 1000);
  });

  it('asks the store only about proofs that passed every other check (invalid proofs take no slot)', async () => {
    const store = recordingStore();
    const verifier = createDpopVerifier({ replayStore: store });
    for (const defect of ['signature', 'htu', 'stale-iat', 'ath'] as const) {
      await refusal(verifier.verify(request(await proofFor({ defect }))));
    }
    expect(store.calls).toHaveLength(0);
  });

  it('fails closed with replay_store_unavailable when the store rejects (Redis down): never an unchecked accept', async () => {
    const down: ReplayStore = { claim: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')) };
    const error = await expectRefused(
      createDpopVerifier({ replayStore: down }).verify(request(await proofFor())),
      'replay_store_unavailable',
      'replay',
    );
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('fails closed when the in-memory store is full of live proofs', async () => {
    const verifier = createDpopVerifier({ replayStore: createMemoryReplayStore({ maxEntries: 1 }) });
    await verifier.verify(request(await proofFor()));
    await expectRefused(verifier.verify(request(await proofFor())), 'replay_store_unavailable', 'replay');
  });

  it('fails closed when a store answers something other than true or false', async () => {
    const odd = { claim: async () => 'OK' } as unknown as ReplayStore;
    await expectRefused(
      createDpopVerifier({ replayStore: odd }).verify(request(await proofFor())),
      'replay_store_unavailable',
      'replay',
    );
  });
});

describe('createDpopVerifier: configuration', () => {
  it.each([
    ['none', { algorithms: ['none'] }],
    ['HS256', { algorithms: ['HS256'] }],
    ['an empty allowlist', { algorithms: [] }],
    ['a negative maxAge', { maxAge: -1 }],
    ['an infinite clockTolerance', { clockTolerance: Number.POSITIVE_INFINITY }],
    ['a zero maxProofLength', { maxProofLength: 0 }],
    ['a store without claim()', { replayStore: {} }],
    ['nonces that are not nonces', { nonces: {} }],
  ])('refuses %s at construction with ConfigError', (_, options) => {
    expect(() => createDpopVerifier(options as unknown as DpopVerifierOptions)).toThrow(ConfigError);
  });
});
