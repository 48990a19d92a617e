import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_WARNING_CODE } from './config-warnings.js';
import { isTokenError, type TokenError } from './errors.js';
import type { VerifierOptions } from './types.js';
import { createVerifier } from './verifier.js';

// Misconfiguration must be loud (issue 12): one process warning per cause, with the fix; never for outages.

const warnings: Error[] = [];
const onWarning = (warning: Error) => {
  if ((warning as Error & { code?: string }).code === CONFIG_WARNING_CODE) warnings.push(warning);
};
const issuers: TestIssuer[] = [];

beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(async () => {
  process.off('warning', onWarning);
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close()));
});

async function issuerWith(options: Parameters<typeof createTestIssuer>[0] = {}): Promise<TestIssuer> {
  const issuer = await createTestIssuer(options);
  issuers.push(issuer);
  return issuer;
}

/** process.emitWarning delivers on a later tick. */
const delivered = () => new Promise((resolve) => setImmediate(resolve));

async function rejection(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (error) {
    if (isTokenError(error)) return error;
    throw error;
  }
  throw new Error('expected a TokenError');
}

function verifierFor(issuer: TestIssuer, extra: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: issuer.issuer,
    audience: 'api://default',
    jwks: { cooldown: 0 },
    ...extra,
  });
}

describe('configuration warnings (SCOPEGUARD_CONFIG)', () => {
  it('an issuer configured with a trailing slash the metadata lacks: ready() says so and what to configure, warned once', async () => {
    const issuer = await issuerWith();
    const verifier = verifierFor(issuer, { issuer: `${issuer.issuer}/` });
    const error = await rejection(verifier.ready());
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toContain(
      `likely fix: the issuer's metadata says ${issuer.issuer} without a trailing slash; configure issuer: "${issuer.issuer}"`,
    );
    for (let i = 0; i < 3; i++) await rejection(verifier.verify(await issuer.mint()));
    await rejection(verifier.ready());
    await delivered();
    expect(warnings.map((warning) => warning.message)).toEqual([
      `scopeguard cannot verify tokens from ${issuer.issuer}/: ${error.message}`,
    ]);
    expect(warnings[0]?.name).toBe('Warning');
  });

  it.each([
    [
      'HTTP 404 on the JWKS',
      { kind: 'status', status: 404 },
      /answered HTTP 404; likely fix: nothing is served at/,
    ],
    [
      'HTTP 401 on the JWKS',
      { kind: 'status', status: 401 },
      /answered HTTP 401; likely fix: a JWKS is public/,
    ],
    [
      'a web page instead of JSON',
      { kind: 'garbage', body: '<html>login</html>', contentType: 'text/html' },
      /does not answer with JSON/,
    ],
    [
      'JSON that is not a JWK Set',
      { kind: 'garbage', body: '{"issuer":"x"}' },
      /is not a JWK Set .*set jwksUri to its "jwks_uri"/,
    ],
  ] as const)('warns once for %s, with the likely fix', async (_name, fault, fix) => {
    const issuer = await issuerWith();
    issuer.setJwksFault(fault);
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri });
    const error = await rejection(verifier.ready());
    expect(error.message).toMatch(fix);
    await rejection(verifier.refreshKeys());
    await rejection(verifier.verify(await issuer.mint()));
    await delivered();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(error.message);
  });

  it('warns once when the issuer publishes no key for the allowed algorithms', async () => {
    const issuer = await issuerWith({ algorithm: 'ES256' });
    const verifier = verifierFor(issuer);
    const error = await rejection(verifier.ready());
    expect(error.code).toBe('jwks_unavailable');
    expect(error.message).toContain('the issuer publishes only ES256 keys; this verifier allows RS256');
    const refused = await rejection(verifier.verify(await issuer.mint()));
    expect(refused.code).toBe('alg_not_allowed'); // the token's own alg is refused first
    await rejection(verifier.refreshKeys());
    await delivered();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(
      'likely fix: if your tokens are signed with ES256, add ES256 to the algorithms option',
    );
  });

  it.each([
    ['HTTP 503', { kind: 'status', status: 503 }],
    ['HTTP 429', { kind: 'status', status: 429 }],
    ['a dropped connection', { kind: 'drop' }],
  ] as const)('stays quiet on a transient failure (%s): events only', async (_name, fault) => {
    const issuer = await issuerWith();
    issuer.setJwksFault(fault);
    const events: string[] = [];
    const verifier = verifierFor(issuer, { onEvent: (event) => events.push(event.type) });
    const error = await rejection(verifier.ready());
    expect(error.message).not.toContain('likely fix');
    await delivered();
    expect(warnings).toEqual([]);
    expect(events).toContain('jwks_fetch_failed');
  });

  it('stays quiet on a refused connection', async () => {
    const issuer = await issuerWith();
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri });
    await issuer.close();
    await rejection(verifier.ready());
    await delivered();
    expect(warnings).toEqual([]);
  });

  it('warnings: false silences them; the rejection still names the cause and the fix', async () => {
    const issuer = await issuerWith();
    issuer.setJwksFault({ kind: 'status', status: 404 });
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri, warnings: false });
    expect((await rejection(verifier.ready())).message).toMatch(/likely fix/);
    await delivered();
    expect(warnings).toEqual([]);
  });
});

describe('ready() and refreshKeys()', () => {
  it('ready() fetches only when no usable keys are cached; refreshKeys() always fetches', async () => {
    const issuer = await issuerWith();
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri });
    await verifier.ready();
    await verifier.ready();
    expect(issuer.requests.jwks).toBe(1);
    await verifier.verify(await issuer.mint());
    expect(issuer.requests.jwks).toBe(1);
    await verifier.refreshKeys();
    expect(issuer.requests.jwks).toBe(2);
    await Promise.all([verifier.ready(), verifier.ready()]);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('concurrent ready() calls on a cold verifier share one discovery and one JWKS fetch', async () => {
    const issuer = await issuerWith();
    const verifier = verifierFor(issuer);
    await Promise.all(Array.from({ length: 10 }, () => verifier.ready()));
    expect(issuer.requests.jwks).toBe(1);
  });
});
