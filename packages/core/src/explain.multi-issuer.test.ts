import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnyExplainOptions, explainToken } from './explain.js';
import type { FetchFunction, MultiIssuerVerifierOptions } from './types.js';
import { createVerifier } from './verifier.js';

let a: TestIssuer;
let b: TestIssuer;
let untrusted: TestIssuer;
beforeAll(async () => {
  [a, b, untrusted] = await Promise.all([createTestIssuer(), createTestIssuer(), createTestIssuer()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close(), untrusted.close()]);
});

function options(fetch: FetchFunction = globalThis.fetch): MultiIssuerVerifierOptions {
  return {
    issuers: [
      { issuer: a.issuer, jwksUri: a.jwksUri },
      { issuer: b.issuer, jwksUri: b.jwksUri, audience: 'api://b', clientIds: ['svc-b'] },
    ],
    audience: 'api://default',
    fetch,
  };
}

const stepIds = (steps: readonly { step: string }[]) => steps.map((s) => s.step);

describe('explainToken with several issuers', () => {
  it('routes the token as verify does, adds an issuer step, and applies that issuer’s settings', async () => {
    const token = await b.mint({ aud: 'api://b', cid: 'svc-b' });
    const result = await explainToken(token, { ...options(), scopes: { allOf: ['api:read'] } });
    expect(result.outcome).toBe('accepted');
    expect(stepIds(result.steps).slice(0, 3)).toEqual(['parse', 'issuer', 'alg']);
    const issuerStep = result.steps.find((s) => s.step === 'issuer');
    expect(issuerStep).toMatchObject({ status: 'pass' });
    expect(issuerStep?.detail).toContain('issuers[1]');
    expect(result.steps.find((s) => s.step === 'aud')?.detail).toContain('"api://b"');
  });

  it('stops at the issuer step for an untrusted iss, fetching nothing', async () => {
    const urls: string[] = [];
    const recording: FetchFunction = (input, init) => {
      urls.push(String(input));
      return globalThis.fetch(input, init);
    };
    const result = await explainToken(await untrusted.mint(), options(recording));
    expect(result.outcome).toBe('refused');
    expect(result.error?.code).toBe('issuer_invalid');
    const issuerStep = result.steps.find((s) => s.step === 'issuer');
    expect(issuerStep).toMatchObject({ status: 'fail', error: { code: 'issuer_invalid' } });
    expect(result.steps.filter((s) => s.status !== 'skip').map((s) => s.step)).toEqual(['parse', 'issuer']);
    expect(urls).toEqual([]);
    expect(untrusted.requests.total).toBe(0);
  });

  it('says unchecked when the issuers function fails, and explains with its answer otherwise', async () => {
    const failing = await explainToken(await a.mint(), {
      issuers: () => {
        throw new Error('tenant store down');
      },
      audience: 'api://default',
    });
    expect(failing.outcome).toBe('unchecked');
    expect(failing.error?.code).toBe('jwks_unavailable');

    const answering = await explainToken(await a.mint(), {
      issuers: (iss) => (iss === a.issuer ? { issuer: a.issuer, jwksUri: a.jwksUri } : undefined),
      audience: 'api://default',
    });
    expect(answering.outcome).toBe('accepted');
    expect(answering.steps.find((s) => s.step === 'issuer')?.detail).toContain('the issuers function');
  });

  it('reports a token that does not parse at the parse step', async () => {
    const result = await explainToken('not-a-token', options());
    expect(result.outcome).toBe('refused');
    expect(result.error?.code).toBe('token_malformed');
    expect(result.steps[0]).toMatchObject({ step: 'parse', status: 'fail' });
  });

  it('agrees with verify on the verdict and the code', async () => {
    const verifier = createVerifier(options());
    const cases = [
      await a.mint(),
      await b.mint({ aud: 'api://b', cid: 'svc-b' }),
      await b.mint({ cid: 'svc-b' }), // aud api://default: B wants api://b
      await b.mint({ aud: 'api://b', cid: 'svc-a' }),
      await a.mint({}, { expiresIn: -600 }),
      await a.mint({ iss: b.issuer }),
      await untrusted.mint(),
      await a.mint({ iss: undefined }),
    ];
    for (const token of cases) {
      const verdict = await verifier.verify(token).then(
        () => 'accepted',
        (error) => error.code,
      );
      const explained = await explainToken(token, options() as AnyExplainOptions);
      expect(explained.accepted ? 'accepted' : explained.error?.code).toBe(verdict);
    }
  });
});
