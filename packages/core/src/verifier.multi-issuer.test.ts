import { randomBytes } from 'node:crypto';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenError, type TokenErrorCode } from './errors.js';
import type { ScopeguardEvent } from './events.js';
import type { FetchFunction, MultiIssuerVerifierOptions } from './types.js';
import { createVerifier } from './verifier.js';

// Two trusted issuers that publish the SAME kid with different keys, and a third, untrusted one that
// counts every request it receives (a trap: it must receive none).
let a: TestIssuer;
let b: TestIssuer;
let trap: TestIssuer;
beforeAll(async () => {
  [a, b, trap] = await Promise.all([
    createTestIssuer({ kid: 'shared' }),
    createTestIssuer({ kid: 'shared' }),
    createTestIssuer({ kid: 'shared' }),
  ]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close(), trap.close()]);
});
afterEach(() => {
  trap.requests.reset();
});

/** A global `fetch` that records every URL it is asked for. */
function recordingFetch(): { fetch: FetchFunction; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(String(input));
      return globalThis.fetch(input, init);
    },
  };
}

function twoIssuers(extra: Partial<MultiIssuerVerifierOptions> = {}) {
  const recorder = recordingFetch();
  const verifier = createVerifier({
    issuers: [
      { issuer: a.issuer, jwksUri: a.jwksUri },
      { issuer: b.issuer, jwksUri: b.jwksUri },
    ],
    audience: 'api://default',
    fetch: recorder.fetch,
    ...extra,
  });
  return { verifier, urls: recorder.urls };
}

async function refusal(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  }
  throw new Error('expected the token to be refused');
}

/** A token whose payload says what we want, with a signature nobody made: routing refuses it before that. */
function unsignedLookalike(payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256', kid: 'shared', ...header })}.${encode(payload)}.${randomBytes(256).toString('base64url')}`;
}

describe('several issuers: each token is routed by its iss to its own issuer', () => {
  it('verifies the tokens of every trusted issuer and says which one verified each (issuer)', async () => {
    const { verifier } = twoIssuers();
    const fromA = await verifier.verify(await a.mint({ scp: ['read'], cid: 'svc-a' }));
    const fromB = await verifier.verify(await b.mint({ scp: ['write'], cid: 'svc-b' }));
    expect(fromA).toMatchObject({ issuer: a.issuer, clientId: 'svc-a', scopes: ['read'] });
    expect(fromB).toMatchObject({ issuer: b.issuer, clientId: 'svc-b', scopes: ['write'] });
    expect(fromA.claims.iss).toBe(fromA.issuer);
  });

  it('describes itself: every trusted issuer, the first as issuer, the audiences of all', () => {
    const verifier = createVerifier({
      issuers: [{ issuer: a.issuer }, { issuer: b.issuer, audience: 'api://b' }],
      audience: 'api://default',
      resource: 'http://localhost:8080/api',
    });
    expect(verifier.issuers).toEqual([a.issuer, b.issuer]);
    expect(verifier.issuer).toBe(a.issuer);
    expect(verifier.audiences).toEqual(['api://default', 'api://b']);
    expect(verifier.resource).toBe('http://localhost:8080/api');
  });

  it('refuses an untrusted iss as issuer_invalid before any key lookup, with no network request at all', async () => {
    const { verifier, urls } = twoIssuers();
    // The trap is a real issuer with a valid token, its own metadata and keys, and the same kid.
    const token = await trap.mint({ scp: ['read'] }, { header: { jku: trap.jwksUri, x5u: trap.jwksUri } });

    const error = await refusal(verifier.verify(token));

    expect(error.code).toBe('issuer_invalid');
    expect(error.claim).toBe('iss');
    expect(error.message).toContain(JSON.stringify(trap.issuer));
    expect(trap.requests.total).toBe(0);
    expect(urls).toEqual([]); // not even the trusted issuers' keys were loaded for it
  });

  it('refuses an untrusted iss the same way once the trusted keys are loaded (no refresh, no trap request)', async () => {
    const { verifier, urls } = twoIssuers();
    await verifier.ready();
    const loaded = urls.length;
    const token = await trap.mint({}, { header: { kid: 'never-seen' } });

    expect((await refusal(verifier.verify(token))).code).toBe('issuer_invalid');
    expect(urls.length).toBe(loaded);
    expect(trap.requests.total).toBe(0);
  });

  it.each([
    ['no iss', { iss: undefined }],
    ['a number', { iss: 42 }],
    ['an array holding a trusted issuer', { iss: ['(issuer A)'] }],
    ['null', { iss: null }],
  ])('refuses a token whose iss is %s as issuer_invalid, fetching nothing', async (_, claims) => {
    const { verifier, urls } = twoIssuers();
    const iss = Array.isArray(claims.iss) ? [a.issuer] : claims.iss;
    const error = await refusal(verifier.verify(await a.mint({ iss })));
    expect(error.code).toBe('issuer_invalid');
    expect(error.claim).toBe('iss');
    expect(urls).toEqual([]);
  });

  it.each([
    ['a trailing slash', (iss: string) => `${iss}/`],
    ['upper case', (iss: string) => iss.toUpperCase()],
    ['a prefix', (iss: string) => iss.slice(0, -1)],
    ['a longer path', (iss: string) => `${iss}x`],
    ['a leading space', (iss: string) => ` ${iss}`],
  ])('compares iss exactly: %s is not trusted', async (_, spell) => {
    const { verifier, urls } = twoIssuers();
    const error = await refusal(verifier.verify(unsignedLookalike({ iss: spell(a.issuer), exp: 2e9 })));
    expect(error.code).toBe('issuer_invalid');
    expect(urls).toEqual([]);
  });

  it('never lets a key of issuer A verify a token claiming issuer B, though both publish kid "shared"', async () => {
    const { verifier } = twoIssuers();
    expect(a.activeKid).toBe('shared');
    expect(b.activeKid).toBe('shared');
    // Genuine tokens pass, so both key sets are cached.
    await verifier.verify(await a.mint());
    await verifier.verify(await b.mint());

    // Signed with A's key, claiming B: routed to B, checked with B's "shared" key.
    const forgedForB = await a.mint({ iss: b.issuer });
    const forgedForA = await b.mint({ iss: a.issuer });
    expect((await refusal(verifier.verify(forgedForB))).code).toBe('signature_invalid');
    expect((await refusal(verifier.verify(forgedForA))).code).toBe('signature_invalid');
  });

  it('applies each issuer’s own settings: audience, algorithms, client allowlist, typ, requiredClaims', async () => {
    const verifier = createVerifier({
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        {
          issuer: b.issuer,
          jwksUri: b.jwksUri,
          audience: 'api://b',
          clientIds: ['svc-b'],
          typ: 'strict',
          requiredClaims: { tier: 'gold' },
        },
      ],
      audience: 'api://default',
      clientIds: ['svc-a'],
    });
    await expect(verifier.verify(await a.mint({ cid: 'svc-a' }))).resolves.toBeDefined();
    // A's token with B's client: A's allowlist applies.
    expect((await refusal(verifier.verify(await a.mint({ cid: 'svc-b' })))).code).toBe('client_not_allowed');

    const good = { cid: 'svc-b', aud: 'api://b', tier: 'gold' };
    await expect(verifier.verify(await b.mint(good, { typ: 'at+jwt' }))).resolves.toMatchObject({
      issuer: b.issuer,
    });
    const cases: [Record<string, unknown>, string | undefined, TokenErrorCode][] = [
      [{ ...good, aud: 'api://default' }, 'at+jwt', 'audience_invalid'],
      [{ ...good, cid: 'svc-a' }, 'at+jwt', 'client_not_allowed'],
      [good, undefined, 'claim_invalid'],
      [{ ...good, tier: 'silver' }, 'at+jwt', 'claim_invalid'],
    ];
    for (const [claims, typ, code] of cases) {
      const token = await b.mint(claims, typ ? { typ } : {});
      expect((await refusal(verifier.verify(token))).code, JSON.stringify(claims)).toBe(code);
    }
  });

  it('allows an algorithm for one issuer only', async () => {
    const es = await createTestIssuer({ algorithm: 'ES256' });
    try {
      const verifier = createVerifier({
        issuers: [
          { issuer: a.issuer, jwksUri: a.jwksUri },
          { issuer: es.issuer, jwksUri: es.jwksUri, algorithms: ['ES256'] },
        ],
        audience: 'api://default',
      });
      await expect(verifier.verify(await es.mint())).resolves.toMatchObject({ issuer: es.issuer });
      // An ES256 header on a token claiming A: A allows RS256 only, refused before its keys are read.
      const error = await refusal(verifier.verify(unsignedLookalike({ iss: a.issuer }, { alg: 'ES256' })));
      expect(error.code).toBe('alg_not_allowed');
    } finally {
      await es.close();
    }
  });

  it('discovers each issuer’s keys from its own metadata', async () => {
    a.requests.reset();
    b.requests.reset();
    const verifier = createVerifier({
      issuers: [{ issuer: a.issuer }, { issuer: b.issuer }],
      audience: 'api://default',
    });
    await verifier.verify(await b.mint());
    expect(b.requests.metadata).toBe(1);
    expect(b.requests.jwks).toBe(1);
    expect(a.requests.total).toBe(0); // A is loaded only when one of its tokens comes
    await verifier.verify(await a.mint());
    expect(a.requests.metadata).toBe(1);
    expect(a.requests.jwks).toBe(1);
  });
});

describe('several issuers: key state is per issuer', () => {
  it('a kid flood aimed at A does not delay or refuse B’s tokens', async () => {
    const flooded = await createTestIssuer();
    try {
      const verifier = createVerifier({
        issuers: [
          {
            issuer: flooded.issuer,
            jwksUri: flooded.jwksUri,
            jwks: { cooldown: 0, unknownKidTimeout: 60_000 },
          },
          { issuer: b.issuer, jwksUri: b.jwksUri },
        ],
        audience: 'api://default',
        cache: false,
      });
      await verifier.ready();
      const bJwks = b.requests.jwks;
      const floodedJwks = flooded.requests.jwks;
      // A's JWKS now hangs: the refresh the flood starts never completes while we look.
      flooded.setJwksFault({ kind: 'hang' });
      const template = await flooded.mint();
      const [, payload, signature] = template.split('.');
      const settled: boolean[] = [];
      const flood = Array.from({ length: 300 }, (_, i) => {
        const header = Buffer.from(
          JSON.stringify({ alg: 'RS256', kid: randomBytes(12).toString('base64url') }),
        ).toString('base64url');
        settled[i] = false;
        return verifier.verify(`${header}.${payload}.${signature}`).finally(() => {
          settled[i] = true;
        });
      });

      const fromB = await Promise.all(
        Array.from({ length: 30 }, async () => verifier.verify(await b.mint())),
      );

      expect(fromB.every((token) => token.issuer === b.issuer)).toBe(true);
      expect(settled.every((done) => !done)).toBe(true); // A's flood is still waiting on A's refresh
      expect(b.requests.jwks).toBe(bJwks); // B fetched nothing
      expect(flooded.requests.jwks).toBe(floodedJwks + 1); // one refresh for the whole flood
      await flooded.close(); // ends the hung request: the flood is refused as unverifiable
      const outcomes = await Promise.allSettled(flood);
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    } finally {
      await flooded.close();
    }
  });

  it('checks a cached verification against the key set of the issuer that verified it', async () => {
    const [x, y] = await Promise.all([
      createTestIssuer({ kid: 'shared' }),
      createTestIssuer({ kid: 'shared' }),
    ]);
    try {
      const verifier = createVerifier({
        issuers: [
          { issuer: x.issuer, jwksUri: x.jwksUri },
          { issuer: y.issuer, jwksUri: y.jwksUri },
        ],
        audience: 'api://default',
        jwks: { cooldown: 0 },
      });
      const fromX = await x.mint();
      const first = await verifier.verify(fromX);
      await verifier.verify(await y.mint());

      // Y withdraws its "shared" key: X's cached verification is not Y's business.
      await y.rotateKeys({ keepPrevious: false });
      await verifier.refreshKeys(y.issuer);
      expect(await verifier.verify(fromX)).toBe(first); // the very cached result

      // X withdraws its own: the cached verification stops being served.
      await x.rotateKeys({ keepPrevious: false });
      await verifier.refreshKeys(x.issuer);
      expect((await refusal(verifier.verify(fromX))).code).toBe('key_not_found');
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });

  it('ready() loads every issuer’s keys, and rejects naming each issuer that failed', async () => {
    const broken = await createTestIssuer();
    try {
      broken.setJwksFault({ kind: 'status', status: 404 });
      const verifier = createVerifier({
        issuers: [
          { issuer: a.issuer, jwksUri: a.jwksUri },
          { issuer: broken.issuer, jwksUri: broken.jwksUri },
        ],
        audience: 'api://default',
        warnings: false,
      });
      const error = await refusal(verifier.ready());
      expect(error.code).toBe('jwks_unavailable');
      expect(error.message).toContain(`1 of 2 issuers`);
      expect(error.message).toContain(JSON.stringify(broken.issuer));
      expect(error.message).not.toContain(JSON.stringify(a.issuer));
      broken.setJwksFault(null);
    } finally {
      await broken.close();
    }
  });

  it('refreshKeys(iss) refreshes that issuer only; an untrusted iss is refused without a request', async () => {
    const { verifier } = twoIssuers();
    await verifier.ready();
    const [aJwks, bJwks] = [a.requests.jwks, b.requests.jwks];
    await verifier.refreshKeys(b.issuer);
    expect([a.requests.jwks, b.requests.jwks]).toEqual([aJwks, bJwks + 1]);
    expect((await refusal(verifier.refreshKeys(trap.issuer))).code).toBe('issuer_invalid');
    expect(trap.requests.total).toBe(0);
    await verifier.refreshKeys();
    expect([a.requests.jwks, b.requests.jwks]).toEqual([aJwks + 1, bJwks + 2]);
  });
});

describe('dynamic tenants: issuers as a function', () => {
  /** An issuers function over a fixed table, counting its calls per iss. */
  function tenants(table: Record<string, TestIssuer>, extra: Record<string, unknown> = {}) {
    const calls = new Map<string, number>();
    const resolve = (iss: string) => {
      calls.set(iss, (calls.get(iss) ?? 0) + 1);
      const tenant = table[iss];
      return tenant ? { issuer: tenant.issuer, jwksUri: tenant.jwksUri, ...extra } : undefined;
    };
    return { resolve, calls };
  }

  it('verifies a tenant’s token and asks the function about a new iss once, even under concurrency', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { resolve, calls } = tenants({ [a.issuer]: a });
    const verifier = createVerifier({
      issuers: async (iss) => {
        await gate;
        return resolve(iss);
      },
      audience: 'api://default',
    });
    const token = await a.mint();
    const pending = Array.from({ length: 25 }, () => verifier.verify(token));
    release();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.issuer === a.issuer)).toBe(true);
    expect(calls.get(a.issuer)).toBe(1);
    expect(verifier.issuers).toEqual([a.issuer]);
    await verifier.verify(await a.mint());
    expect(calls.get(a.issuer)).toBe(1);
  });

  it('refuses an iss the function does not trust (issuer_invalid), remembering the answer, fetching nothing', async () => {
    const recorder = recordingFetch();
    let now = Date.now();
    const { resolve, calls } = tenants({ [a.issuer]: a });
    const verifier = createVerifier({
      issuers: resolve,
      audience: 'api://default',
      fetch: recorder.fetch,
      now: () => now,
      resolver: { refusedMaxAge: 60_000 },
    });
    const token = await trap.mint();
    for (let i = 0; i < 3; i++) expect((await refusal(verifier.verify(token))).code).toBe('issuer_invalid');
    expect(calls.get(trap.issuer)).toBe(1);
    now += 60_001;
    expect((await refusal(verifier.verify(token))).code).toBe('issuer_invalid');
    expect(calls.get(trap.issuer)).toBe(2);
    expect(recorder.urls).toEqual([]);
    expect(trap.requests.total).toBe(0);
  });

  it('asks again past resolver.maxAge, in the background, and drops a tenant the function stops trusting', async () => {
    let now = Date.now();
    const table: Record<string, TestIssuer> = { [a.issuer]: a };
    const { resolve, calls } = tenants(table);
    const verifier = createVerifier({
      issuers: resolve,
      audience: 'api://default',
      now: () => now,
      resolver: { maxAge: 1_000 },
      cache: false,
    });
    const token = await a.mint();
    await verifier.verify(token);
    now += 1_001;
    delete table[a.issuer];
    // Verified with the answer in hand while the function is asked again.
    await expect(verifier.verify(token)).resolves.toMatchObject({ issuer: a.issuer });
    await new Promise((r) => setImmediate(r));
    expect(calls.get(a.issuer)).toBe(2);
    expect((await refusal(verifier.verify(token))).code).toBe('issuer_invalid');
    expect(verifier.issuers).toEqual([]);
  });

  it('keeps a tenant whole (keys and cached verifications) when the function answers the same again', async () => {
    let now = Date.now();
    const { resolve, calls } = tenants({ [a.issuer]: a });
    const verifier = createVerifier({
      issuers: resolve,
      audience: 'api://default',
      now: () => now,
      resolver: { maxAge: 1_000 },
    });
    const token = await a.mint();
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first); // a cache hit
    const jwks = a.requests.jwks;
    now += 1_001;
    // Past maxAge the cached verification is not served unrouted: routing asks again in the background.
    const second = await verifier.verify(token);
    expect(second).not.toBe(first);
    await new Promise((r) => setImmediate(r));
    expect(calls.get(a.issuer)).toBe(2);
    expect(await verifier.verify(token)).toBe(second); // same answer: the cache serves again
    expect(a.requests.jwks).toBe(jwks); // and the keys were kept
  });

  it('does not serve a cached verification of a tenant the function stopped trusting', async () => {
    let now = Date.now();
    const table: Record<string, TestIssuer> = { [a.issuer]: a };
    const { resolve } = tenants(table);
    const verifier = createVerifier({
      issuers: resolve,
      audience: 'api://default',
      now: () => now,
      resolver: { maxAge: 1_000 },
    });
    const token = await a.mint();
    await verifier.verify(token); // cached
    now += 1_001;
    delete table[a.issuer];
    await verifier.verify(token); // still trusted; starts the re-ask
    await new Promise((r) => setImmediate(r));
    expect((await refusal(verifier.verify(token))).code).toBe('issuer_invalid');
  });

  it('keeps at most maxIssuers live tenants; a dropped one is asked about again and keeps verifying', async () => {
    const issuers = await Promise.all(Array.from({ length: 3 }, () => createTestIssuer()));
    try {
      const table = Object.fromEntries(issuers.map((t) => [t.issuer, t]));
      const { resolve, calls } = tenants(table);
      const verifier = createVerifier({ issuers: resolve, audience: 'api://default', maxIssuers: 2 });
      const tokens = await Promise.all(issuers.map((t) => t.mint()));
      for (const token of tokens) await verifier.verify(token);
      expect(verifier.issuers).toEqual([issuers[1]?.issuer, issuers[2]?.issuer]);
      // The first one was dropped (with its keys and cached verifications): asked again, verified again.
      await expect(verifier.verify(tokens[0] as string)).resolves.toBeDefined();
      expect(calls.get(issuers[0]?.issuer as string)).toBe(2);
      expect(verifier.issuers).toHaveLength(2);
    } finally {
      await Promise.all(issuers.map((t) => t.close()));
    }
  });

  it('refuses with jwks_unavailable (not the token’s fault) when the function throws, and reports it', async () => {
    const events: ScopeguardEvent[] = [];
    const recorder = recordingFetch();
    let calls = 0;
    const verifier = createVerifier({
      issuers: () => {
        calls++;
        throw new Error('tenant database unreachable');
      },
      audience: 'api://default',
      fetch: recorder.fetch,
      onEvent: (event) => events.push(event),
    });
    const token = await a.mint();
    const error = await refusal(verifier.verify(token));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toContain('tenant database unreachable');
    expect(events).toContainEqual({
      type: 'issuer_resolver_failed',
      issuer: a.issuer,
      error: 'tenant database unreachable',
    });
    // Remembered for the cooldown: a failing function is not hammered.
    expect((await refusal(verifier.verify(token))).code).toBe('jwks_unavailable');
    expect(calls).toBe(1);
    expect(recorder.urls).toEqual([]);
  });

  it('refuses with jwks_unavailable when the function does not answer within resolver.timeout', async () => {
    const verifier = createVerifier({
      issuers: () => new Promise<undefined>(() => {}),
      audience: 'api://default',
      resolver: { timeout: 20 },
    });
    const error = await refusal(verifier.verify(await a.mint()));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toMatch(/did not answer within 20 ms/);
  });

  it.each([
    [
      'an http: issuer off loopback',
      (iss: string) => ({ issuer: iss, jwksUri: 'http://keys.example.com/k' }),
      'jwksUri',
    ],
    ['settings for another issuer', () => ({ issuer: 'https://other.example.com' }), 'issuer'],
    ['a string', (iss: string) => iss, ''],
    [
      'settings with a verifier-wide option',
      (iss: string) => ({ issuer: iss, fetch: globalThis.fetch }),
      'fetch',
    ],
    ['no audience where there is none at the top level', (iss: string) => ({ issuer: iss }), 'audience'],
  ])('refuses loudly when the function answers %s', async (_, answer, option) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'SCOPEGUARD_CONFIG') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    const recorder = recordingFetch();
    try {
      const verifier = createVerifier({
        issuers: (iss) => answer(iss) as never,
        ...(option === 'audience' ? {} : { audience: 'api://default' }),
        fetch: recorder.fetch,
      });
      const error = await refusal(verifier.verify(await a.mint()));
      expect(error.code).toBe('jwks_unavailable');
      expect(error.message).toContain(`issuers(${JSON.stringify(a.issuer)})${option ? `.${option}` : ''}`);
      await new Promise((r) => setImmediate(r));
      expect(warnings.some((w) => w.includes('the issuers function answered unusable settings'))).toBe(true);
      expect(recorder.urls).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('never asks the function about an iss that cannot be an issuer', async () => {
    const asked: string[] = [];
    const verifier = createVerifier({
      issuers: (iss) => {
        asked.push(iss);
        return undefined;
      },
      audience: 'api://default',
    });
    for (const iss of [
      'not a url',
      'ftp://files.example.com',
      'HTTPS://A.example.com/x',
      'https://a.example.com/x?tenant=1',
      'https://a.example.com/x#f',
      `https://a.example.com/${'x'.repeat(3000)}`,
      '',
    ]) {
      expect((await refusal(verifier.verify(unsignedLookalike({ iss, exp: 2e9 })))).code).toBe(
        'issuer_invalid',
      );
    }
    expect(asked).toEqual([]);
  });

  it('asks about a non-loopback http: iss, so that trusting one is refused loudly rather than quietly', async () => {
    const asked: string[] = [];
    const verifier = createVerifier({
      issuers: (iss) => {
        asked.push(iss);
        return { issuer: iss };
      },
      audience: 'api://default',
      warnings: false,
    });
    const error = await refusal(
      verifier.verify(unsignedLookalike({ iss: 'http://tenant.example.com', exp: 2e9 })),
    );
    expect(asked).toEqual(['http://tenant.example.com']);
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toMatch(/must use https:/);
  });

  it('a flood of 10,000 distinct fake iss: one call each, bounded memory, no fetch, no live issuer', async () => {
    const recorder = recordingFetch();
    const calls = new Map<string, number>();
    const verifier = createVerifier({
      issuers: (iss) => {
        calls.set(iss, (calls.get(iss) ?? 0) + 1);
        return iss === a.issuer ? { issuer: a.issuer, jwksUri: a.jwksUri } : undefined;
      },
      audience: 'api://default',
      fetch: recorder.fetch,
      resolver: { maxRefused: 500 },
    });
    const fakes = Array.from({ length: 10_000 }, (_, i) => `https://tenant-${i}.attacker.example/`);
    for (let round = 0; round < 2; round++) {
      const outcomes = await Promise.allSettled(
        fakes.map((iss) => verifier.verify(unsignedLookalike({ iss, aud: 'api://default', exp: 2e9 }))),
      );
      expect(outcomes.every((o) => o.status === 'rejected' && o.reason.code === 'issuer_invalid')).toBe(true);
    }
    // Round 1 asked about each once. Round 2 asked again only about those no longer remembered (the
    // 500 most recent were): never more than twice per distinct iss.
    expect(calls.size).toBe(10_000);
    expect(Math.max(...calls.values())).toBeLessThanOrEqual(2);
    expect([...calls.values()].filter((n) => n === 1)).toHaveLength(500);
    expect(recorder.urls).toEqual([]);
    expect(verifier.issuers).toEqual([]);
    // The genuine tenant is still served.
    await expect(verifier.verify(await a.mint())).resolves.toMatchObject({ issuer: a.issuer });
  });

  it('refreshKeys(iss) asks the function about a tenant that is not live yet', async () => {
    const { resolve, calls } = tenants({ [a.issuer]: a });
    const verifier = createVerifier({ issuers: resolve, audience: 'api://default' });
    const before = a.requests.jwks;
    await verifier.refreshKeys(a.issuer);
    expect(calls.get(a.issuer)).toBe(1);
    expect(a.requests.jwks).toBe(before + 1);
    expect((await refusal(verifier.refreshKeys(trap.issuer))).code).toBe('issuer_invalid');
    expect(trap.requests.total).toBe(0);
    await expect(verifier.ready()).resolves.toBeUndefined();
  });
});

describe('resource (RFC 8707): the API’s own identifier as the audience', () => {
  const resource = 'https://api.example.com/orders';

  it('accepts a token whose aud is the resource, and refuses one for another resource', async () => {
    const verifier = createVerifier({ issuer: a.issuer, jwksUri: a.jwksUri, resource });
    expect(verifier.resource).toBe(resource);
    expect(verifier.audiences).toEqual([resource]);
    await expect(verifier.verify(await a.mint({ aud: resource }))).resolves.toMatchObject({
      issuer: a.issuer,
    });
    await expect(verifier.verify(await a.mint({ aud: [resource, 'api://x'] }))).resolves.toBeDefined();
    const other = await refusal(verifier.verify(await a.mint({ aud: 'https://api.example.com/billing' })));
    expect(other.code).toBe('audience_invalid');
    // Exact comparison: the same URL spelled with a trailing slash is another resource.
    expect((await refusal(verifier.verify(await a.mint({ aud: `${resource}/` })))).code).toBe(
      'audience_invalid',
    );
  });

  it('is every issuer’s default audience with several issuers, unless one has its own', async () => {
    const verifier = createVerifier({
      issuers: [
        { issuer: a.issuer, jwksUri: a.jwksUri },
        { issuer: b.issuer, jwksUri: b.jwksUri, audience: 'api://b' },
      ],
      resource,
    });
    await expect(verifier.verify(await a.mint({ aud: resource }))).resolves.toBeDefined();
    expect((await refusal(verifier.verify(await b.mint({ aud: resource })))).code).toBe('audience_invalid');
    await expect(verifier.verify(await b.mint({ aud: 'api://b' }))).resolves.toBeDefined();
  });

  it('reports the issuer in the single-issuer form too', async () => {
    const verifier = createVerifier({ issuer: a.issuer, jwksUri: a.jwksUri, audience: 'api://default' });
    expect(verifier.issuers).toEqual([a.issuer]);
    expect((await verifier.verify(await a.mint())).issuer).toBe(a.issuer);
  });
});
