import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { inspectIssuer } from './inspect-issuer.js';
import type { VerifierOptions } from './types.js';
import { createVerifier } from './verifier.js';

const issuers: TestIssuer[] = [];
async function start(options: Parameters<typeof createTestIssuer>[0] = {}): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ listen: false, ...options });
  issuers.push(issuer);
  return issuer;
}
afterEach(async () => {
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close()));
});

const options = (issuer: TestIssuer, extra: Partial<VerifierOptions> = {}): VerifierOptions => ({
  issuer: issuer.issuer,
  audience: 'api://default',
  fetch: issuer.fetch,
  ...extra,
});

/** Whether a verifier so configured loads its keys: what inspectIssuer's `canVerify` must match. */
async function refreshes(verifierOptions: VerifierOptions): Promise<boolean> {
  return createVerifier(verifierOptions)
    .refreshKeys()
    .then(
      () => true,
      () => false,
    );
}

describe('inspectIssuer', () => {
  it('reports a healthy issuer: the metadata that answered, the JWKS answer and headers, each key', async () => {
    const issuer = await start({
      kid: 'k1',
      jwksHeaders: { 'cache-control': 'max-age=300, must-revalidate' },
    });
    const report = await inspectIssuer(options(issuer));
    expect(report.canVerify).toBe(true);
    expect(report.problem).toBeUndefined();
    expect(report.discovery).toEqual({
      status: 'pass',
      source: 'oauth-authorization-server',
      metadataUrl: issuer.metadataUrl,
      metadataIssuer: issuer.issuer,
    });
    expect(report.requests.map((r) => [r.purpose, r.url, r.status])).toEqual([
      ['metadata', issuer.metadataUrl, 200],
      ['jwks', issuer.jwksUri, 200],
    ]);
    const jwks = report.requests[1]!;
    expect(jwks.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'max-age=300, must-revalidate',
    });
    expect(jwks.bytes).toBe(JSON.stringify(issuer.publicJwks()).length);
    expect(report.jwks).toMatchObject({ status: 'pass', uri: issuer.jwksUri });
    expect(report.jwks.keys).toEqual([
      {
        index: 0,
        kid: 'k1',
        kty: 'RSA',
        alg: 'RS256',
        use: 'sig',
        crv: undefined,
        bits: 2048,
        couldVerify: 'RS256',
        boundTo: 'RS256',
      },
    ]);
    expect(report.accepts).toEqual([{ alg: 'RS256', kids: ['k1'] }]);
  });

  it('names the metadata issuer when it differs from the configured one only by a trailing slash', async () => {
    const issuer = await start();
    const report = await inspectIssuer(options(issuer, { issuer: `${issuer.issuer}/` }));
    expect(report.canVerify).toBe(false);
    expect(report.problem).toBe('configuration');
    expect(report.discovery.status).toBe('fail');
    expect(report.discovery.metadataIssuer).toBe(issuer.issuer);
    expect(report.discovery.error).toContain('metadata "issuer"');
    expect(report.jwks.status).toBe('skip');
    expect(report.error?.code).toBe('jwks_unavailable');
  });

  it('reports a misconfiguration in its result only, without a SCOPEGUARD_CONFIG process warning besides', async () => {
    const issuer = await start();
    const warned: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'SCOPEGUARD_CONFIG') warned.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      const report = await inspectIssuer(options(issuer, { issuer: `${issuer.issuer}/` }));
      expect(report.problem).toBe('configuration');
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warned).toEqual([]);
  });

  it('explains an issuer that publishes only ES256 keys to an RS256-only verifier', async () => {
    const issuer = await start({ algorithm: 'ES256', kid: 'e1' });
    const report = await inspectIssuer(options(issuer));
    expect(report.canVerify).toBe(false);
    expect(report.problem).toBe('configuration');
    expect(report.jwks).toMatchObject({ status: 'fail', reason: 'no_usable_keys' });
    expect(report.jwks.keys).toEqual([
      expect.objectContaining({
        kid: 'e1',
        kty: 'EC',
        crv: 'P-256',
        bits: 256,
        couldVerify: 'ES256',
        ignored: 'alg ES256 is not in the allowed algorithms (RS256)',
      }),
    ]);
    expect(report.accepts).toEqual([]);
  });

  it('lists what a mixed key set gives: usable RS256 keys, the ES256 one ignored', async () => {
    const issuer = await start({ kid: 'r1' });
    await issuer.addKey({ algorithm: 'ES256', kid: 'e1' });
    await issuer.addKey({ kid: 'r2' });
    const report = await inspectIssuer(options(issuer));
    expect(report.canVerify).toBe(true);
    expect(report.accepts).toEqual([{ alg: 'RS256', kids: ['r1', 'r2'] }]);
    expect(report.jwks.keys.map((k) => [k.kid, k.boundTo ?? 'ignored'])).toEqual([
      ['r1', 'RS256'],
      ['e1', 'ignored'],
      ['r2', 'RS256'],
    ]);
  });

  it('calls a 404 JWKS a configuration problem and a 503 an unreachable issuer', async () => {
    const missing = await start();
    missing.setJwksFault({ kind: 'status', status: 404 });
    const notFound = await inspectIssuer(options(missing));
    expect(notFound).toMatchObject({ canVerify: false, problem: 'configuration' });
    expect(notFound.jwks).toMatchObject({ status: 'fail', reason: 'status' });
    expect(notFound.requests.at(-1)).toMatchObject({ purpose: 'jwks', status: 404 });

    const down = await start({ origin: 'https://down.test' });
    down.setJwksFault({ kind: 'status', status: 503 });
    expect(await inspectIssuer(options(down))).toMatchObject({ canVerify: false, problem: 'unreachable' });
  });

  it('skips discovery when jwksUri is configured, and records a request that got no answer', async () => {
    const issuer = await start();
    const report = await inspectIssuer(options(issuer, { jwksUri: 'https://nowhere.test/keys' }));
    expect(report.discovery.status).toBe('skip');
    expect(report).toMatchObject({ canVerify: false, problem: 'unreachable' });
    expect(report.requests).toEqual([
      {
        purpose: 'jwks',
        url: 'https://nowhere.test/keys',
        headers: {},
        error: expect.stringContaining('fetch failed'),
      },
    ]);
  });

  it('says canVerify exactly when a verifier so configured loads its keys', async () => {
    const rs = await start({ origin: 'https://rs.test' });
    const es = await start({ origin: 'https://es.test', algorithm: 'ES256' });
    const configs: VerifierOptions[] = [
      options(rs),
      options(rs, { issuer: `${rs.issuer}/` }),
      options(rs, { algorithms: ['ES256'] }),
      options(es),
      options(es, { algorithms: ['RS256', 'ES256'] }),
      options(rs, { jwksUri: `${rs.issuer}/v1/nope` }),
    ];
    for (const config of configs) {
      const report = await inspectIssuer(config);
      expect(report.canVerify, JSON.stringify(config.algorithms)).toBe(await refreshes(config));
    }
  });

  it('rejects unusable options with ConfigError', async () => {
    await expect(inspectIssuer({ issuer: 'http://example.com', audience: 'a' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
