import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { runDpopSteps } from './demo-dpop.js';
import { listen } from './listen.js';
import { createTranscript } from './transcript.js';

const SECRET = 'dev-only-test-secret';
let server: DevAuthorizationServer;

beforeAll(async () => {
  server = await createDevAuthorizationServer({
    clients: [{ client_id: 'dpop', client_secret: SECRET, scopes: ['customScope'] }],
  });
});
afterAll(async () => {
  await server?.close();
});

/** Runs the three DPoP steps against an API with `dpop` set as given. */
async function runWith(dpop: 'allowed' | false) {
  let app: ReturnType<typeof createApi> | undefined;
  const api = await listen((req, res) => app?.(req, res));
  try {
    app = createApi({ issuer: server.issuer, audience: 'api://default', resource: `${api.url}/api`, dpop });
    const transcript = createTranscript({ write: () => {} });
    const result = await runDpopSteps({
      transcript,
      apiUrl: api.url,
      issuer: server.issuer,
      clientId: 'dpop',
      clientSecret: SECRET,
      scope: 'customScope',
    });
    return { result, steps: transcript.results };
  } finally {
    await api.close();
  }
}

describe('runDpopSteps (openid-client DPoP against the API)', () => {
  it("with dpop: 'allowed': 200 with the proof, 401 as Bearer, 401 on replay", async () => {
    const { result, steps } = await runWith('allowed');
    expect(steps.map((step) => [step.status, step.ok])).toEqual([
      [200, true],
      [401, true],
      [401, true],
    ]);
    expect(result).toEqual({ tokenType: 'dpop', bound: true, scheme: 'DPoP' });
  });

  it('fails its first step when the API does not take DPoP (so the 200 is not a given)', async () => {
    const { result, steps } = await runWith(false);
    expect(steps[0]).toMatchObject({ ok: false });
    expect(result.bound).toBe(true); // the token is bound all the same; the API refuses the DPoP scheme
    // A bound token sent as Bearer is refused in every mode (RFC 9449 §7.1).
    expect(steps[1]).toMatchObject({ ok: true, status: 401 });
  });
});
