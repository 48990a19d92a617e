/**
 * Regression tests for the outside review of issue 11 (core side): redirects and non-canonical URLs that
 * steered key trust (F1), the verified-token cache remembering `requiredClaims` predicates (F2), a withdrawn
 * key verifying for a day (F4), invalid UTF-8 and absurd NumericDates; plus the ECDSA malleability the
 * cache's documentation warns about. Each test names the attack it stops; each failed on the code before
 * its fix (checked by reverting the fix), except the ECDSA test, which pins a documented fact.
 */
import { generateKeyPairSync, type KeyObject, sign as cryptoSign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, createVerifier, type ScopeguardEvent, type VerifierOptions } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { b64, expectCode, parts, startTrap, type Trap } from './kit.js';

// ------------------------------------------------------------------------------------------------
// An issuer we control byte for byte (own RSA key), reached through a routing fetch that behaves like
// the global one: it follows redirects itself unless asked for `redirect: 'manual'`, and records every
// URL it was asked for. An attacker's key set sits behind the evil routes.

const ISSUER = 'https://issuer.example/oauth2/default';
const AUDIENCE = 'api://default';

interface Signer {
  kid: string;
  privateKey: KeyObject;
  jwks: { keys: Record<string, unknown>[] };
}

function rsaSigner(kid: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwks: { keys: [jwk] } };
}

const issuerKey = rsaSigner('issuer-key');
const attackerKey = rsaSigner('attacker-key');

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600, cid: 'svc', scp: ['api:read'], ...extra };
}

/** Signs raw header and payload bytes (so invalid UTF-8 can be signed) with RS256. */
function signBytes(signer: Signer, header: Buffer, payload: Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(cryptoSign('sha256', Buffer.from(input), signer.privateKey))}`;
}

function signed(signer: Signer, payload: Record<string, unknown> = claims()): string {
  return signBytes(
    signer,
    Buffer.from(JSON.stringify({ alg: 'RS256', kid: signer.kid })),
    Buffer.from(JSON.stringify(payload)),
  );
}

type Route = () => Response;

const redirect =
  (location: string, status = 302): Route =>
  () =>
    new Response(null, { status, headers: { location } });
const jsonRoute =
  (body: unknown): Route =>
  () =>
    new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

/** A fetch over a routing table (keys are canonical URLs), with fetch's redirect semantics. */
function routedFetch(routes: Record<string, Route>) {
  const urls: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const start = input instanceof Request ? input.url : String(input);
    urls.push(start);
    let url = new URL(start).href;
    for (let hops = 0; hops <= 20; hops++) {
      const route = routes[url];
      if (!route) throw new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url}`) });
      const response = route();
      const location = response.headers.get('location');
      if (init?.redirect === 'manual' || location === null) {
        if (hops > 0) {
          Object.defineProperty(response, 'redirected', { value: true });
          Object.defineProperty(response, 'url', { value: url });
        }
        return response;
      }
      url = new URL(location, url).href;
      urls.push(url);
    }
    throw new TypeError('fetch failed', { cause: new Error('redirect count exceeded') });
  };
  return { fetch, urls };
}

const EVIL_KEYS = 'https://evil.example/keys';

function verifierWith(routes: Record<string, Route>, extra: Partial<VerifierOptions> = {}) {
  const recorder = routedFetch({ ...routes, [EVIL_KEYS]: jsonRoute(attackerKey.jwks) });
  const events: ScopeguardEvent[] = [];
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    fetch: recorder.fetch,
    warnings: false,
    onEvent: (event) => events.push(event),
    ...extra,
  });
  return { verifier, urls: recorder.urls, events };
}

// ------------------------------------------------------------------------------------------------

describe('F1: key trust cannot be steered by a redirect or a non-canonical URL', () => {
  it('control: the issuer key verifies through the routed fetch, and a same-scheme redirect is followed', async () => {
    const { verifier, urls } = verifierWith(
      {
        'https://issuer.example/keys': redirect('/v2/keys', 301),
        'https://issuer.example/v2/keys': jsonRoute(issuerKey.jwks),
      },
      { jwksUri: 'https://issuer.example/keys' },
    );
    await expect(verifier.verify(signed(issuerKey))).resolves.toMatchObject({ clientId: 'svc' });
    expect(urls).toEqual(['https://issuer.example/keys', 'https://issuer.example/v2/keys']);
  });

  it('refuses an https → http → https redirect chain to attacker keys, before anything is sent to the http hop', async () => {
    const { verifier, urls, events } = verifierWith(
      {
        'https://issuer.example/keys': redirect('http://evil.example/hop'),
        'http://evil.example/hop': redirect(EVIL_KEYS),
      },
      { jwksUri: 'https://issuer.example/keys' },
    );
    const error = await expectCode(verifier.verify(signed(attackerKey)), 'jwks_unavailable');
    expect(error.message).toContain(
      'GET https://issuer.example/keys redirected to http://evil.example/hop, which was not followed: a redirect from https: to http: would drop TLS',
    );
    expect(urls).toEqual(['https://issuer.example/keys']);
    expect(events.find((event) => event.type === 'jwks_fetch_failed')).toMatchObject({ reason: 'redirect' });
  });

  it.each([
    'HTTPS://issuer.example/keys',
    'Https://issuer.example/keys',
    ' https://issuer.example/keys',
    'ht\ttps://issuer.example/keys',
    'https://ISSUER.example/keys',
  ])('fetches jwksUri %j in canonical form and refuses its redirect to http:', async (jwksUri) => {
    const { verifier, urls } = verifierWith(
      { 'https://issuer.example/keys': redirect('http://evil.example/keys') },
      { jwksUri },
    );
    await expectCode(verifier.verify(signed(attackerKey)), 'jwks_unavailable');
    expect(urls).toEqual(['https://issuer.example/keys']); // the exact string handed to fetch
  });

  it.each([
    'HTTPS://issuer.example/keys',
    'Https://issuer.example/keys',
    ' https://issuer.example/keys',
    'ht\ttps://issuer.example/keys',
  ])(
    "stores discovery's jwks_uri %j in canonical form and refuses its redirect to http:",
    async (jwksUri) => {
      const { verifier, urls } = verifierWith({
        [`${ISSUER}/.well-known/oauth-authorization-server`]: jsonRoute({
          issuer: ISSUER,
          jwks_uri: jwksUri,
        }),
        'https://issuer.example/keys': redirect('http://evil.example/keys'),
      });
      await expectCode(verifier.verify(signed(attackerKey)), 'jwks_unavailable');
      expect(urls).toEqual([
        `${ISSUER}/.well-known/oauth-authorization-server`,
        'https://issuer.example/keys',
      ]);
    },
  );

  it.each([
    ['HTTPS://issuer.example/oauth2/default', 'https://issuer.example/oauth2/default'],
    ['Https://issuer.example/oauth2/default', 'https://issuer.example/oauth2/default'],
    [' https://issuer.example/oauth2/default', 'https://issuer.example/oauth2/default'],
    ['ht\ttps://issuer.example/oauth2/default', 'https://issuer.example/oauth2/default'],
    ['https://Issuer.Example/oauth2/default', 'https://issuer.example/oauth2/default'],
    ['https://issuer.example\\oauth2\\default', 'https://issuer.example/oauth2/default'],
    ['https://issuer.example:443/oauth2/default', 'https://issuer.example/oauth2/default'],
    ['HTTPS://ISSUER.EXAMPLE', 'https://issuer.example'],
  ])('refuses issuer %j at construction, naming the spelling to configure', (issuer, canonical) => {
    let error: unknown;
    try {
      createVerifier({ issuer, audience: AUDIENCE });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('issuer');
    expect((error as ConfigError).message).toContain(`configure ${JSON.stringify(canonical)}`);
  });

  describe('over real loopback HTTP servers', () => {
    let trap: Trap;
    const closers: (() => Promise<void>)[] = [];
    beforeAll(async () => {
      trap = await startTrap();
    });
    afterEach(async () => {
      await Promise.all(closers.splice(0).map((close) => close()));
    });
    afterAll(async () => {
      await trap.close();
    });

    /** A loopback JWKS endpoint that redirects to `location`. */
    async function redirecting(location: string): Promise<string> {
      const server = createServer((_request, response) => {
        response.writeHead(302, { location }).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      );
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
    }

    // 0.0.0.0 and the IPv4-mapped ::ffff:127.0.0.1 are not loopback names, yet both reach the trap
    // listening on 127.0.0.1: exactly what a plain-http hop off loopback must never be sent.
    it.each(['0.0.0.0', '[::ffff:127.0.0.1]'])(
      'refuses a loopback http: JWKS redirecting to non-loopback http://%s, and sends it nothing',
      async (host) => {
        const port = new URL(trap.origin).port;
        const jwksUri = await redirecting(`http://${host}:${port}/keys`);
        const verifier = createVerifier({
          issuer: 'http://127.0.0.1/oauth2/default',
          audience: AUDIENCE,
          jwksUri,
          warnings: false,
        });
        const error = await expectCode(verifier.refreshKeys(), 'jwks_unavailable');
        expect(error.message).toContain(
          `redirected to ${new URL(`http://${host}:${port}/keys`).href}, which was not followed: a loopback URL may only redirect to a loopback host`,
        );
        expect(trap.requests).toBe(0);
      },
    );
  });
});

// ------------------------------------------------------------------------------------------------

describe('F2: the verified-token cache re-checks everything whose answer can change', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('a deny-list predicate that starts refusing a jti refuses the very next verify of the same token', async () => {
    const denied = new Set<string>();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksUri: issuer.jwksUri,
      requiredClaims: { jti: (jti) => typeof jti === 'string' && !denied.has(jti) },
    });
    const token = await issuer.mint({ jti: 'revoke-me' });
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first); // cached
    denied.add('revoke-me');
    const error = await expectCode(verifier.verify(token), 'claim_invalid');
    expect(error.claim).toBe('jti');
    denied.delete('revoke-me');
    expect(await verifier.verify(token)).toBe(first); // the signature check is still remembered
  });

  it('a clock that steps back before nbf makes a cached token not yet valid again', async () => {
    let now = Date.now();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksUri: issuer.jwksUri,
      clockTolerance: 0,
      now: () => now,
    });
    const nbf = Math.floor(now / 1000);
    const token = await issuer.mint({ nbf, iat: nbf });
    await verifier.verify(token);
    now -= 120_000; // NTP steps the clock back two minutes
    await expectCode(verifier.verify(token), 'token_not_yet_valid');
  });
});

// ------------------------------------------------------------------------------------------------

describe('F4: a well-formed JWK Set is authoritative: a withdrawn key stops verifying at once', () => {
  let issuer: TestIssuer;
  let now: number;
  let kid: string;
  let verifier: ReturnType<typeof createVerifier>;
  const events: ScopeguardEvent[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer();
    kid = issuer.activeKid;
  });
  afterAll(async () => {
    await issuer.close();
  });

  async function withdrawAndRefresh(fault: Parameters<TestIssuer['setJwksFault']>[0]): Promise<string> {
    now = Date.now();
    events.length = 0;
    issuer.setJwksFault(null);
    verifier = createVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksUri: issuer.jwksUri,
      jwks: { maxAge: 60_000, unknownKidTimeout: 0 },
      warnings: false,
      onEvent: (event) => events.push(event),
      now: () => now,
    });
    const cached = await issuer.mint({}, { kid });
    await verifier.verify(cached);
    issuer.setJwksFault(fault);
    now += 60_001; // past maxAge: the next use starts a background refresh
    await verifier.verify(cached).catch(() => {});
    const attempts = () => events.filter((e) => e.type === 'jwks_fetched' || e.type === 'jwks_fetch_failed');
    await vi.waitFor(() => expect(attempts()).toHaveLength(2));
    return cached;
  }

  const withKeys = (keys: unknown[]) =>
    ({ kind: 'garbage', body: JSON.stringify({ keys }), contentType: 'application/json' }) as const;

  it('{"keys": []}: tokens signed by the withdrawn key, cached or new, are refused', async () => {
    const cached = await withdrawAndRefresh(withKeys([]));
    await expectCode(verifier.verify(cached), 'key_not_found');
    await expectCode(verifier.verify(await issuer.mint({}, { kid })), 'key_not_found');
    expect(events.some((event) => event.type === 'jwks_stale_served')).toBe(false);
    expect(events.find((event) => event.type === 'jwks_no_usable_key')).toMatchObject({
      reason: 'the JWK Set is empty ({"keys": []})',
    });
  });

  it('the old kid re-published with "use": "enc" is refused at once, saying why', async () => {
    const [published] = issuer.publicJwks().keys;
    const cached = await withdrawAndRefresh(withKeys([{ ...published, use: 'enc' }]));
    const error = await expectCode(verifier.verify(cached), 'key_not_found');
    expect(error.message).toContain('may not be used: "use" is "enc", not "sig"');
  });

  it('a set with only keys of another algorithm refuses every token and says which algorithms it offers', async () => {
    const es = await createTestIssuer({ algorithm: 'ES256' });
    try {
      const cached = await withdrawAndRefresh(withKeys(es.publicJwks().keys));
      const error = await expectCode(verifier.verify(cached), 'key_not_found');
      expect(error.message).toContain('the issuer publishes only ES256 keys; this verifier allows RS256');
    } finally {
      await es.close();
    }
  });

  it.each([
    ['HTTP 503', { kind: 'status', status: 503 }],
    ['a body that is not JSON', { kind: 'garbage' }],
    ['JSON that is not a JWK Set', { kind: 'garbage', body: '{"keys":"nope"}' }],
  ] as const)(
    'control: when no well-formed set can be obtained (%s), the last keys keep serving',
    async (_name, fault) => {
      const cached = await withdrawAndRefresh(fault);
      await expect(verifier.verify(cached)).resolves.toBeDefined();
      await expect(verifier.verify(await issuer.mint({}, { kid }))).resolves.toBeDefined();
      expect(events.some((event) => event.type === 'jwks_stale_served')).toBe(true);
    },
  );
});

// ------------------------------------------------------------------------------------------------

describe('smaller findings: UTF-8 and NumericDate', () => {
  const verifier = () =>
    createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: 'https://issuer.example/keys',
      fetch: routedFetch({ 'https://issuer.example/keys': jsonRoute(issuerKey.jwks) }).fetch,
    });
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: issuerKey.kid }));

  /** The claims as JSON bytes, with `sub` spelled by `subBytes` (inside its quotes). */
  function payloadWithSub(subBytes: Buffer): Buffer {
    const [before, after] = JSON.stringify(claims({ sub: 'SUB' })).split('SUB') as [string, string];
    return Buffer.concat([Buffer.from(before), subBytes, Buffer.from(after)]);
  }

  it.each([
    ['a lone 0xFF byte', Buffer.from([0x75, 0xff, 0x31])],
    ['an overlong "/" (0xC0 0xAF)', Buffer.from([0xc0, 0xaf])],
    ['a UTF-16 surrogate encoded as UTF-8 (0xED 0xA0 0x80)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a truncated sequence (0xE2 0x82)', Buffer.from([0x75, 0xe2, 0x82])],
  ])(
    'refuses a validly signed payload containing invalid UTF-8 (%s) as token_malformed',
    async (_name, bytes) => {
      await expectCode(
        verifier().verify(signBytes(issuerKey, header, payloadWithSub(bytes))),
        'token_malformed',
      );
    },
  );

  it('refuses a validly signed header containing invalid UTF-8 as token_malformed', async () => {
    const badHeader = Buffer.concat([
      Buffer.from('{"alg":"RS256","kid":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    await expectCode(
      verifier().verify(signBytes(issuerKey, badHeader, payloadWithSub(Buffer.from('x')))),
      'token_malformed',
    );
  });

  it('control: a genuine U+FFFD character (EF BF BD) in a claim is valid UTF-8 and accepted', async () => {
    const token = signBytes(issuerKey, header, payloadWithSub(Buffer.from('\uFFFD', 'utf8')));
    await expect(verifier().verify(token)).resolves.toMatchObject({ subject: '\uFFFD' });
  });

  it.each([
    ['exp', 1e308],
    ['exp', 253_402_300_800], // one second past 9999-12-31T23:59:59Z
    ['nbf', -1],
    ['iat', -1e308],
  ])('refuses %s = %s (a NumericDate outside 0 … 253402300799) as claim_invalid', async (claim, value) => {
    const error = await expectCode(
      verifier().verify(signed(issuerKey, claims({ [claim]: value }))),
      'claim_invalid',
    );
    expect(error.claim).toBe(claim);
  });

  it('accepts a fractional exp (RFC 7519 allows it) and reports a valid expiresAt', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600.5;
    const verified = await verifier().verify(signed(issuerKey, claims({ exp })));
    expect(verified.expiresAt.getTime()).toBe(exp * 1000);
  });
});

// ------------------------------------------------------------------------------------------------

describe('ECDSA malleability (why nothing keyed by the token string may decide replay)', () => {
  it('the (r, n − s) twin of an ES256 token is a different string that verifies to the same claims', async () => {
    const es = await createTestIssuer({ algorithm: 'ES256' });
    try {
      const verifier = createVerifier({
        issuer: es.issuer,
        audience: AUDIENCE,
        jwksUri: es.jwksUri,
        algorithms: ['ES256'],
      });
      const token = await es.mint({ jti: 'once' });
      const { segments, signature } = parts(token);
      const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
      const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
      const twinS = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
      const twin = `${segments[0]}.${segments[1]}.${b64(Buffer.concat([signature.subarray(0, 32), twinS]))}`;
      expect(twin).not.toBe(token);
      const [a, b] = [await verifier.verify(token), await verifier.verify(twin)];
      expect(b.claims).toEqual(a.claims);
      expect(b).not.toBe(a); // two cache entries: the cache cannot tell they are one token
    } finally {
      await es.close();
    }
  });
});
