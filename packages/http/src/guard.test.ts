import { ConfigError, createVerifier, TokenError, type Verifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRequestCallback, createGuard } from './guard.js';
import { scopeRule } from './scope-rule.js';
import type { AuthOutcome, AuthRefused, HeaderValue, HttpRequest } from './types.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

function request(authorization?: HeaderValue): HttpRequest {
  return {
    method: 'GET',
    target: '/orders',
    header: (name) => (name === 'authorization' ? authorization : undefined),
  };
}

function guardFor(options: Record<string, unknown> = {}) {
  return createGuard<{ id: string }>({
    issuer: issuer.issuer,
    audience: 'api://default',
    fetch: issuer.fetch,
    ...options,
  });
}

function refused(outcome: AuthOutcome): AuthRefused {
  if (outcome.ok) throw new Error('expected a refusal');
  return outcome;
}

describe('createGuard().authenticate', () => {
  it('grants a valid token, with the raw token on auth and no extra headers', async () => {
    const token = await issuer.mint({}, { scopes: ['a'] });
    const outcome = await guardFor().authenticate(request(`Bearer ${token}`), { id: 'r1' });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.auth?.scopes).toEqual(['a']);
    expect(outcome.auth?.token).toBe(token);
    expect(Object.isFrozen(outcome.auth)).toBe(true);
    expect(outcome.headers).toEqual({});
  });

  it('exposes the issuer that verified the token on auth, with several issuers too', async () => {
    const other = await createTestIssuer({ listen: false, origin: 'https://other.test' });
    try {
      const verifier = createVerifier({
        issuers: [{ issuer: issuer.issuer }, { issuer: other.issuer }],
        audience: 'api://default',
        fetch: (input, init) =>
          input.startsWith(other.origin) ? other.fetch(input, init) : issuer.fetch(input, init),
      });
      const guard = createGuard({ verifier });
      for (const from of [issuer, other]) {
        const outcome = await guard.authenticate(request(`Bearer ${await from.mint()}`), null);
        expect(outcome).toMatchObject({ ok: true, auth: { issuer: from.issuer } });
      }
    } finally {
      await other.close();
    }
  });

  it('answers 401 with a bare challenge when there is no token', async () => {
    const { answer, failure } = refused(await guardFor().authenticate(request(), { id: 'r' }));
    expect(failure.error).toBe('unauthorized');
    expect(answer).toEqual({
      status: 401,
      headers: {
        'WWW-Authenticate': ['Bearer realm="api"'],
        'Cache-Control': 'no-store',
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ error: 'unauthorized', error_description: 'A bearer token is required' }),
    });
  });

  it('lets a request without credentials through in optional mode, and nothing else', async () => {
    const guard = guardFor({ optional: true });
    expect(await guard.authenticate(request(), { id: 'r' })).toMatchObject({ ok: true, auth: undefined });
    expect(refused(await guard.authenticate(request('Bearer a b'), { id: 'r' })).answer.status).toBe(400);
    const expired = await issuer.mint({}, { expiresIn: -3600 });
    expect(refused(await guard.authenticate(request(`Bearer ${expired}`), { id: 'r' })).answer.status).toBe(
      401,
    );
  });

  it('answers 400 invalid_request for two Authorization headers, optional or not (issue 11, F5)', async () => {
    const token = await issuer.mint();
    for (const optional of [false, true]) {
      const outcome = await guardFor({ optional }).authenticate(
        request(['Basic dXNlcjpwYXNz', `Bearer ${token}`]),
        { id: 'r' },
      );
      const { answer } = refused(outcome);
      expect(answer.status).toBe(400);
      expect(answer.headers['WWW-Authenticate']).toEqual([
        'Bearer realm="api", error="invalid_request", error_description="The request carries more than one Authorization header"',
      ]);
    }
  });

  it('answers 401 invalid_token saying what is wrong with the token', async () => {
    const token = await issuer.mint({ aud: 'api://other' });
    const { answer } = refused(await guardFor().authenticate(request(`Bearer ${token}`), { id: 'r' }));
    expect(answer.status).toBe(401);
    expect(answer.headers['WWW-Authenticate']).toEqual([
      `Bearer realm="api", error="invalid_token", error_description="audience_invalid: The token's aud does not name this API"`,
    ]);
    expect(answer.body).not.toContain('api://default');
  });

  it('answers 503 with Retry-After and no challenge when the keys cannot be fetched', async () => {
    const down = await createTestIssuer({ listen: false });
    try {
      down.setJwksFault({ kind: 'status', status: 500 });
      const guard = createGuard({
        issuer: down.issuer,
        audience: 'api://default',
        jwksUri: down.jwksUri,
        fetch: down.fetch,
        retryAfter: 30,
      });
      const { answer } = refused(await guard.authenticate(request(`Bearer ${await down.mint()}`), null));
      expect(answer.status).toBe(503);
      expect(answer.headers).toMatchObject({ 'Retry-After': '30', 'Cache-Control': 'no-store' });
      expect(answer.headers['WWW-Authenticate']).toBeUndefined();
      expect(JSON.parse(answer.body ?? '')).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await down.close();
    }
  });

  it('hands the adapter request to errorBody, and keeps status and challenge whatever it returns', async () => {
    const seen: unknown[] = [];
    const guard = guardFor({
      errorBody: (failure: { status: number }, context: { id: string }) => {
        seen.push(context);
        return `nope ${failure.status}`;
      },
    });
    const { answer } = refused(await guard.authenticate(request(), { id: 'ctx' }));
    expect(seen).toEqual([{ id: 'ctx' }]);
    expect(answer.body).toBe('nope 401');
    expect(answer.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['WWW-Authenticate']).toEqual(['Bearer realm="api"']);
  });

  it('sends no body and no Content-Type when errorBody returns null', async () => {
    const { answer } = refused(
      await guardFor({ errorBody: () => null }).authenticate(request(), { id: 'r' }),
    );
    expect(answer.body).toBeUndefined();
    expect(answer.headers['Content-Type']).toBeUndefined();
  });

  it('rejects with an unexpected verifier error, for the framework error handler', async () => {
    const broken: Verifier = {
      issuer: 'x',
      audiences: ['y'],
      verify: () => Promise.reject(new Error('boom')),
      refreshKeys: () => Promise.resolve(),
    };
    await expect(
      createGuard({ verifier: broken }).authenticate(request('Bearer a.b.c'), null),
    ).rejects.toThrow('boom');
  });

  it('throws ConfigError at creation for a bad configuration', () => {
    expect(() => createGuard({ issuer: 'http://issuer.example', audience: 'a' })).toThrow(ConfigError);
    expect(() => guardFor({ realm: 'a "quoted" realm' })).toThrow(ConfigError);
    expect(() => guardFor({ retryAfter: 1.5 })).toThrow(ConfigError);
    expect(() => createGuard(null as never)).toThrow(ConfigError);
  });
});

describe('createGuard().authorize', () => {
  it('lets a token with the scopes through, refuses one without with 403 and the scopes', async () => {
    const guard = guardFor();
    const rule = scopeRule({ anyOf: ['a', 'b'] });
    const good = await guard.authenticate(request(`Bearer ${await issuer.mint({}, { scopes: ['b'] })}`), {
      id: 'r',
    });
    const lacking = await guard.authenticate(request(`Bearer ${await issuer.mint({}, { scopes: ['c'] })}`), {
      id: 'r',
    });
    if (!good.ok || !lacking.ok) throw new Error('expected both tokens to verify');
    expect(guard.authorize(good.auth, rule, { id: 'r' })).toBeUndefined();
    const { answer } = guard.authorize(lacking.auth, rule, { id: 'r' }) ?? refused({} as AuthOutcome);
    expect(answer.status).toBe(403);
    expect(answer.headers['WWW-Authenticate']).toEqual([
      'Bearer realm="api", error="insufficient_scope", error_description="This resource requires one of these scopes: a, b", scope="a b"',
    ]);
  });

  it('answers 401 when an optional pass left no token', () => {
    expect(guardFor().authorize(undefined, scopeRule({ allOf: ['a'] }), { id: 'r' })?.answer.status).toBe(
      401,
    );
  });
});

describe('authenticateRequestCallback', () => {
  it('answers at once when no verification is needed, later with the verified token', async () => {
    const { verifier, settings } = guardFor();
    const seen: AuthOutcome[] = [];
    authenticateRequestCallback(
      verifier,
      settings,
      request(),
      { id: 'r' },
      (o) => seen.push(o),
      () => {},
    );
    expect(seen.map((o) => o.ok)).toEqual([false]);
    const token = await issuer.mint();
    const outcome = await new Promise<AuthOutcome>((resolve, reject) =>
      authenticateRequestCallback(
        verifier,
        settings,
        request(`Bearer ${token}`),
        { id: 'r' },
        resolve,
        reject,
      ),
    );
    expect(outcome.ok && outcome.auth?.token).toBe(token);
  });

  it('gives a refused token to onOutcome and an unexpected error to onError', async () => {
    const { verifier, settings } = guardFor();
    const expired = await issuer.mint({}, { expiresIn: -3600 });
    const outcome = await new Promise<AuthOutcome>((resolve, reject) =>
      authenticateRequestCallback(
        verifier,
        settings,
        request(`Bearer ${expired}`),
        { id: 'r' },
        resolve,
        reject,
      ),
    );
    expect(refused(outcome).answer.status).toBe(401);
    const broken: Verifier = { ...verifier, verify: () => Promise.reject(new Error('boom')) };
    const error = await new Promise((resolve) =>
      authenticateRequestCallback(broken, settings, request('Bearer a.b.c'), { id: 'r' }, resolve, resolve),
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('boom');
  });
});

describe('a repeated token, answered from the verifier cache', () => {
  const callback = (
    guard: ReturnType<typeof guardFor>,
    req: HttpRequest,
  ): { outcome: AuthOutcome | undefined; settled: Promise<AuthOutcome> } => {
    let outcome: AuthOutcome | undefined;
    const settled = new Promise<AuthOutcome>((resolve, reject) =>
      authenticateRequestCallback(
        guard.verifier,
        guard.settings,
        req,
        { id: 'r' },
        (o) => {
          outcome = o;
          resolve(o);
        },
        reject,
      ),
    );
    return { outcome, settled };
  };

  it('grants it at once, with the same auth as the first time', async () => {
    const guard = guardFor();
    const token = await issuer.mint({}, { scopes: ['a'] });
    const first = callback(guard, request(`Bearer ${token}`));
    expect(first.outcome).toBeUndefined(); // verified later, asynchronously
    const granted = await first.settled;
    const again = callback(guard, request(`Bearer ${token}`));
    expect(again.outcome).toEqual(granted); // synchronously: no second verification
  });

  it('still consults a verifier whose verify was replaced (a deny-list cannot be bypassed)', async () => {
    const base = guardFor().verifier;
    const token = await issuer.mint();
    await base.verify(token);
    const denied = new Set([token]);
    const verifier: Verifier = {
      ...base,
      verify: (t) =>
        denied.has(t) ? Promise.reject(new TokenError('claim_invalid', 'on the deny-list')) : base.verify(t),
    };
    const outcome = await createGuard({ verifier }).authenticate(request(`Bearer ${token}`), null);
    expect(refused(outcome).answer.status).toBe(401);
  });

  it('still answers 400 for two Authorization headers (issue 11, F5)', async () => {
    const guard = guardFor();
    const token = await issuer.mint();
    await guard.authenticate(request(`Bearer ${token}`), { id: 'r' });
    const twice = await guard.authenticate(request([`Bearer ${token}`, `Bearer ${token}`]), { id: 'r' });
    expect(refused(twice).answer.status).toBe(400);
  });

  it('still answers 400 for a token sent in the header and the query', async () => {
    const guard = guardFor({ allowQueryToken: true });
    const token = await issuer.mint();
    await guard.authenticate(request(`Bearer ${token}`), { id: 'r' });
    const both: HttpRequest = { ...request(`Bearer ${token}`), target: `/orders?access_token=${token}` };
    expect(refused(await guard.authenticate(both, { id: 'r' })).answer.status).toBe(400);
  });

  it('still refuses a DPoP-bound token sent as Bearer, the second time too', async () => {
    const guard = guardFor();
    const token = await issuer.mint({ cnf: { jkt: 'x'.repeat(43) } });
    for (let i = 0; i < 2; i++) {
      const { answer } = refused(await guard.authenticate(request(`Bearer ${token}`), { id: 'r' }));
      expect(answer.status).toBe(401);
    }
  });
});
