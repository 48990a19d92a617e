import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRefusal, createApi } from './api.js';
import { createClientCredentialsClient } from './client.js';
import { descriptionCode, runIssuerSteps } from './demo-issuers.js';
import { listen, type RunningServer } from './listen.js';
import { createTranscript } from './transcript.js';

const AUDIENCE = 'api://default';
const SECRET = 'dev-only-test-secret';
const clients = [{ client_id: 'reader', client_secret: SECRET, scopes: ['customScope'] }];

let main: DevAuthorizationServer;
let partner: DevAuthorizationServer;
let untrusted: DevAuthorizationServer;

beforeAll(async () => {
  main = await createDevAuthorizationServer({ clients, audience: AUDIENCE });
  partner = await createDevAuthorizationServer({
    clients,
    audience: AUDIENCE,
    issuerPath: '/oauth2/partner',
  });
  untrusted = await createDevAuthorizationServer({ clients, audience: AUDIENCE, issuerPath: '/oauth2/x' });
});

afterAll(async () => {
  await Promise.all([main?.close(), partner?.close(), untrusted?.close()]);
});

/** Runs the steps against an API trusting `trusted`; returns the steps' outcome and the printed lines. */
async function runAgainst(trusted: readonly DevAuthorizationServer[]) {
  untrusted.requests.reset();
  const apiLog: ApiRefusal[] = [];
  const lines: string[] = [];
  let api: RunningServer | undefined;
  try {
    api = await listen(
      createApi({
        issuers: trusted.map((server) => ({ issuer: server.issuer })),
        audience: AUDIENCE,
        onRefusal: (refusal) => apiLog.push(refusal),
      }),
    );
    const transcript = createTranscript({ write: (text) => lines.push(text) });
    const result = await runIssuerSteps({
      transcript,
      apiUrl: api.url,
      partner,
      untrusted,
      apiLog,
      clientOf: (server) =>
        createClientCredentialsClient({
          issuer: server.issuer,
          clientId: 'reader',
          scope: 'customScope',
          auth: { method: 'client_secret_basic', clientSecret: SECRET },
        }),
    });
    return { result, steps: transcript.results, lines, apiLog };
  } finally {
    await api?.close();
  }
}

describe('runIssuerSteps', () => {
  it('second trusted issuer → 200 with req.auth.issuer; untrusted → 401 issuer_invalid and 0 requests to it', async () => {
    const { result, steps, apiLog } = await runAgainst([main, partner]);
    expect(steps.map((step) => [step.status, step.ok])).toEqual([
      [200, true],
      [401, true],
    ]);
    expect(result.partnerIssuer).toBe(partner.issuer);
    expect(result.untrustedDescriptionCode).toBe('issuer_invalid');
    expect(result.untrustedLoggedCode).toBe('issuer_invalid');
    expect(apiLog.map((entry) => entry.code)).toEqual(['issuer_invalid']);
    // The client's own discovery and token request, then nothing: no metadata, no JWKS from the API.
    expect(result.countUntrusted()).toEqual({ fromClient: 2, afterApiGotToken: 0, jwks: 0 });
  });

  it('fails the step and counts the requests when the API does contact the "untrusted" server', async () => {
    // Misconfigured on purpose: the API trusts the third server too, so it fetches its metadata and keys.
    const { result, steps } = await runAgainst([main, partner, untrusted]);
    expect(steps[1]).toMatchObject({ ok: false, status: 200 });
    const count = result.countUntrusted();
    expect(count.fromClient).toBe(2);
    expect(count.afterApiGotToken).toBeGreaterThanOrEqual(2);
    expect(count.jwks).toBe(1);
  });
});

describe('descriptionCode', () => {
  it('reads the core code at the head of error_description', () => {
    expect(descriptionCode({ error_description: 'issuer_invalid: The token is not ours' })).toBe(
      'issuer_invalid',
    );
    expect(descriptionCode({ error_description: 'no code here' })).toBeUndefined();
    expect(descriptionCode(undefined)).toBeUndefined();
  });
});
