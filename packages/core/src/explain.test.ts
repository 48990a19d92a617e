import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, TOKEN_ERROR_CODES, type TokenError, type TokenErrorCode } from './errors.js';
import { type ExplainOptions, explainToken, formatDuration } from './explain.js';
import { type ClaimPolicy, checkClaims, runClaimChecks } from './claims.js';
import { assertScopes } from './scopes.js';
import { createVerifier } from './verifier.js';

let issuer: TestIssuer;
let brokenJwks: TestIssuer;
beforeAll(async () => {
  // No socket: both issuers answer through their in-process fetch.
  issuer = await createTestIssuer({ listen: false });
  brokenJwks = await createTestIssuer({ listen: false, origin: 'https://broken.test' });
  brokenJwks.setJwksFault({ kind: 'status', status: 503 });
});
afterAll(async () => {
  await issuer.close();
  await brokenJwks.close();
});

const base = (extra: Partial<ExplainOptions> = {}): ExplainOptions => ({
  issuer: issuer.issuer,
  audience: 'api://default',
  fetch: issuer.fetch,
  ...extra,
});

/** What `verify` (then `assertScopes`, as an adapter would) says about a token. */
async function verdictOfVerify(token: string, options: ExplainOptions) {
  const { scopes, ...verifierOptions } = options;
  try {
    const verified = await createVerifier(verifierOptions).verify(token);
    if (scopes) assertScopes(verified, scopes);
    return { accepted: true, code: undefined };
  } catch (error) {
    return { accepted: false, code: (error as TokenError).code };
  }
}

interface Case {
  name: string;
  token: () => Promise<string>;
  options?: () => Partial<ExplainOptions>;
  code: TokenErrorCode | undefined;
  failedStep?: string;
}

const hour = 3600;
const cases: Case[] = [
  { name: 'a good token', token: () => issuer.mint({ scp: ['customScope'] }), code: undefined },
  {
    name: 'a good token with the scope asked for',
    token: () => issuer.mint({ scp: ['customScope', 'x'] }),
    options: () => ({ scopes: { allOf: ['customScope'] } }),
    code: undefined,
  },
  {
    name: 'a good RFC 9068 token in strict typ mode',
    token: () => issuer.mint({}, { profile: 'rfc9068' }),
    options: () => ({ typ: 'strict' }),
    code: undefined,
  },
  {
    name: 'not a JWS at all',
    token: async () => 'not-a-token',
    code: 'token_malformed',
    failedStep: 'parse',
  },
  {
    name: 'a crit header',
    token: () => issuer.mint({}, { header: { crit: ['exp'] } }),
    code: 'token_malformed',
    failedStep: 'parse',
  },
  {
    name: 'an unsigned token (empty signature)',
    token: () => issuer.mint({}, { unsigned: true }),
    code: 'token_malformed',
    failedStep: 'parse',
  },
  {
    name: 'alg HS256 (outside the allowlist)',
    token: () => issuer.mint({}, { header: { alg: 'HS256' } }),
    code: 'alg_not_allowed',
    failedStep: 'alg',
  },
  {
    name: 'an allowed alg that does not fit the key (PS256 header, RS256 key)',
    token: () => issuer.mint({}, { header: { alg: 'PS256' } }),
    options: () => ({ algorithms: ['RS256', 'PS256'] }),
    code: 'alg_not_allowed',
    failedStep: 'key',
  },
  {
    name: 'an unknown kid',
    token: () => issuer.mint({}, { header: { kid: 'not-published' } }),
    code: 'key_not_found',
    failedStep: 'key',
  },
  {
    name: 'a forged signature (right kid, foreign key)',
    token: () => issuer.mint({}, { foreignKey: true }),
    code: 'signature_invalid',
    failedStep: 'signature',
  },
  {
    name: 'an expired token',
    token: () => issuer.mint({}, { expiresIn: -60 }),
    code: 'token_expired',
    failedStep: 'exp',
  },
  {
    name: 'a token too old for maxTokenAge',
    token: () => issuer.mint({ iat: Math.floor(Date.now() / 1000) - 2 * hour }, { expiresIn: 3 * hour }),
    options: () => ({ maxTokenAge: hour }),
    code: 'token_expired',
    failedStep: 'iat',
  },
  {
    name: 'a token not valid yet (nbf)',
    token: () => issuer.mint({}, { notBefore: 600 }),
    code: 'token_not_yet_valid',
    failedStep: 'nbf',
  },
  {
    name: 'a foreign issuer',
    token: () => issuer.mint({ iss: 'https://elsewhere.example/oauth2/default' }),
    code: 'issuer_invalid',
    failedStep: 'iss',
  },
  {
    name: 'a wrong audience',
    token: () => issuer.mint({ aud: 'api://other' }),
    code: 'audience_invalid',
    failedStep: 'aud',
  },
  {
    name: 'a client outside the allowlist',
    token: () => issuer.mint({ cid: 'intruder' }),
    options: () => ({ clientIds: ['svc'] }),
    code: 'client_not_allowed',
    failedStep: 'client_id',
  },
  {
    name: 'an ID token (nonce)',
    token: () => issuer.mint({ nonce: 'n-0S6_WzA2Mj' }),
    code: 'claim_invalid',
    failedStep: 'id_token',
  },
  {
    name: 'a missing typ in strict mode',
    token: () => issuer.mint(),
    options: () => ({ typ: 'strict' }),
    code: 'claim_invalid',
    failedStep: 'typ',
  },
  {
    name: 'a malformed scp',
    token: () => issuer.mint({ scp: 'a b' }),
    code: 'claim_invalid',
    failedStep: 'scope_claim',
  },
  {
    name: 'a failed requiredClaims rule',
    token: () => issuer.mint({ ver: 1 }),
    options: () => ({ requiredClaims: { ver: 2 } }),
    code: 'claim_invalid',
    failedStep: 'required_claims',
  },
  {
    name: 'a valid token without the scope asked for',
    token: () => issuer.mint({ scp: ['other'] }),
    options: () => ({ scopes: { allOf: ['customScope'] } }),
    code: 'insufficient_scope',
    failedStep: 'scopes',
  },
  {
    name: 'keys that cannot be loaded (JWKS answers 503)',
    token: () => brokenJwks.mint(),
    options: () => ({ issuer: brokenJwks.issuer, fetch: brokenJwks.fetch }),
    code: 'jwks_unavailable',
    failedStep: 'key',
  },
  {
    name: 'a discovery document that names another issuer',
    token: () => issuer.mint(),
    options: () => ({ issuer: `${issuer.issuer}/` }),
    code: 'jwks_unavailable',
    failedStep: 'discovery',
  },
];

describe('explainToken agrees with verify', () => {
  it('covers every TokenError code', () => {
    expect(new Set(cases.map((c) => c.code).filter(Boolean))).toEqual(new Set(TOKEN_ERROR_CODES));
  });

  for (const c of cases) {
    it(`gives verify's verdict and code for ${c.name}`, async () => {
      const token = await c.token();
      const options = base(c.options?.());
      const [explanation, verdict] = await Promise.all([
        explainToken(token, options),
        verdictOfVerify(token, options),
      ]);
      expect(verdict.code).toBe(c.code);
      expect(explanation.accepted).toBe(verdict.accepted);
      expect(explanation.error?.code).toBe(verdict.code);
      const failed = explanation.steps.filter((step) => step.status === 'fail');
      if (c.code === undefined) {
        expect(failed).toEqual([]);
        expect(explanation.outcome).toBe('accepted');
      } else {
        // The first failing step is the one verify stopped at, with verify's code.
        expect(failed[0]?.step).toBe(c.failedStep);
        expect(failed[0]?.error?.code).toBe(c.code);
        expect(explanation.outcome).toBe(c.code === 'jwks_unavailable' ? 'unchecked' : 'refused');
      }
      // Never the token, never its signature.
      const text = JSON.stringify({ ...explanation, error: explanation.error?.message });
      expect(text).not.toContain(token);
      const signature = token.split('.')[2];
      if (signature) expect(text).not.toContain(signature);
    });
  }
});

describe('explainToken: the steps', () => {
  it('lists every step of verify in order, each passing, for a good token', async () => {
    const token = await issuer.mint({ scp: ['customScope'], cid: 'svc' });
    const { steps, header, claims, jwksUri } = await explainToken(
      token,
      base({ scopes: { allOf: ['customScope'] } }),
    );
    expect(steps.map((s) => s.step)).toEqual([
      'parse',
      'alg',
      'discovery',
      'key',
      'signature',
      'typ',
      'id_token',
      'iss',
      'aud',
      'exp',
      'nbf',
      'iat',
      'sub',
      'client_id',
      'scope_claim',
      'required_claims',
      'scopes',
    ]);
    const status = Object.fromEntries(steps.map((s) => [s.step, s.status]));
    expect(status).toMatchObject({
      parse: 'pass',
      signature: 'pass',
      exp: 'pass',
      nbf: 'skip',
      scopes: 'pass',
    });
    expect(steps.find((s) => s.step === 'discovery')?.detail).toContain('oauth-authorization-server');
    expect(steps.find((s) => s.step === 'exp')?.detail).toMatch(/^expires in 59 min 5\d s|^expires in 1 h/);
    expect(header?.kid).toBe(issuer.activeKid);
    expect(claims?.cid).toBe('svc');
    expect(jwksUri).toBe(issuer.jwksUri);
  });

  it('reports every claim problem, not only the first one verify stops at', async () => {
    const token = await issuer.mint({ aud: 'api://other', cid: 'intruder' }, { expiresIn: -120 });
    const result = await explainToken(token, base({ clientIds: ['svc'], scopes: { allOf: ['missing'] } }));
    expect(result.error?.code).toBe('audience_invalid');
    const failed = result.steps.filter((s) => s.status === 'fail').map((s) => [s.step, s.error?.code]);
    expect(failed).toEqual([
      ['aud', 'audience_invalid'],
      ['exp', 'token_expired'],
      ['client_id', 'client_not_allowed'],
      ['scopes', 'insufficient_scope'],
    ]);
  });

  it('says how long ago an expired token expired, at one instant for every check', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const iat = now / 1000 - 3 * hour;
    const token = await issuer.mint({ iat, exp: iat + hour });
    const result = await explainToken(token, base({ now: () => now }));
    expect(result.checkedAt).toBe(now);
    expect(result.steps.find((s) => s.step === 'exp')).toMatchObject({
      status: 'fail',
      detail: 'expired 2 h ago (2030-01-01T10:00:00.000Z)',
    });
    expect(result.steps.find((s) => s.step === 'iat')?.detail).toBe(
      'issued 3 h ago (2030-01-01T09:00:00.000Z)',
    );
  });

  it('does not check claims whose signature does not verify', async () => {
    const token = await issuer.mint({ aud: 'api://other' }, { foreignKey: true });
    const result = await explainToken(token, base());
    expect(result.steps.filter((s) => s.status === 'fail').map((s) => s.step)).toEqual(['signature']);
    expect(result.steps.find((s) => s.step === 'aud')?.status).toBe('skip');
  });

  it('skips discovery when jwksUri is configured', async () => {
    const result = await explainToken(await issuer.mint(), base({ jwksUri: issuer.jwksUri }));
    expect(result.accepted).toBe(true);
    expect(result.steps.find((s) => s.step === 'discovery')).toMatchObject({ status: 'skip' });
  });

  it('rejects unusable options with ConfigError, before any request', async () => {
    await expect(explainToken('x', base({ issuer: 'http://issuer.example' }))).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});

describe('formatDuration', () => {
  it('writes durations for people', () => {
    expect([0, 42, 60, 185, 3600, 7800, 90_000, 3 * 86_400 + 4 * 3600, -125].map(formatDuration)).toEqual([
      '0 s',
      '42 s',
      '1 min',
      '3 min 5 s',
      '1 h',
      '2 h 10 min',
      '25 h',
      '3 d 4 h',
      '2 min 5 s',
    ]);
  });
});

describe('runClaimChecks (the claim rows one by one)', () => {
  it('reports first the failure checkClaims throws, then every other one', () => {
    const policy: ClaimPolicy = {
      issuer: 'https://issuer.example',
      audiences: ['api://default'],
      clientIds: ['svc'],
      clockTolerance: 5,
      maxTokenAge: undefined,
      typ: 'any',
      requiredClaims: [],
    };
    const now = 1_700_000_000_000;
    const payloads: Record<string, unknown>[] = [
      { iss: 'https://other', aud: 'api://x', exp: 1, cid: 'no' },
      { iss: policy.issuer, aud: 'api://default', exp: 1, cid: 'svc', scp: 'a' },
      { iss: policy.issuer, aud: 'api://default', exp: 2e9, nbf: 2e9, cid: 'svc' },
    ];
    for (const claims of payloads) {
      const rows = runClaimChecks({ alg: 'RS256' }, claims, policy, now).filter((row) => row.error);
      let thrown: unknown;
      try {
        checkClaims({ alg: 'RS256' }, claims, policy, now);
      } catch (error) {
        thrown = error;
      }
      expect(rows.length).toBeGreaterThan(0);
      expect(rows[0]?.error).toEqual(thrown);
    }
    expect(
      runClaimChecks({ alg: 'RS256' }, payloads[0]!, policy, now)
        .filter((row) => row.error)
        .map((row) => row.name),
    ).toEqual(['iss', 'aud', 'exp', 'cid / client_id']);
  });
});
