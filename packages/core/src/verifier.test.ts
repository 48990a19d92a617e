import diagnosticsChannel from 'node:diagnostics_channel';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, TokenError, type TokenErrorCode } from './errors.js';
import { DIAGNOSTICS_CHANNEL, type ScopeguardEvent } from './events.js';
import type { VerifierOptions } from './types.js';
import { cachedVerification, createVerifier } from './verifier.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

const options = (extra: Partial<VerifierOptions> = {}): VerifierOptions => ({
  issuer: issuer.issuer,
  audience: 'api://default',
  jwksUri: issuer.jwksUri,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  }
  throw new Error('expected the token to be refused');
}

async function expectRefused(token: string, code: TokenErrorCode, extra: Partial<VerifierOptions> = {}) {
  const error = await refusal(createVerifier(options(extra)).verify(token));
  expect(error.code, error.message).toBe(code);
  expect(error.message).not.toContain(token);
  expect(error.message).not.toContain(token.split('.')[2]);
  return error;
}

describe('createVerifier: accepting good tokens', () => {
  it('verifies an Okta-shaped client-credentials token and reports what it found', async () => {
    const token = await issuer.mint({ scp: ['customScope', 'other'], cid: 'client-a', sub: 'client-a' });
    const result = await createVerifier(options()).verify(token);
    expect(result.scopes).toEqual(['customScope', 'other']);
    expect(result.clientId).toBe('client-a');
    expect(result.subject).toBe('client-a');
    expect(result.header.alg).toBe('RS256');
    expect(result.claims.iss).toBe(issuer.issuer);
    expect(result.expiresAt).toEqual(new Date(result.claims.exp * 1000));
  });

  it('verifies an RFC 9068 token (client_id, space-delimited scope, typ at+jwt) in strict mode', async () => {
    const token = await issuer.mint(
      { client_id: 'svc', scope: 'a b' },
      { profile: 'rfc9068', typ: 'at+jwt' },
    );
    const result = await createVerifier(options({ typ: 'strict' })).verify(token);
    expect(result.scopes).toEqual(['a', 'b']);
    expect(result.clientId).toBe('svc');
  });

  it('accepts typ "application/at+jwt" in strict mode, case-insensitively', async () => {
    const token = await issuer.mint({}, { typ: 'Application/AT+JWT' });
    await expect(createVerifier(options({ typ: 'strict' })).verify(token)).resolves.toBeDefined();
  });

  it('accepts an aud array that contains one of the configured audiences', async () => {
    const token = await issuer.mint({ aud: ['api://other', 'api://default'] });
    await expect(
      createVerifier(options({ audience: ['api://x', 'api://default'] })).verify(token),
    ).resolves.toBeDefined();
  });

  it('returns a frozen result, so one request cannot alter what another sees from the cache', async () => {
    const result = await createVerifier(options()).verify(await issuer.mint({ scp: ['a'] }));
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(Object.isFrozen(result.scopes)).toBe(true);
  });

  it('freezes every member of the result in depth: nested claims, scopes read from "scope", header, expiresAt', async () => {
    const result = await createVerifier(options()).verify(
      await issuer.mint({ scp: undefined, scope: 'a b', ext: { roles: ['admin'], team: { id: 7 } } }),
    );
    const ext = result.claims['ext'] as { roles: string[]; team: { id: number } };
    for (const part of [result, result.claims, ext, ext.roles, ext.team, result.scopes, result.header]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(Object.isFrozen(result.expiresAt)).toBe(true);
    expect(result.scopes).toEqual(['a', 'b']);
    expect(() => {
      (result.scopes as string[]).push('admin');
    }).toThrow(TypeError);
  });

  it('discovers the JWKS through RFC 8414 metadata when jwksUri is absent, once', async () => {
    const own = await createTestIssuer();
    try {
      const events: ScopeguardEvent[] = [];
      const verifier = createVerifier({
        issuer: own.issuer,
        audience: 'api://default',
        onEvent: (e) => events.push(e),
      });
      await Promise.all([verifier.verify(await own.mint()), verifier.verify(await own.mint())]);
      await verifier.verify(await own.mint());
      expect(events.filter((e) => e.type === 'discovery_completed')).toEqual([
        {
          type: 'discovery_completed',
          issuer: own.issuer,
          jwksUri: own.jwksUri,
          source: 'oauth-authorization-server',
        },
      ]);
      expect(own.requests.jwks).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('works with an injected fetch and no socket at all', async () => {
    const offline = await createTestIssuer({ listen: false });
    const verifier = createVerifier({
      issuer: offline.issuer,
      audience: 'api://default',
      fetch: offline.fetch,
    });
    await expect(verifier.verify(await offline.mint({ scp: ['x'] }))).resolves.toMatchObject({
      scopes: ['x'],
    });
    await offline.close();
  });
});

describe('createVerifier: refusing bad tokens, each with its code', () => {
  it('reports a bad signature as such even when the token is also expired (signature before claims)', async () => {
    const token = await issuer.mint({}, { foreignKey: true, expiresIn: -3600 });
    await expectRefused(token, 'signature_invalid');
  });

  it('refuses a token signed by a key the issuer does not publish, under a published kid', async () => {
    await expectRefused(await issuer.mint({}, { foreignKey: true }), 'signature_invalid');
  });

  it('refuses an expired token and says by how much', async () => {
    const error = await expectRefused(await issuer.mint({}, { expiresIn: -120 }), 'token_expired');
    expect(error.claim).toBe('exp');
    expect(error.message).toMatch(/expired 12\d s ago/);
  });

  it('accepts a token expired by less than clockTolerance', async () => {
    const token = await issuer.mint({}, { expiresIn: -2 });
    await expect(createVerifier(options({ clockTolerance: 30 })).verify(token)).resolves.toBeDefined();
  });

  it('refuses a token not yet valid (nbf in the future)', async () => {
    await expectRefused(await issuer.mint({}, { notBefore: 600 }), 'token_not_yet_valid');
  });

  it('refuses a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.mint({}, { issuedAt: now + 600 }), 'token_not_yet_valid');
  });

  it('refuses a token older than maxTokenAge, and requires iat when maxTokenAge is set', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.mint({}, { issuedAt: now - 7200, expiresIn: 10_000 }), 'token_expired', {
      maxTokenAge: 3600,
    });
    await expectRefused(await issuer.mint({ iat: undefined }), 'claim_invalid', { maxTokenAge: 3600 });
  });

  it('refuses another issuer, saying what was expected and found', async () => {
    const error = await expectRefused(await issuer.mint({ iss: 'https://evil.example' }), 'issuer_invalid');
    expect(error.message).toBe(`iss "https://evil.example" is not "${issuer.issuer}"`);
  });

  it('refuses another audience, saying what was expected and found', async () => {
    const error = await expectRefused(await issuer.mint({ aud: 'api://other' }), 'audience_invalid');
    expect(error.message).toBe('aud "api://other" is not "api://default"');
  });

  it.each([
    ['aud: []', { aud: [] }, 'audience_invalid'],
    ['aud: 42', { aud: 42 }, 'audience_invalid'],
    ['exp: "9999999999"', { exp: '9999999999' }, 'claim_invalid'],
    ['exp: null', { exp: null }, 'claim_invalid'],
    ['exp missing', { exp: undefined }, 'claim_invalid'],
    ['nbf: true', { nbf: true }, 'claim_invalid'],
    ['iat: "now"', { iat: 'now' }, 'claim_invalid'],
    ['sub: 7', { sub: 7 }, 'claim_invalid'],
    ['scp: "a b" (a string where Okta sends an array)', { scp: 'a b' }, 'claim_invalid'],
    ['cid and client_id that disagree', { cid: 'a', client_id: 'b' }, 'claim_invalid'],
  ] as const)('refuses %s', async (_, claims, code) => {
    await expectRefused(await issuer.mint(claims as Record<string, unknown>), code);
  });

  it('refuses a client outside the clientIds allowlist, and a token without a client id', async () => {
    await expectRefused(await issuer.mint({ cid: 'intruder' }), 'client_not_allowed', {
      clientIds: ['client-a'],
    });
    await expectRefused(await issuer.mint({ cid: undefined }), 'client_not_allowed', {
      clientIds: ['client-a'],
    });
    await expect(
      createVerifier(options({ clientIds: ['client-a'] })).verify(await issuer.mint({ cid: 'client-a' })),
    ).resolves.toBeDefined();
  });

  it('checks client_id (RFC 9068) against the allowlist as well as cid', async () => {
    const token = await issuer.mint({ client_id: 'svc' }, { profile: 'rfc9068' });
    await expect(createVerifier(options({ clientIds: ['svc'] })).verify(token)).resolves.toBeDefined();
    await expectRefused(token, 'client_not_allowed', { clientIds: ['other'] });
  });

  it.each([
    ['a nonce claim', { nonce: 'n-0S6_WzA2Mj' }],
    ['an at_hash claim', { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }],
    ['aud equal to the client id', { aud: 'client-a', cid: 'client-a' }],
  ])('refuses an ID token presented as an access token (%s), in the default mode', async (_, claims) => {
    const error = await expectRefused(await issuer.mint(claims), 'claim_invalid', {
      audience: ['api://default', 'client-a'],
    });
    expect(error.message).toMatch(/looks like an ID token/);
  });

  it('refuses a missing or wrong typ in strict mode (RFC 9068)', async () => {
    await expectRefused(await issuer.mint(), 'claim_invalid', { typ: 'strict' });
    await expectRefused(await issuer.mint({}, { typ: 'JWT' }), 'claim_invalid', { typ: 'strict' });
  });

  it('refuses an algorithm outside the allowlist, naming the allowlist', async () => {
    const es = await createTestIssuer({ algorithm: 'ES256' });
    try {
      const error = await refusal(
        createVerifier({ issuer: es.issuer, audience: 'api://default', jwksUri: es.jwksUri }).verify(
          await es.mint(),
        ),
      );
      expect(error.code).toBe('alg_not_allowed');
      expect(error.message).toBe('alg "ES256" is not allowed (allowed: RS256)');
      expect(es.requests.jwks).toBe(0);
    } finally {
      await es.close();
    }
  });

  it('refuses a header alg that does not fit the key it names (RS256 key, PS256 header)', async () => {
    const token = await issuer.mint({}, { header: { alg: 'PS256' } });
    const error = await expectRefused(token, 'alg_not_allowed', { algorithms: ['RS256', 'PS256'] });
    expect(error.message).toMatch(/does not fit key .* bound to RS256/);
  });

  it('refuses an unknown kid with key_not_found after one refresh', async () => {
    const token = await issuer.mint({}, { header: { kid: 'no-such-kid' } });
    await expectRefused(token, 'key_not_found', { jwks: { unknownKidTimeout: 0 } });
  });

  it('enforces requiredClaims: equality, includes and predicates (Okta assertClaims)', async () => {
    const token = await issuer.mint({ cid: 'client-a', scp: ['a', 'b'], tier: 3 });
    const verify = (requiredClaims: VerifierOptions['requiredClaims']) =>
      createVerifier(options({ requiredClaims })).verify(token);
    await expect(
      verify({ cid: 'client-a', scp: { includes: ['a', 'b'] }, tier: (v) => v === 3 }),
    ).resolves.toBeDefined();
    expect((await refusal(verify({ cid: 'client-b' }))).message).toBe(
      'claim "cid" "client-a" is not "client-b"',
    );
    expect((await refusal(verify({ scp: { includes: 'c' } }))).message).toBe(
      'claim "scp" must include ["c"], found ["a","b"]',
    );
    expect((await refusal(verify({ tier: (v) => v === 4 }))).code).toBe('claim_invalid');
    expect(
      (
        await refusal(
          verify({
            tier: () => {
              throw new Error('boom');
            },
          }),
        )
      ).code,
    ).toBe('claim_invalid');
  });
});

describe('createVerifier: configuration and keys', () => {
  it('throws ConfigError at construction for a non-loopback http issuer', () => {
    expect(() => createVerifier({ issuer: 'http://example.com', audience: 'x' })).toThrow(ConfigError);
  });

  it('answers jwks_unavailable (not a token error) when the endpoint is down before any key is cached', async () => {
    const own = await createTestIssuer();
    own.setJwksFault({ kind: 'status', status: 500 });
    try {
      const error = await refusal(
        createVerifier({ issuer: own.issuer, audience: 'api://default', jwksUri: own.jwksUri }).verify(
          await own.mint(),
        ),
      );
      expect(error.code).toBe('jwks_unavailable');
      expect(error.message).toContain(own.jwksUri);
    } finally {
      await own.close();
    }
  });

  it('refuses discovery metadata that names another issuer (no key trust can be redirected)', async () => {
    const own = await createTestIssuer({ metadata: { issuer: 'https://evil.example' } });
    try {
      const error = await refusal(
        createVerifier({ issuer: own.issuer, audience: 'api://default' }).verify(await own.mint()),
      );
      expect(error.code).toBe('jwks_unavailable');
      expect(own.requests.jwks).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('refreshKeys() loads keys up front so the first request pays nothing', async () => {
    const own = await createTestIssuer();
    try {
      const verifier = createVerifier({
        issuer: own.issuer,
        audience: 'api://default',
        jwksUri: own.jwksUri,
      });
      await verifier.refreshKeys();
      expect(own.requests.jwks).toBe(1);
      await verifier.verify(await own.mint());
      expect(own.requests.jwks).toBe(1);
    } finally {
      await own.close();
    }
  });
});

describe('createVerifier: the verified-token cache', () => {
  it('serves a repeated token without a second signature check, but never past exp', async () => {
    let now = Date.now();
    const verifier = createVerifier(options({ now: () => now, clockTolerance: 0 }));
    const token = await issuer.mint({}, { expiresIn: 60 });
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first); // same frozen object: served from the cache
    now += 61_000;
    expect((await refusal(verifier.verify(token))).code).toBe('token_expired');
  });

  it('stops serving a cached token once its key leaves the JWKS', async () => {
    const own = await createTestIssuer();
    try {
      const verifier = createVerifier({
        issuer: own.issuer,
        audience: 'api://default',
        jwksUri: own.jwksUri,
        jwks: { cooldown: 0 },
      });
      const token = await own.mint();
      const oldKid = own.activeKid;
      await verifier.verify(token);
      await own.rotateKeys({ keepPrevious: false });
      expect(own.keys().some((k) => k.kid === oldKid && k.published)).toBe(false);
      await verifier.refreshKeys();
      expect((await refusal(verifier.verify(token))).code).toBe('key_not_found');
    } finally {
      await own.close();
    }
  });

  it('can be disabled', async () => {
    const verifier = createVerifier(options({ cache: false }));
    const token = await issuer.mint();
    expect(await verifier.verify(token)).not.toBe(await verifier.verify(token));
  });
});

describe('createVerifier: observability never leaks a token', () => {
  afterEach(() => {
    delete process.env.NODE_DEBUG;
  });

  it('reports key events to onEvent and the diagnostics channel, without tokens', async () => {
    const own = await createTestIssuer();
    const seen: unknown[] = [];
    const fromChannel: unknown[] = [];
    const subscriber = (message: unknown) => fromChannel.push(message);
    diagnosticsChannel.subscribe(DIAGNOSTICS_CHANNEL, subscriber);
    try {
      const verifier = createVerifier({
        issuer: own.issuer,
        audience: 'api://default',
        jwks: { cooldown: 0 },
        onEvent: (e) => seen.push(e),
      });
      const token = await own.mint();
      await verifier.verify(token);
      await refusal(verifier.verify(await own.mint({}, { header: { kid: 'unknown-kid' } })));
      const types = seen.map((e) => (e as ScopeguardEvent).type);
      expect(types).toContain('discovery_completed');
      expect(types).toContain('jwks_fetched');
      expect(types).toContain('kid_unknown');
      expect(fromChannel).toEqual(seen);
      const text = JSON.stringify(seen);
      expect(text).not.toContain(token.split('.')[1]);
      expect(text).not.toContain(token.split('.')[2]);
    } finally {
      diagnosticsChannel.unsubscribe(DIAGNOSTICS_CHANNEL, subscriber);
      await own.close();
    }
  });

  it('a throwing onEvent listener never changes the outcome', async () => {
    const verifier = createVerifier(
      options({
        onEvent: () => {
          throw new Error('listener bug');
        },
      }),
    );
    await expect(verifier.verify(await issuer.mint())).resolves.toBeDefined();
  });
});

describe('cachedVerification: the synchronous cache lookup adapters use for a repeated token', () => {
  it('gives what verify gave, for exactly the string verify accepted, and nothing before', async () => {
    const verifier = createVerifier(options());
    const token = await issuer.mint();
    expect(cachedVerification(verifier, token)).toBeUndefined();
    const verified = await verifier.verify(token);
    expect(cachedVerification(verifier, token)).toBe(verified);
    expect(cachedVerification(verifier, `${token} `)).toBeUndefined();
  });

  it('never answers for a verifier whose verify was replaced (a deny-list wrapper cannot be bypassed)', async () => {
    const verifier = createVerifier(options());
    const token = await issuer.mint();
    await verifier.verify(token);
    const wrapped = {
      ...verifier,
      verify: () => Promise.reject(new TokenError('claim_invalid', 'denied')),
    };
    expect(cachedVerification(wrapped, token)).toBeUndefined();
    expect(cachedVerification({ ...verifier }, token)).toBeDefined(); // the same verify: the same answers
  });

  it('is undefined with the cache off', async () => {
    const verifier = createVerifier(options({ cache: false }));
    const token = await issuer.mint();
    await verifier.verify(token);
    expect(cachedVerification(verifier, token)).toBeUndefined();
  });

  it('re-checks a hit: past exp, or a requiredClaims predicate that changed its answer, is a miss', async () => {
    let clock = Date.now();
    let denied = false;
    const verifier = createVerifier(options({ now: () => clock, requiredClaims: { sub: () => !denied } }));
    const token = await issuer.mint({}, { expiresIn: 60 });
    await verifier.verify(token);
    expect(cachedVerification(verifier, token)).toBeDefined();
    denied = true;
    expect(cachedVerification(verifier, token)).toBeUndefined();
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'claim_invalid' });
    denied = false;
    clock += 120_000;
    expect(cachedVerification(verifier, token)).toBeUndefined();
  });
});
