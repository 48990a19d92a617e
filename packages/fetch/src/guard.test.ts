import { ConfigError, createVerifier, type Verifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuard, type FetchGuard, type GuardResult } from './index.js';

const AUDIENCE = 'api://default';
const URL_BASE = 'https://api.example';

let issuer: TestIssuer;
let verifier: Verifier;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false, audience: AUDIENCE });
  verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, fetch: issuer.fetch });
});

afterAll(async () => {
  await issuer.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A GET with each [name, value] appended as its own field line (Headers joins repeats with ", "). */
function get(path: string, lines: [string, string][] = []): Request {
  const headers = new Headers();
  for (const [name, value] of lines) headers.append(name, value);
  return new Request(`${URL_BASE}${path}`, { headers });
}

const bearer = (token: string): [string, string][] => [['Authorization', `Bearer ${token}`]];

function refusal(result: GuardResult): Response {
  if (!(result instanceof Response)) throw new Error(`expected a Response, got ${JSON.stringify(result)}`);
  return result;
}

async function json(result: GuardResult): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = refusal(result);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
}

describe('createGuard: authentication', () => {
  let guard: FetchGuard;
  beforeAll(() => {
    guard = createGuard({ verifier });
  });

  it('grants a valid token, with the layer’s AuthInfo and no headers to add', async () => {
    const token = await issuer.mint({}, { scopes: ['customScope', 'other'] });
    const result = await guard(get('/x', bearer(token)));
    if (result instanceof Response) throw new Error('refused');
    expect(result.ok).toBe(true);
    expect(result.auth).toMatchObject({
      scopes: ['customScope', 'other'],
      clientId: '0oatestclient0000001',
      token,
    });
    expect(result.auth?.claims.iss).toBe(issuer.issuer);
    expect(result.headers).toEqual({});
  });

  it('answers 401 with a bare challenge and no error code when there is no token', async () => {
    const { status, headers, body } = await json(await guard(get('/x')));
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({ error: 'unauthorized', error_description: 'A bearer token is required' });
  });

  it('answers 400 invalid_request for a malformed Authorization header', async () => {
    const { status, headers, body } = await json(await guard(get('/x', [['Authorization', 'Bearer']])));
    expect(status).toBe(400);
    expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_request"/);
    expect(body).toMatchObject({ error: 'invalid_request' });
  });

  // F5 on fetch runtimes: Headers.get joins two field lines with ", ", and that joined value is refused.
  it.each(['strict', 'optional'] as const)(
    'answers 400 to two Authorization headers, Basic + Bearer <valid> (%s mode)',
    async (mode) => {
      const token = await issuer.mint();
      const strictOrOptional = mode === 'strict' ? guard : createGuard({ verifier, optional: true });
      const request = get('/x', [
        ['Authorization', 'Basic dXNlcjpwYXNz'],
        ['Authorization', `Bearer ${token}`],
      ]);
      expect(request.headers.get('authorization')).toBe(`Basic dXNlcjpwYXNz, Bearer ${token}`);
      const { status, body } = await json(await strictOrOptional(request));
      expect(status).toBe(400);
      expect(body).toEqual({
        error: 'invalid_request',
        error_description: 'The Authorization header is malformed',
      });
    },
  );

  it('answers 400 to two Bearer headers naming two identities, instead of choosing one', async () => {
    const u1 = await issuer.mint({ sub: 'u1', cid: 'u1' });
    const u2 = await issuer.mint({ sub: 'u2', cid: 'u2' });
    const result = await guard(get('/x', [...bearer(u1), ...bearer(u2)]));
    expect(refusal(result).status).toBe(400);
    const text = await refusal(result).text();
    expect(text).not.toContain(u1);
    expect(text).not.toContain(u2);
  });

  it.each([
    ['expired', { expiresIn: -3600 }, 'token_expired'],
    ['signed with a key the issuer never published', { foreignKey: true }, 'signature_invalid'],
  ])('answers 401 invalid_token for a token %s, never echoing it', async (_label, options, code) => {
    const token = await issuer.mint({}, options);
    const { status, headers, body } = await json(await guard(get('/x', bearer(token))));
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toMatch(
      new RegExp(`^Bearer realm="api", error="invalid_token", error_description="${code}: [^"]*"$`),
    );
    expect(body).toMatchObject({ error: 'invalid_token' });
    expect(JSON.stringify(body)).not.toContain(token.split('.')[2]);
    expect(headers.get('www-authenticate')).not.toContain(token.split('.')[2]);
  });

  it('answers 401 invalid_token naming what is wrong with the token, not the configured audience', async () => {
    const token = await issuer.mint({ aud: 'api://other' });
    const { status, headers, body } = await json(await guard(get('/x', bearer(token))));
    expect(status).toBe(401);
    expect(JSON.stringify(body)).not.toContain(AUDIENCE);
    expect(headers.get('www-authenticate')).not.toContain(AUDIENCE);
  });

  it('answers 503 with Retry-After and no challenge when the keys cannot be fetched (cold cache)', async () => {
    const down = await createTestIssuer({ listen: false });
    try {
      down.setJwksFault({ kind: 'status', status: 500 });
      const coldGuard = createGuard({
        issuer: down.issuer,
        audience: AUDIENCE,
        fetch: down.fetch,
        retryAfter: 30,
        warnings: false,
      });
      const { status, headers, body } = await json(await coldGuard(get('/x', bearer(await down.mint()))));
      expect(status).toBe(503);
      expect(headers.get('retry-after')).toBe('30');
      expect(headers.get('www-authenticate')).toBeNull();
      expect(headers.get('cache-control')).toBe('no-store');
      expect(body).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await down.close();
    }
  });

  it('rejects with an unexpected verifier error instead of answering it as a token problem', async () => {
    const broken: Verifier = { ...verifier, verify: () => Promise.reject(new Error('boom')) };
    await expect(createGuard({ verifier: broken })(get('/x', bearer('abc.def.ghi')))).rejects.toThrow('boom');
  });

  it('uses the realm and lets errorBody shape the body, receiving the Request', async () => {
    const seen: Request[] = [];
    const shaped = createGuard({
      verifier,
      realm: 'orders',
      errorBody: (failure, request) => {
        seen.push(request);
        return { problem: failure.error, path: new URL(request.url).pathname };
      },
    });
    const request = get('/orders');
    const { status, headers, body } = await json(await shaped(request));
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer realm="orders"');
    expect(body).toEqual({ problem: 'unauthorized', path: '/orders' });
    expect(seen).toEqual([request]);
  });
});

describe('createGuard: scopes per call', () => {
  let guard: FetchGuard;
  beforeAll(() => {
    guard = createGuard({ verifier });
  });

  it('requires every scope of `scopes` and one of `anyScopes`, with 403 and scope="…"', async () => {
    const a = await issuer.mint({}, { scopes: ['a'] });
    const ab = await issuer.mint({}, { scopes: ['a', 'b'] });
    const z = await issuer.mint({}, { scopes: ['z'] });

    const all = await json(await guard(get('/x', bearer(a)), { scopes: ['a', 'b'] }));
    expect(all.status).toBe(403);
    expect(all.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="api", error="insufficient_scope", error_description="This resource requires all of these scopes: a, b", scope="a b"$/,
    );
    expect(all.body).toMatchObject({ error: 'insufficient_scope' });
    expect(await guard(get('/x', bearer(ab)), { scopes: ['a', 'b'] })).not.toBeInstanceOf(Response);

    expect(await guard(get('/x', bearer(a)), { anyScopes: ['a', 'b'] })).not.toBeInstanceOf(Response);
    const any = await json(await guard(get('/x', bearer(z)), { anyScopes: ['a', 'b'] }));
    expect(any.status).toBe(403);
    expect(any.headers.get('www-authenticate')).toContain('one of these scopes: a, b", scope="a b"');

    const both = { scopes: ['a'], anyScopes: ['x', 'b'] };
    expect(await guard(get('/x', bearer(ab)), both)).not.toBeInstanceOf(Response);
    expect(refusal(await guard(get('/x', bearer(a)), both)).status).toBe(403);
  });

  it('refuses, with a ConfigError, a check that would leave the route unchecked or is invalid', async () => {
    const token = await issuer.mint({}, { scopes: ['read'] });
    const request = () => get('/x', bearer(token));
    await expect(guard(request(), {})).rejects.toThrow(ConfigError);
    // A misspelt key must not pass as "no scope required".
    await expect(guard(request(), { scope: ['admin'] } as never)).rejects.toThrow(
      /scope: is not a scope check/,
    );
    await expect(guard(request(), { scopes: [] })).rejects.toThrow(/scopes: must be a non-empty list/);
    await expect(guard(request(), { scopes: ['read write'] })).rejects.toThrow(
      /pass each one separately: scopes: \['read', 'write'\]/,
    );
    await expect(guard(request(), { anyScopes: ['a b'] })).rejects.toThrow(/anyScopes: \['a', 'b'\]/);
  });

  it('remembers a valid check by content, and never caches an invalid one', async () => {
    const token = await issuer.mint({}, { scopes: ['a'] });
    for (let i = 0; i < 3; i++) {
      expect(await guard(get('/x', bearer(token)), { scopes: ['a'] })).not.toBeInstanceOf(Response);
      await expect(guard(get('/x', bearer(token)), { scopes: ['a', 7 as never] })).rejects.toThrow(
        ConfigError,
      );
    }
    // Same strings, other lists: not confused with the cached ['a'].
    expect(refusal(await guard(get('/x', bearer(token)), { scopes: ['a', 'b'] })).status).toBe(403);
    expect(refusal(await guard(get('/x', bearer(token)), { anyScopes: ['b'] })).status).toBe(403);
  });
});

describe('createGuard: optional', () => {
  let guard: FetchGuard;
  beforeAll(() => {
    guard = createGuard({ verifier, optional: true });
  });

  it('grants a request without credentials with auth undefined, and still verifies a present token', async () => {
    const anonymous = await guard(get('/x'));
    expect(anonymous).toEqual({ ok: true, auth: undefined, headers: {} });
    const expired = await issuer.mint({}, { expiresIn: -60 });
    expect(refusal(await guard(get('/x', bearer(expired)))).status).toBe(401);
    expect(refusal(await guard(get('/x', [['Authorization', 'Bearer']]))).status).toBe(400);
  });

  it('answers 401 with a bare challenge when a scope is required and there is no token', async () => {
    const { status, headers } = await json(await guard(get('/x'), { scopes: ['customScope'] }));
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

describe('createGuard: query and form-body tokens', () => {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

  it('reads neither unless enabled', async () => {
    const guard = createGuard({ verifier });
    const token = await issuer.mint();
    expect(refusal(await guard(get(`/x?access_token=${encodeURIComponent(token)}`))).status).toBe(401);
    const post = new Request(`${URL_BASE}/x`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ access_token: token }),
    });
    expect(refusal(await guard(post)).status).toBe(401);
    // Not enabled: the body was not touched.
    expect(await post.text()).toBe(`access_token=${encodeURIComponent(token)}`);
  });

  it('reads them when enabled, leaves the body readable, and refuses a token sent two ways', async () => {
    const guard = createGuard({ verifier, allowQueryToken: true, allowBodyToken: true });
    const token = await issuer.mint();
    const query = `access_token=${encodeURIComponent(token)}`;
    expect(await guard(get(`/x?${query}`))).not.toBeInstanceOf(Response);

    const post = new Request(`${URL_BASE}/x`, { method: 'POST', headers: form, body: `note=hi&${query}` });
    expect(await guard(post)).not.toBeInstanceOf(Response);
    // The guard read a clone: the handler still gets the whole body.
    expect(await post.text()).toBe(`note=hi&${query}`);

    const both = await json(await guard(get(`/x?${query}`, bearer(token))));
    expect(both.status).toBe(400);
    expect(both.body).toEqual({
      error: 'invalid_request',
      error_description: 'The access token was sent by more than one method',
    });
    const repeated = new Request(`${URL_BASE}/x`, {
      method: 'POST',
      headers: form,
      body: `${query}&${query}`,
    });
    expect(refusal(await guard(repeated)).status).toBe(400);
    const jsonBody = new Request(`${URL_BASE}/x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ access_token: token }),
    });
    expect(refusal(await guard(jsonBody)).status).toBe(401);
  });

  it('does not buffer a form body above 64 KiB: the body token is then not seen', async () => {
    const guard = createGuard({ verifier, allowBodyToken: true });
    const token = await issuer.mint();
    const padding = 'x'.repeat(64 * 1024);
    const body = `access_token=${encodeURIComponent(token)}&pad=${padding}`;
    const declared = new Request(`${URL_BASE}/x`, {
      method: 'POST',
      headers: { ...form, 'Content-Length': String(body.length) },
      body,
    });
    expect(refusal(await guard(declared)).status).toBe(401);
    expect((await declared.text()).length).toBe(body.length);
    // The same token in a body under the limit is read.
    const small = new Request(`${URL_BASE}/x`, {
      method: 'POST',
      headers: form,
      body: body.slice(0, 60_000),
    });
    expect(await guard(small)).not.toBeInstanceOf(Response);
    // Without Content-Length (a stream), the read stops past the limit; the original stays readable.
    const streamed = new Request(`${URL_BASE}/x`, {
      method: 'POST',
      headers: form,
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.headers.get('content-length')).toBeNull();
    expect(refusal(await guard(streamed)).status).toBe(401);
    expect((await streamed.text()).length).toBe(body.length);
  });
});

describe('createGuard: configuration', () => {
  it('throws ConfigError at creation for a bad configuration', () => {
    expect(() => createGuard({ issuer: 'http://issuer.example', audience: AUDIENCE })).toThrow(ConfigError);
    expect(() => createGuard({ verifier, realm: 'a "quoted" realm' })).toThrow(ConfigError);
    expect(() => createGuard({ verifier, retryAfter: -1 })).toThrow(ConfigError);
    expect(() => createGuard({ verifier, env: {} } as never)).toThrow(/env: pass either env/);
    // A verifier that is not there yet (undefined) is a mistake, not a request to read SCOPEGUARD_*.
    expect(() => createGuard({ verifier: undefined } as never)).toThrow(ConfigError);
    expect(() => createGuard({ jwksUri: 'https://issuer.example/keys' } as never)).toThrow(ConfigError);
  });

  it('reads SCOPEGUARD_* from an env record, validated at creation when any is set', async () => {
    expect(() => createGuard({ env: { SCOPEGUARD_ISSUER: issuer.issuer } })).toThrow(/SCOPEGUARD_AUDIENCE/);
    const local = await createTestIssuer();
    try {
      const guard = createGuard({
        env: { SCOPEGUARD_ISSUER: local.issuer, SCOPEGUARD_AUDIENCE: `api://x, ${AUDIENCE}` },
      });
      expect(await guard(get('/x', bearer(await local.mint())))).not.toBeInstanceOf(Response);
    } finally {
      await local.close();
    }
  });

  it('reads process.env by default, at the first request when nothing was set at creation', async () => {
    for (const name of [
      'SCOPEGUARD_ISSUER',
      'SCOPEGUARD_AUDIENCE',
      'SCOPEGUARD_CLIENT_IDS',
      'SCOPEGUARD_JWKS_URI',
    ])
      vi.stubEnv(name, undefined);
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const local = await createTestIssuer();
    try {
      const guard = createGuard({ realm: 'env' });
      const token = await local.mint();
      // Still missing at the request: the guard rejects with the ConfigError (a 500 in the framework).
      await expect(guard(get('/x', bearer(token)))).rejects.toThrow(/SCOPEGUARD_ISSUER/);
      expect(warnings).toHaveBeenCalledTimes(1);
      vi.stubEnv('SCOPEGUARD_ISSUER', local.issuer);
      vi.stubEnv('SCOPEGUARD_AUDIENCE', AUDIENCE);
      expect(await guard(get('/x', bearer(token)))).not.toBeInstanceOf(Response);
      expect(refusal(await guard(get('/x'))).headers.get('www-authenticate')).toBe('Bearer realm="env"');
    } finally {
      warnings.mockRestore();
      await local.close();
    }
  });
});

describe('createGuard: concurrency', () => {
  it('answers 200 interleaved requests of different identities, each with its own auth', async () => {
    const guard = createGuard({ verifier });
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => issuer.mint({ sub: `user-${i}`, cid: `client-${i % 7}` })),
    );
    const results = await Promise.all(tokens.map((token) => guard(get('/x', bearer(token)))));
    results.forEach((result, i) => {
      if (result instanceof Response) throw new Error(`request ${i} refused`);
      expect(result.auth?.subject).toBe(`user-${i}`);
      expect(result.auth?.clientId).toBe(`client-${i % 7}`);
      expect(result.auth?.token).toBe(tokens[i]);
    });
  });
});
