import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type TokenError, isTokenError } from './errors.js';
import type { ScopeguardEvent } from './events.js';
import { type JwksCacheConfig, JwksCache } from './jwks-cache.js';

// ---------------------------------------------------------------------------------------------------
// A real JWKS server on 127.0.0.1 (port 0) whose answers and request count each test controls.
// ---------------------------------------------------------------------------------------------------

type Answer =
  | { keys: unknown[] }
  | { status: number }
  | { raw: string }
  | { document: unknown }
  | { hang: true }
  | { huge: number };

interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  readonly requests: number;
  answer(answer: Answer): void;
  /** Holds every response until the returned function is called (keeps a fetch in flight). */
  hold(): () => void;
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function jwksServer(initial: Answer): Promise<JwksServer> {
  let answer = initial;
  let requests = 0;
  let gate: Promise<void> | undefined;
  const releases: (() => void)[] = [];
  const server = createServer(async (_, response) => {
    requests++;
    if (gate) await gate;
    const current = answer;
    if ('hang' in current) return;
    if ('status' in current) {
      response.writeHead(current.status, { 'content-type': 'application/json' }).end('{"error":"down"}');
    } else if ('raw' in current) {
      response.writeHead(200, { 'content-type': 'text/html' }).end(current.raw);
    } else if ('huge' in current) {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let sent = 0; sent < current.huge; sent += chunk.length) response.write(chunk);
      response.end();
    } else {
      const body = 'document' in current ? current.document : { keys: current.keys };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/default/v1/keys`;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const release of releases) release();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  closers.push(close);
  return {
    url,
    get requests() {
      return requests;
    },
    answer(next) {
      answer = next;
    },
    hold() {
      let release: () => void = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      releases.push(release);
      return release;
    },
    close,
  };
}

// ---------------------------------------------------------------------------------------------------
// Keys (EC P-256: fast to generate) and a cache with an injectable clock.
// ---------------------------------------------------------------------------------------------------

const pairs = Array.from({ length: 3 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));

function jwk(
  index: number,
  kid: string | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const pair = pairs[index] as { publicKey: KeyObject };
  return { ...(pair.publicKey.export({ format: 'jwk' }) as JsonWebKey), use: 'sig', kid, ...extra };
}

const HOUR = 3_600_000;

function makeCache(server: JwksServer, overrides: Partial<JwksCacheConfig> = {}) {
  const events: ScopeguardEvent[] = [];
  const clock = { now: 1_700_000_000_000 };
  const config: JwksCacheConfig = {
    jwksUri: async () => server.url,
    fetch: globalThis.fetch,
    algorithms: ['ES256'],
    maxAge: 10 * 60_000,
    cooldown: 5_000,
    fetchTimeout: 2_000,
    maxResponseBytes: 512 * 1024,
    maxStale: 24 * HOUR,
    unknownKidTimeout: 10_000,
    emit: (event) => events.push(event),
    now: () => clock.now,
    ...overrides,
  };
  const cache = new JwksCache(config);
  const ofType = <T extends ScopeguardEvent['type']>(type: T) =>
    events.filter((event): event is Extract<ScopeguardEvent, { type: T }> => event.type === type);
  return { cache, events, ofType, clock };
}

async function refusal(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (error) {
    if (isTokenError(error)) return error;
    throw error;
  }
  throw new Error('expected a TokenError');
}

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isTokenError(error) ? error.code : `unexpected: ${String(error)}`),
  );

// ---------------------------------------------------------------------------------------------------

describe('JwksCache: loading and single-flight', () => {
  it('serves 200 concurrent getKey calls on a cold cache with exactly one request', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, ofType } = makeCache(server);
    const keys = await Promise.all(Array.from({ length: 200 }, () => cache.getKey('k1', 'ES256')));
    expect(server.requests).toBe(1);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]?.alg).toBe('ES256');
    expect(ofType('jwks_fetched')).toEqual([
      {
        type: 'jwks_fetched',
        jwksUri: server.url,
        reason: 'initial',
        keys: 1,
        ignored: 0,
        durationMs: expect.any(Number),
      },
    ]);
    expect(cache.stats()).toMatchObject({ fetches: 1, failures: 0, keys: 1 });
  });

  it('peek answers synchronously from memory and never fetches on a cold cache', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server);
    expect(cache.peek('k1', 'ES256')).toBeUndefined();
    expect(server.requests).toBe(0);
    const key = await cache.getKey('k1', 'ES256');
    expect(cache.peek('k1', 'ES256')).toBe(key);
    expect(cache.peek('other', 'ES256')).toBeUndefined();
    expect(server.requests).toBe(1);
  });

  it('refresh() is single-flight and reports reason "manual"', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, ofType } = makeCache(server);
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(server.requests).toBe(1);
    expect(ofType('jwks_fetched')[0]?.reason).toBe('manual');
  });

  it('keeps a key object across refreshes while its JWK is unchanged, and has() drops it once it leaves', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server);
    const key = await cache.getKey('k1', 'ES256');
    await cache.refresh();
    expect(cache.peek('k1', 'ES256')).toBe(key);
    expect(cache.has(key)).toBe(true);
    server.answer({ keys: [jwk(1, 'k2')] });
    await cache.refresh();
    expect(cache.has(key)).toBe(false);
    expect(cache.peek('k1', 'ES256')).toBeUndefined();
  });

  it('serves a token without kid with the single key bound to its alg, and refuses when that is ambiguous', async () => {
    const server = await jwksServer({ keys: [jwk(0, undefined)] });
    const { cache } = makeCache(server, { algorithms: ['ES256', 'RS256'] });
    expect((await cache.getKey(undefined, 'ES256')).kid).toBeUndefined();
    server.answer({ keys: [jwk(0, 'a'), jwk(1, 'b')] });
    await cache.refresh();
    const error = await refusal(cache.getKey(undefined, 'ES256'));
    expect(error.code).toBe('key_not_found');
    expect(error.message).toContain('has 2 ES256 keys: ambiguous');
    expect(server.requests).toBe(2); // no refetch for an ambiguity a refresh cannot fix
  });

  it('returns a key found by kid whatever its algorithm: the verifier compares key.alg with the header', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server, { algorithms: ['ES256', 'RS256'] });
    expect((await cache.getKey('k1', 'RS256')).alg).toBe('ES256');
  });

  it('reports ignored JWKs once per fetch (jwk_ignored) and counts them in jwks_fetched', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1'), jwk(1, 'enc-key', { use: 'enc' })] });
    const { cache, ofType } = makeCache(server);
    await Promise.all([cache.getKey('k1', 'ES256'), cache.getKey('k1', 'ES256')]);
    expect(ofType('jwk_ignored')).toEqual([
      { type: 'jwk_ignored', jwksUri: server.url, kid: 'enc-key', reason: '"use" is "enc", not "sig"' },
    ]);
    expect(ofType('jwks_fetched')[0]).toMatchObject({ keys: 1, ignored: 1 });
  });

  it('keeps working when the event listener throws', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server, {
      emit: () => {
        throw new Error('listener bug');
      },
    });
    await expect(cache.getKey('k1', 'ES256')).resolves.toBeDefined();
  });
});

describe('JwksCache: unknown kid and key rotation', () => {
  it('picks up a rotated kid (published now) with exactly one fetch', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock, ofType } = makeCache(server);
    await cache.getKey('k1', 'ES256');
    server.answer({ keys: [jwk(0, 'k1'), jwk(1, 'k2')] });
    clock.now += 5_000; // the cooldown since the last fetch has passed
    expect((await cache.getKey('k2', 'ES256')).kid).toBe('k2');
    expect(server.requests).toBe(2);
    expect(ofType('kid_unknown')).toEqual([
      { type: 'kid_unknown', jwksUri: server.url, kid: 'k2', action: 'refetch' },
    ]);
    expect(ofType('jwks_fetched').map((event) => event.reason)).toEqual(['initial', 'unknown_kid']);
  });

  it('accepts a genuinely new kid on its first request right after another refetch: it waits for the cooldown', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server, { cooldown: 150, now: Date.now });
    await cache.getKey('k1', 'ES256');
    server.answer({ keys: [jwk(0, 'k1'), jwk(1, 'k2')] });
    const started = performance.now();
    const [a, b] = await Promise.all([cache.getKey('k2', 'ES256'), cache.getKey('k2', 'ES256')]);
    expect(a.kid).toBe('k2');
    expect(b).toBe(a);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100); // it did wait for the cooldown
    expect(server.requests).toBe(2); // one shared, scheduled refresh
  });

  it('joins a fetch already in flight instead of starting another', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, ofType } = makeCache(server);
    await cache.getKey('k1', 'ES256');
    server.answer({ keys: [jwk(0, 'k1'), jwk(1, 'k2')] });
    const release = server.hold();
    const manual = cache.refresh();
    const rotated = cache.getKey('k2', 'ES256');
    await vi.waitFor(() => expect(server.requests).toBe(2));
    release();
    await manual;
    expect((await rotated).kid).toBe('k2');
    expect(server.requests).toBe(2);
    expect(ofType('kid_unknown')[0]?.action).toBe('joined_refresh');
  });

  it('refuses an unknown kid with key_not_found after one refresh, naming the (truncated) kid and the URI', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock, ofType } = makeCache(server);
    await cache.getKey('k1', 'ES256');
    clock.now += 5_000;
    const error = await refusal(cache.getKey('no-such-kid', 'ES256'));
    expect(error.code).toBe('key_not_found');
    expect(error.message).toBe(`no key with kid "no-such-kid" in the JWKS at ${server.url} (1 keys)`);
    expect(server.requests).toBe(2);

    // Log forging and flooding: a hostile kid is sanitised and shortened in messages and events.
    clock.now += 5_000;
    const hostile = `evil\nFAKE LOG LINE ${'x'.repeat(500)}`;
    const second = await refusal(cache.getKey(hostile, 'ES256'));
    expect(second.message).not.toContain('\n');
    expect(second.message.length).toBeLessThan(200);
    const event = ofType('kid_unknown').at(-1);
    expect(event?.kid).toMatch(/^evil\?FAKE LOG LINE x+…$/);
    expect(event?.kid.length).toBeLessThanOrEqual(65);
  });

  it('does not make a cold-start request wait for a second fetch when its kid is not in the first one', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server);
    expect((await refusal(cache.getKey('nope', 'ES256'))).code).toBe('key_not_found');
    expect(server.requests).toBe(1);
  });

  it('refuses at once (no wait, no request) when the next allowed refresh is beyond unknownKidTimeout', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, ofType } = makeCache(server, { cooldown: 5_000, unknownKidTimeout: 100 });
    await cache.getKey('k1', 'ES256');
    const error = await refusal(cache.getKey('later', 'ES256'));
    expect(error.code).toBe('key_not_found');
    expect(error.message).toMatch(/next refresh is allowed in 5000 ms, over unknownKidTimeout/);
    expect(server.requests).toBe(1);
    expect(ofType('kid_unknown')[0]?.action).toBe('refused');
  });

  it("gives up with jwks_unavailable (503, not the client's fault) after unknownKidTimeout when the refresh it joined is slow", async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock } = makeCache(server, { unknownKidTimeout: 100, fetchTimeout: 5_000 });
    await cache.getKey('k1', 'ES256');
    server.hold();
    clock.now += 5_000;
    const started = performance.now();
    const error = await refusal(cache.getKey('slow', 'ES256'));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toMatch(/kid "slow" did not complete within unknownKidTimeout \(100 ms\)/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('answers jwks_unavailable (not key_not_found) when the refresh an unknown kid joined fails', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock } = makeCache(server);
    const known = await cache.getKey('k1', 'ES256');
    server.answer({ status: 500 });
    clock.now += 5_000;
    const error = await refusal(cache.getKey('maybe-valid', 'ES256'));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toBe(`could not load the JWKS: GET ${server.url} answered HTTP 500`);
    expect(cache.peek('k1', 'ES256')).toBe(known); // the failure did not cost the good keys
  });

  it('survives a flood of 1,000 random kids: one fetch, known keys undelayed, a new kid in the flood accepted', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, ofType } = makeCache(server, { cooldown: 200, now: Date.now });
    const known = await cache.getKey('k1', 'ES256');
    server.answer({ keys: [jwk(0, 'k1'), jwk(1, 'k2')] }); // a rotation lands during the attack

    const flood = Array.from({ length: 1_000 }, (_, i) =>
      code(cache.getKey(`random-${i}-${Math.random()}`, 'ES256')),
    );
    const rotated = cache.getKey('k2', 'ES256');
    // Tokens signed with known keys never wait: the fast path answers synchronously during the flood.
    expect(cache.peek('k1', 'ES256')).toBe(known);
    const started = performance.now();
    expect(await cache.getKey('k1', 'ES256')).toBe(known);
    expect(performance.now() - started).toBeLessThan(50);

    expect((await rotated).kid).toBe('k2');
    const outcomes = await Promise.all(flood);
    expect(new Set(outcomes)).toEqual(new Set(['key_not_found']));
    expect(server.requests).toBe(2);
    expect(cache.peek('k1', 'ES256')).toBe(known); // lookups never evict
    expect(cache.stats().keys).toBe(2);
    expect(ofType('kid_unknown')).toHaveLength(1); // not one event per request
  });

  it('causes at most one fetch per cooldown under a sustained random-kid flood', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache } = makeCache(server, { cooldown: 100, now: Date.now });
    await cache.getKey('k1', 'ES256');
    const started = performance.now();
    const pending: Promise<string>[] = [];
    for (let wave = 0; wave < 12; wave++) {
      for (let i = 0; i < 50; i++) pending.push(code(cache.getKey(`flood-${wave}-${i}`, 'ES256')));
      expect(cache.peek('k1', 'ES256')).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await Promise.all(pending);
    const elapsed = performance.now() - started;
    // The initial load, then at most one refetch per started cooldown period.
    expect(server.requests).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 100));
    expect(server.requests).toBeGreaterThanOrEqual(2);
  });
});

describe('JwksCache: max age and stale keys', () => {
  it('past maxAge, peek still returns the key and starts exactly one background refresh; the new set replaces the old', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock, ofType } = makeCache(server, { maxAge: 60_000 });
    const old = await cache.getKey('k1', 'ES256');
    server.answer({ keys: [jwk(1, 'k2')] });
    clock.now += 60_001;
    for (let i = 0; i < 100; i++) expect(cache.peek('k1', 'ES256')).toBe(old);
    await vi.waitFor(() =>
      expect(ofType('jwks_fetched').map((event) => event.reason)).toEqual(['initial', 'expired']),
    );
    expect(server.requests).toBe(2);
    expect(cache.peek('k1', 'ES256')).toBeUndefined();
    expect(cache.peek('k2', 'ES256')?.kid).toBe('k2');
    expect(cache.has(old)).toBe(false);
    expect(ofType('jwks_stale_served')).toHaveLength(0); // stale only counts once a refresh failed
  });

  it('serves stale keys while the endpoint is down until maxAge + maxStale, then answers jwks_unavailable', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock, ofType } = makeCache(server, { maxAge: 60_000, maxStale: HOUR, cooldown: 5_000 });
    const key = await cache.getKey('k1', 'ES256');
    server.answer({ status: 500 });

    clock.now += 60_001;
    expect(cache.peek('k1', 'ES256')).toBe(key); // starts a background refresh, which fails
    await vi.waitFor(() => expect(ofType('jwks_fetch_failed')).toHaveLength(1));
    expect(ofType('jwks_fetch_failed')[0]).toMatchObject({ jwksUri: server.url, reason: 'status' });
    for (let i = 0; i < 100; i++) expect(cache.peek('k1', 'ES256')).toBe(key);
    expect(await cache.getKey('k1', 'ES256')).toBe(key);
    expect(ofType('jwks_stale_served')).toHaveLength(1); // occasionally, not per request
    expect(server.requests).toBe(2); // the cooldown keeps a down endpoint from being hammered

    clock.now += 10 * 60_000; // still within maxStale: another background attempt, another stale report
    expect(cache.peek('k1', 'ES256')).toBe(key);
    await vi.waitFor(() => expect(ofType('jwks_fetch_failed')).toHaveLength(2));
    expect(cache.peek('k1', 'ES256')).toBe(key);
    expect(ofType('jwks_stale_served')).toHaveLength(2);
    expect(ofType('jwks_stale_served')[1]).toMatchObject({ jwksUri: server.url, ageMs: 11 * 60_000 + 1 });

    clock.now = clock.now - 11 * 60_000 - 1 + 60_000 + HOUR + 1; // just past maxAge + maxStale
    expect(cache.peek('k1', 'ES256')).toBeUndefined();
    expect(cache.has(key)).toBe(false);
    const error = await refusal(cache.getKey('k1', 'ES256'));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toContain(`GET ${server.url} answered HTTP 500`);
    expect(server.requests).toBe(4);

    server.answer({ keys: [jwk(0, 'k1')] }); // the endpoint recovers
    clock.now += 5_000;
    expect(await cache.getKey('k1', 'ES256')).toBe(key);

    clock.now += 60_001; // an ordinary expiry after the recovery is not reported as stale serving
    expect(cache.peek('k1', 'ES256')).toBe(key);
    await vi.waitFor(() =>
      expect(ofType('jwks_fetched').map((event) => event.reason)).toEqual(['initial', 'expired', 'expired']),
    );
    expect(ofType('jwks_stale_served')).toHaveLength(2);
  });
});

describe('JwksCache: failures', () => {
  const failures: [string, Answer, RegExp][] = [
    ['status 500', { status: 500 }, /answered HTTP 500/],
    [
      'an HTML page',
      { raw: '<!doctype html><title>Login</title>' },
      /response is not JSON \(starts with "<!doctype/,
    ],
    ['{}', { document: {} }, /not a JWK Set: "keys" is undefined/],
    ['{ keys: "x" }', { document: { keys: 'x' } }, /not a JWK Set: "keys" is "x"/],
    ['a 10 MB body', { huge: 10 * 1024 * 1024 }, /response body exceeds 524288 bytes/],
    ['a server that hangs past fetchTimeout', { hang: true }, /timed out after 150 ms/],
  ];

  for (const [name, answer, message] of failures) {
    it(`answers jwks_unavailable before any key is cached, saying what failed: ${name}`, async () => {
      const server = await jwksServer(answer);
      const { cache, ofType } = makeCache(server, { fetchTimeout: 150 });
      const error = await refusal(cache.getKey('k1', 'ES256'));
      expect(error.code).toBe('jwks_unavailable');
      expect(error.message).toMatch(message);
      expect(error.message).toContain(server.url);
      expect(ofType('jwks_fetch_failed')).toHaveLength(1);
      expect(cache.stats()).toMatchObject({ fetches: 1, failures: 1, keys: 0 });
    });

    it(`keeps the cached keys in use when a refresh gets ${name}`, async () => {
      const server = await jwksServer({ keys: [jwk(0, 'k1')] });
      const { cache } = makeCache(server, { fetchTimeout: 150 });
      const key = await cache.getKey('k1', 'ES256');
      server.answer(answer);
      expect((await refusal(cache.refresh())).code).toBe('jwks_unavailable');
      expect(cache.peek('k1', 'ES256')).toBe(key);
      expect(cache.has(key)).toBe(true);
    });
  }

  it('does not hammer a down endpoint: during the cooldown after a failure, getKey refuses at once', async () => {
    const server = await jwksServer({ status: 503 });
    const { cache, clock } = makeCache(server, { cooldown: 5_000 });
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => code(cache.getKey('k1', 'ES256'))));
    expect(new Set(concurrent)).toEqual(new Set(['jwks_unavailable']));
    expect(server.requests).toBe(1);

    clock.now += 4_000;
    const error = await refusal(cache.getKey('k1', 'ES256'));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toMatch(/answered HTTP 503 \(next attempt in 1000 ms\)$/);
    expect(server.requests).toBe(1);

    server.answer({ keys: [jwk(0, 'k1')] });
    clock.now += 1_000;
    await expect(cache.getKey('k1', 'ES256')).resolves.toBeDefined();
    expect(server.requests).toBe(2);
  });

  it('answers jwks_unavailable when the JWKS URI cannot be resolved (discovery failed)', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, ofType } = makeCache(server, {
      jwksUri: () => Promise.reject(new Error('metadata "issuer" is "https://evil.example"')),
    });
    const error = await refusal(cache.getKey('k1', 'ES256'));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toContain(
      'could not resolve the JWKS URI: metadata "issuer" is "https://evil.example"',
    );
    expect(ofType('jwks_fetch_failed')[0]).toMatchObject({ reason: 'discovery' });
    expect(server.requests).toBe(0);
  });
});

describe('JwksCache: a well-formed JWK Set is authoritative, even without a usable key', () => {
  const unusableSets: [string, unknown[], RegExp][] = [
    ['{"keys": []}', [], /the JWK Set is empty/],
    [
      'only keys of another algorithm',
      [jwk(0, 'k1', { alg: 'ES384', crv: 'P-256' })],
      /alg ES384 needs curve P-384/,
    ],
    [
      'the old kid re-published with "use": "enc"',
      [jwk(0, 'k1', { use: 'enc' })],
      /"use" is "enc", not "sig"/,
    ],
  ];

  for (const [name, keys, why] of unusableSets) {
    it(`withdraws the cached keys at once when a refresh returns ${name}`, async () => {
      const server = await jwksServer({ keys: [jwk(0, 'k1')] });
      // unknownKidTimeout 0: a kid absent from the new set is refused at once instead of joining the next
      // refresh (which it would, as any unknown kid does, to pick up a key being published).
      const { cache, clock, ofType } = makeCache(server, { maxAge: 60_000, unknownKidTimeout: 0 });
      const key = await cache.getKey('k1', 'ES256');
      server.answer({ keys });
      clock.now += 60_001; // past maxAge: the next use refreshes in the background
      cache.peek('k1', 'ES256');
      await vi.waitFor(() => expect(ofType('jwks_fetched')).toHaveLength(2));
      expect(cache.peek('k1', 'ES256')).toBeUndefined();
      expect(cache.has(key)).toBe(false); // the verified-token cache drops what k1 verified
      const error = await refusal(cache.getKey('k1', 'ES256'));
      expect(error.code).toBe('key_not_found');
      expect(error.message).toMatch(why);
      expect(ofType('jwks_no_usable_key')).toEqual([
        { type: 'jwks_no_usable_key', jwksUri: server.url, reason: expect.stringMatching(why) },
      ]);
      expect(ofType('jwks_stale_served')).toHaveLength(0);
    });
  }

  it('refuses a kid that came back unusable at once, without waiting for or starting another fetch', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1'), jwk(1, 'k2')] });
    const { cache, clock, ofType } = makeCache(server);
    await cache.getKey('k1', 'ES256');
    server.answer({ keys: [jwk(0, 'k1', { use: 'enc' }), jwk(1, 'k2')] });
    await cache.refresh();
    clock.now += 5_000; // a refresh would be allowed: the refusal must not spend it
    const error = await refusal(cache.getKey('k1', 'ES256'));
    expect(error.code).toBe('key_not_found');
    expect(error.message).toBe(
      `the key with kid "k1" in the JWKS at ${server.url} (1 keys) may not be used: "use" is "enc", not "sig"`,
    );
    expect(server.requests).toBe(2);
    expect(ofType('kid_unknown')).toHaveLength(0);
    expect((await cache.getKey('k2', 'ES256')).kid).toBe('k2');
  });

  it('says why a set has no usable key: "the issuer publishes only ES256 keys; this verifier allows RS256"', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1'), jwk(1, 'k2')] });
    const warnings: [string, string][] = [];
    const { cache, ofType } = makeCache(server, {
      algorithms: ['RS256'],
      warn: (cause, message) => warnings.push([cause, message]),
    });
    const error = await refusal(cache.getKey('k1', 'RS256'));
    expect(error.code).toBe('key_not_found');
    expect(error.message).toContain('the issuer publishes only ES256 keys; this verifier allows RS256');
    expect(ofType('jwks_no_usable_key')[0]?.reason).toBe(
      'the issuer publishes only ES256 keys; this verifier allows RS256',
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[1]).toBe(
      `the JWKS at ${server.url} has no key this verifier may use: the issuer publishes only ES256 keys; this verifier allows RS256; likely fix: if your tokens are signed with ES256, add ES256 to the algorithms option`,
    );
    // ready() and refresh() reject with the same explanation (jwks_unavailable: nothing can be verified).
    for (const attempt of [cache.ready(), cache.refresh()]) {
      const failure = await refusal(attempt);
      expect(failure.code).toBe('jwks_unavailable');
      expect(failure.message).toContain('publishes only ES256 keys; this verifier allows RS256');
    }
  });

  it('serves stale keys only when a well-formed set cannot be obtained, and a good set ends the outage', async () => {
    const server = await jwksServer({ keys: [jwk(0, 'k1')] });
    const { cache, clock } = makeCache(server, { maxAge: 60_000 });
    const key = await cache.getKey('k1', 'ES256');
    for (const failure of [{ status: 503 }, { raw: '<html>' }, { document: { keys: 'x' } }] as Answer[]) {
      server.answer(failure);
      clock.now += 60_001;
      await refusal(cache.refresh());
      expect(cache.peek('k1', 'ES256')).toBe(key); // could not obtain a set: keep serving the last one
    }
    server.answer({ keys: [] });
    clock.now += 5_000;
    expect((await refusal(cache.refresh())).code).toBe('jwks_unavailable');
    expect(cache.peek('k1', 'ES256')).toBeUndefined(); // obtained an empty set: authoritative
    server.answer({ keys: [jwk(0, 'k1')] });
    await cache.refresh();
    expect(cache.peek('k1', 'ES256')?.key.equals(key.key)).toBe(true); // republished: verifies again
  });

  it('ready() re-fetches (past the cooldown) while the set has no usable key, so a fixed issuer is seen', async () => {
    const server = await jwksServer({ keys: [] });
    const { cache, clock } = makeCache(server);
    expect((await refusal(cache.ready())).message).toContain('the JWK Set is empty');
    expect((await refusal(cache.ready())).code).toBe('jwks_unavailable'); // within the cooldown: no fetch
    expect(server.requests).toBe(1);
    server.answer({ keys: [jwk(0, 'k1')] });
    clock.now += 5_000;
    await cache.ready();
    expect(server.requests).toBe(2);
    expect((await cache.getKey('k1', 'ES256')).kid).toBe('k1');
  });

  it('ready() loads the keys once, resolves at once when they are cached, and rejects with the cause', async () => {
    const server = await jwksServer({ status: 404 });
    const warnings: string[] = [];
    const { cache, clock } = makeCache(server, { warn: (_cause, message) => warnings.push(message) });
    const error = await refusal(cache.ready());
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toBe(
      `could not load the JWKS: GET ${server.url} answered HTTP 404; likely fix: nothing is served at ${server.url}: check issuer (for Okta: https://{yourOktaDomain}/oauth2/default, or https://{yourOktaDomain} for the org server) or set jwksUri to the issuer's jwks_uri`,
    );
    expect(warnings).toEqual([error.message]);
    server.answer({ keys: [jwk(0, 'k1')] });
    clock.now += 5_000;
    await cache.ready();
    await cache.ready();
    expect(server.requests).toBe(2);
  });
});
