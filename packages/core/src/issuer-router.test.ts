import { describe, expect, it } from 'vitest';
import { TokenError } from './errors.js';
import {
  couldBeIssuer,
  DynamicIssuerRouter,
  MAX_ISSUER_LENGTH,
  staticIssuerRouter,
} from './issuer-router.js';
import { resolveMultiOptions } from './options.js';
import { createTrustedIssuer, type IssuerRuntime } from './trusted-issuer.js';

function runtime(fetched: string[] = []): IssuerRuntime {
  return {
    fetch: async (input) => {
      fetched.push(String(input));
      throw new Error('no network in this test');
    },
    emit: () => {},
    warnings: false,
    now: Date.now,
  };
}

function refusalOf(run: () => unknown): TokenError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  }
  throw new Error('expected a refusal');
}

describe('couldBeIssuer: which iss an issuers function is ever asked about', () => {
  it.each([
    'https://tenant.example.com',
    'https://tenant.example.com/',
    'https://tenant.example.com/oauth2/default',
    'http://127.0.0.1:8080/realms/a',
    'http://tenant.example.com', // asked, so that trusting it is refused loudly
  ])('asks about %s', (iss) => {
    expect(couldBeIssuer(iss)).toBe(true);
  });

  it.each([
    '',
    'tenant',
    'urn:tenant:a',
    'ftp://tenant.example.com/',
    'HTTPS://tenant.example.com/',
    'https://tenant.example.com:443/',
    ' https://tenant.example.com/',
    'https://tenant.example.com/a/../b',
    'https://tenant.example.com/?x=1',
    'https://tenant.example.com/#x',
    `https://tenant.example.com/${'a'.repeat(MAX_ISSUER_LENGTH)}`,
  ])('never asks about %j', (iss) => {
    expect(couldBeIssuer(iss)).toBe(false);
  });
});

describe('staticIssuerRouter', () => {
  const m = resolveMultiOptions({
    issuers: Array.from({ length: 100 }, (_, i) => ({ issuer: `https://t${i}.example.com/` })),
    audience: 'api://default',
  });
  const issuers = (m.issuers ?? []).map((settings) => createTrustedIssuer(settings, runtime()));
  const router = staticIssuerRouter(issuers);

  it('routes by the exact iss, synchronously, to that issuer', () => {
    expect(router.route({ iss: 'https://t42.example.com/' })).toBe(issuers[42]);
    expect(router.route({ iss: 'https://t99.example.com/' })).toBe(issuers[99]);
  });

  it('refuses any other iss at once, naming a few trusted issuers for the logs', () => {
    const error = refusalOf(() => router.route({ iss: 'https://t42.example.com' }));
    expect(error.code).toBe('issuer_invalid');
    expect(error.message).toMatch(/is not a trusted issuer \(trusted: .*, and 97 more\)/);
    expect(refusalOf(() => router.route({})).message).toMatch(/no "iss" claim/);
    expect(refusalOf(() => router.route({ iss: { a: 1 } })).message).toMatch(/must be a string/);
  });
});

describe('DynamicIssuerRouter: bounded whatever the tokens say', () => {
  function router(resolve: (iss: string) => unknown, fetched: string[] = [], maxRefused = 1_000) {
    const m = resolveMultiOptions({
      issuers: resolve as never,
      audience: 'api://default',
      resolver: { maxRefused },
      maxIssuers: 10,
    });
    return new DynamicIssuerRouter({
      resolve: m.resolve as never,
      defaults: m.defaults,
      runtime: runtime(fetched),
      maxIssuers: m.maxIssuers,
      resolver: m.resolver,
      failureMaxAge: 5_000,
      maxStale: 60_000,
    });
  }

  it('10,000 distinct refused iss: at most maxRefused remembered, none live or pending, nothing fetched', async () => {
    const fetched: string[] = [];
    const r = router(() => undefined, fetched, 1_000);
    for (let i = 0; i < 10_000; i++) {
      await expect(r.route({ iss: `https://fake-${i}.example.com/` })).rejects.toMatchObject({
        code: 'issuer_invalid',
      });
    }
    expect(r.stats()).toEqual({ live: 0, refused: 1_000, pending: 0, calls: 10_000 });
    expect(fetched).toEqual([]);
  });

  it('10,000 distinct trusted iss (a function that trusts too much): at most maxIssuers live, nothing fetched', async () => {
    const fetched: string[] = [];
    const r = router((iss) => ({ issuer: iss }), fetched);
    for (let i = 0; i < 10_000; i++) await r.route({ iss: `https://tenant-${i}.example.com/` });
    expect(r.stats()).toMatchObject({ live: 10, refused: 0, pending: 0 });
    expect(fetched).toEqual([]); // routing loads no key; only a key lookup would
  });

  it('shares one call between concurrent first requests for one iss', async () => {
    let calls = 0;
    const r = router(async (iss) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { issuer: iss };
    });
    const routed = await Promise.all(
      Array.from({ length: 50 }, () => r.route({ iss: 'https://tenant.example.com/' })),
    );
    expect(calls).toBe(1);
    expect(new Set(routed).size).toBe(1);
    expect(r.stats().pending).toBe(0);
  });

  it('drops the least recently used issuer first, retiring it', async () => {
    const r = router((iss) => ({ issuer: iss }));
    const first = await r.route({ iss: 'https://t0.example.com/' });
    for (let i = 1; i < 10; i++) await r.route({ iss: `https://t${i}.example.com/` });
    expect(r.route({ iss: 'https://t0.example.com/' })).toBe(first); // used again: now the most recent
    await r.route({ iss: 'https://t10.example.com/' });
    expect(r.find('https://t0.example.com/')).toBe(first);
    expect(r.find('https://t1.example.com/')).toBeUndefined();
    expect(first.retired).toBe(false);
    for (let i = 11; i < 21; i++) await r.route({ iss: `https://t${i}.example.com/` });
    expect(first.retired).toBe(true);
  });
});
