/**
 * The HTTP contract every scopeguard adapter must pass (issue 13), played over real HTTP on loopback
 * against each target in `test/contract/targets/` (found at runtime: adding an adapter is adding a
 * file there). Every row checks the whole answer: status, the parsed `WWW-Authenticate` challenge(s),
 * `Cache-Control: no-store` and `Retry-After`, the JSON body `{ error, error_description }`, and that
 * neither the token nor this API's configuration (audience, issuer, key URL) appears anywhere in the
 * response. See `README.md` beside this file.
 */
import { readdirSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createVerifier, TokenError } from '@scopeguard/core';
import { sanitizeDescription } from '@scopeguard/http';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenges } from './challenges.js';
import type { ContractApp, ContractConfig, ContractTarget, MeBody } from './harness.js';
import { type ContractRequest, type ContractResponse, send } from './http-client.js';

// ---------------------------------------------------------------------------------------------------
// Targets: every `targets/*.ts` exporting `target: ContractTarget`.

const TARGETS_DIR = fileURLToPath(new URL('./targets/', import.meta.url));

function isTarget(value: unknown): value is ContractTarget {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ContractTarget).name === 'string' &&
    typeof (value as ContractTarget).start === 'function'
  );
}

const targetFiles = readdirSync(TARGETS_DIR)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .sort();
const targets: ContractTarget[] = [];
for (const file of targetFiles) {
  const module = (await import(pathToFileURL(join(TARGETS_DIR, file)).href)) as { target?: unknown };
  if (!isTarget(module.target)) {
    throw new Error(`test/contract/targets/${file} must export \`target: ContractTarget\` (see harness.ts)`);
  }
  targets.push(module.target);
}

// ---------------------------------------------------------------------------------------------------
// Fixtures: one issuer for the file, and three JWKS endpoints that are down in different ways.

/** Distinctive, so that finding it in a response cannot be a coincidence. */
const AUDIENCE = 'api://scopeguard-contract';
const REALM = 'api';
/** RFC 6750 §3: `error_description = *( %x20-21 / %x23-5B / %x5D-7E )`. */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

let issuer: TestIssuer;
/** A JWKS endpoint answering 503 to every request. */
let jwks503: string;
/** A JWKS endpoint that accepts connections and never answers. */
let jwksHang: string;
/** A JWKS URL on a loopback port nothing listens on. */
let jwksClosed: string;
const fixtureServers: Server[] = [];

async function listen(server: Server): Promise<string> {
  fixtureServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: AUDIENCE });
  const unavailable = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('down for maintenance');
  });
  jwks503 = `${await listen(unavailable)}/oauth2/default/v1/keys`;
  jwksHang = `${await listen(createServer(() => {}))}/oauth2/default/v1/keys`;
  const closed = createServer();
  const closedOrigin = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  fixtureServers.pop();
  jwksClosed = `${closedOrigin}/oauth2/default/v1/keys`;
});

afterAll(async () => {
  await Promise.all(
    fixtureServers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
  await issuer?.close();
});

// ---------------------------------------------------------------------------------------------------
// Configurations: each target starts one app per configuration it is asked for, once.

function base(): ContractConfig {
  return {
    issuer: issuer.issuer,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    // An unknown kid refetches at once instead of waiting for the end of a 5 s cooldown.
    jwks: { cooldown: 0, fetchTimeout: 2_000 },
  };
}

/** What the `errorBody` configuration answers instead of the default body. */
interface CustomBody {
  problem: string;
  status: number;
  sawRequest: boolean;
}

const CONFIGS = {
  strict: () => base(),
  optional: () => ({ ...base(), optional: true }),
  queryToken: () => ({ ...base(), allowQueryToken: true }),
  bodyToken: () => ({ ...base(), allowBodyToken: true }),
  errorBody: () => ({
    ...base(),
    errorBody: (failure, request): CustomBody => ({
      problem: failure.error,
      status: failure.status,
      sawRequest: request !== undefined && request !== null,
    }),
  }),
  exposeDetails: () => ({ ...base(), exposeErrorDetails: true }),
  jwks503: () => ({ ...base(), jwksUri: jwks503, jwks: { cooldown: 0, fetchTimeout: 1_000 } }),
  jwksClosed: () => ({
    ...base(),
    jwksUri: jwksClosed,
    jwks: { cooldown: 0, fetchTimeout: 1_000 },
    retryAfter: 3,
  }),
  jwksHang: () => ({ ...base(), jwksUri: jwksHang, jwks: { cooldown: 0, fetchTimeout: 300 } }),
  // A deny-list predicate: re-run on every cache hit, so a token it refuses later is refused at once.
  denyList: () => ({ ...base(), requiredClaims: { jti: (jti) => !DENIED.has(String(jti)) } }),
} satisfies Record<string, () => ContractConfig>;

/** The `jti`s the `denyList` configuration refuses. */
const DENIED = new Set<string>();

type ConfigName = keyof typeof CONFIGS;

/** Values of this API's configuration a caller must never be told (unless `exposeErrorDetails`). */
function configuredValues(config: ContractConfig): string[] {
  const values = [AUDIENCE, issuer.issuer, new URL(issuer.issuer).host];
  if (config.jwksUri !== undefined) values.push(config.jwksUri, new URL(config.jwksUri).host);
  return values;
}

// ---------------------------------------------------------------------------------------------------
// The table.

type Header = readonly [name: string, value: string];
const bearer = (token: string): Header => ['Authorization', `Bearer ${token}`];
const authorization = (value: string): Header => ['Authorization', value];
const FORM: Header = ['Content-Type', 'application/x-www-form-urlencoded'];

/** The request of a row, and the secrets (tokens) it carries: none may appear in the answer. */
interface Prepared {
  readonly req: ContractRequest;
  readonly secrets?: readonly string[];
}

interface Refusal {
  readonly status: 400 | 401 | 403 | 503;
  /** The challenge's `error`; absent for 401 without credentials (RFC 6750 §3.1) and for 503 (no challenge). */
  readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  /** 403: the challenge's `scope` attribute. */
  readonly scope?: string;
  /** 503: the `Retry-After` value. */
  readonly retryAfter?: string;
  /** More about the `error_description`. */
  readonly description?: (text: string) => void;
}

interface Success {
  readonly status: 200;
  readonly body: () => unknown;
}

interface Row {
  readonly name: string;
  readonly config: ConfigName;
  readonly request: () => Promise<Prepared>;
  readonly expect: Success | Refusal;
}

function me(identity: { sub: string; cid: string | null; scopes: string[] }): () => MeBody {
  return () => ({
    auth: { subject: identity.sub, clientId: identity.cid, scopes: identity.scopes, issuer: issuer.issuer },
  });
}

const get = (path: string, ...headers: Header[]): ContractRequest => ({ path, headers });

/** A request carrying `token` the usual way. */
async function withToken(path: string, token: Promise<string>): Promise<Prepared> {
  const value = await token;
  return { req: get(path, bearer(value)), secrets: [value] };
}

const NO_CREDENTIALS: Refusal = { status: 401 };
const MALFORMED: Refusal = { status: 400, error: 'invalid_request' };
const INVALID_TOKEN: Refusal = { status: 401, error: 'invalid_token' };
const UNAVAILABLE: Refusal = { status: 503, retryAfter: '10' };

/** Token failures: each is 401 `invalid_token`, whatever the route. */
const BAD_TOKENS: readonly { name: string; mint: () => Promise<string>; code?: string }[] = [
  {
    name: 'a bad signature (right kid, unpublished key)',
    mint: () => issuer.mint({}, { foreignKey: true }),
    code: 'signature_invalid',
  },
  { name: 'an expired token', mint: () => issuer.mint({}, { expiresIn: -120 }), code: 'token_expired' },
  {
    name: 'a token for another audience',
    mint: () => issuer.mint({ aud: 'api://someone-else' }),
    code: 'audience_invalid',
  },
  {
    name: 'a token from another issuer',
    mint: () => issuer.mint({ iss: 'https://other.example/oauth2/default' }),
    code: 'issuer_invalid',
  },
  {
    name: 'a token whose kid is unknown',
    mint: () => issuer.mint({}, { header: { kid: 'no-such-key' } }),
    code: 'key_not_found',
  },
  { name: 'an unsigned token (alg "none")', mint: () => issuer.mint({}, { unsigned: true }) },
];

const TABLE: Readonly<Record<string, readonly Row[]>> = {
  'RFC 6750 answers to what the request carries': [
    {
      name: 'GET /health without credentials → 200',
      config: 'strict',
      request: async () => ({ req: get('/health') }),
      expect: { status: 200, body: () => ({ ok: true }) },
    },
    {
      name: 'no credentials → 401, Bearer realm="api" with no error code',
      config: 'strict',
      request: async () => ({ req: get('/me') }),
      expect: NO_CREDENTIALS,
    },
    {
      name: 'no credentials on a scoped route → 401 with no error code (authentication comes first)',
      config: 'strict',
      request: async () => ({ req: get('/scoped') }),
      expect: NO_CREDENTIALS,
    },
    {
      name: 'a non-Bearer scheme alone (Basic …) → 401 with no error code',
      config: 'strict',
      request: async () => ({ req: get('/me', authorization('Basic dXNlcjpwYXNz')) }),
      expect: NO_CREDENTIALS,
    },
    // 'caf\u00e9' goes on the wire as the obs-text byte 0xE9 (Node writes header values as latin1).
    ...['Bearer', 'Bearer a b', 'Bearer ***', 'Bearer caf\u00e9'].map(
      (value): Row => ({
        name: `malformed Authorization ${JSON.stringify(value)} → 400 invalid_request`,
        config: 'strict',
        request: async () => ({ req: get('/me', authorization(value)) }),
        expect: MALFORMED,
      }),
    ),
    {
      name: 'the scheme is case-insensitive: "bearer <token>" → 200',
      config: 'strict',
      request: async () => {
        const token = await issuer.mint({ sub: 'lower', cid: 'lower-cid', scp: ['api:read'] });
        return { req: get('/me', authorization(`bearer ${token}`)), secrets: [token] };
      },
      expect: { status: 200, body: me({ sub: 'lower', cid: 'lower-cid', scopes: ['api:read'] }) },
    },
  ],
  'two Authorization headers (issue 11, F5)': (['strict', 'optional'] as const).flatMap((config): Row[] => [
    {
      name: `Basic + Bearer <valid> → 400 invalid_request (${config}), not "no credentials"`,
      config,
      request: async () => {
        const token = await issuer.mint();
        return {
          req: get('/me', authorization('Basic dXNlcjpwYXNz'), bearer(token)),
          secrets: [token],
        };
      },
      expect: MALFORMED,
    },
    {
      name: `Bearer <u1> + Bearer <u2> → 400 invalid_request (${config}), not u1 nor u2`,
      config,
      request: async () => {
        const u1 = await issuer.mint({ sub: 'u1', cid: 'u1' });
        const u2 = await issuer.mint({ sub: 'u2', cid: 'u2' });
        return { req: get('/me', bearer(u1), bearer(u2)), secrets: [u1, u2] };
      },
      expect: MALFORMED,
    },
  ]),
  'refused tokens → 401 invalid_token, described without this API configuration': BAD_TOKENS.map(
    ({ name, mint, code }): Row => ({
      name: `${name} → 401 invalid_token`,
      config: 'strict',
      request: () => withToken('/me', mint()),
      expect: {
        ...INVALID_TOKEN,
        description: (text) => {
          if (code !== undefined) expect(text.startsWith(`${code}: `), text).toBe(true);
        },
      },
    }),
  ),
  'scopes → 403 insufficient_scope': [
    {
      name: 'a token without customScope on /scoped → 403, scope="customScope"',
      config: 'strict',
      request: () => withToken('/scoped', issuer.mint({ scp: ['api:read'] })),
      expect: {
        status: 403,
        error: 'insufficient_scope',
        scope: 'customScope',
        description: (text) => expect(text).toContain('customScope'),
      },
    },
    {
      name: 'a token with customScope on /scoped → 200',
      config: 'strict',
      request: () => withToken('/scoped', issuer.mint({ sub: 's', cid: 'c', scp: ['customScope'] })),
      expect: { status: 200, body: me({ sub: 's', cid: 'c', scopes: ['customScope'] }) },
    },
    {
      name: 'a token with neither read nor write on /any-scope → 403 saying one of them is needed',
      config: 'strict',
      request: () => withToken('/any-scope', issuer.mint({ scp: ['customScope'] })),
      expect: {
        status: 403,
        error: 'insufficient_scope',
        scope: 'read write',
        description: (text) => {
          expect(text).toMatch(/\bone of\b/);
          expect(text).toContain('read');
          expect(text).toContain('write');
        },
      },
    },
    {
      name: 'a token with write only on /any-scope → 200',
      config: 'strict',
      request: () => withToken('/any-scope', issuer.mint({ sub: 'w', cid: 'w-cid', scp: ['write'] })),
      expect: { status: 200, body: me({ sub: 'w', cid: 'w-cid', scopes: ['write'] }) },
    },
  ],
  'keys unavailable on a cold cache → 503 with Retry-After, no challenge': [
    {
      name: 'the JWKS endpoint answers 503 → 503, Retry-After: 10 (the default)',
      config: 'jwks503',
      request: () => withToken('/me', issuer.mint()),
      expect: UNAVAILABLE,
    },
    {
      name: 'the JWKS endpoint answers 503, on a scoped route → 503',
      config: 'jwks503',
      request: () => withToken('/scoped', issuer.mint({ scp: ['customScope'] })),
      expect: UNAVAILABLE,
    },
    {
      name: 'the JWKS port is closed → 503 with the configured Retry-After: 3',
      config: 'jwksClosed',
      request: () => withToken('/me', issuer.mint()),
      expect: { status: 503, retryAfter: '3' },
    },
    {
      name: 'the JWKS endpoint never answers (past jwks.fetchTimeout) → 503',
      config: 'jwksHang',
      request: () => withToken('/me', issuer.mint()),
      expect: UNAVAILABLE,
    },
    {
      name: 'keys down, no credentials → still 401 with no error code',
      config: 'jwks503',
      request: async () => ({ req: get('/me') }),
      expect: NO_CREDENTIALS,
    },
    {
      name: 'keys down, malformed Authorization → still 400',
      config: 'jwks503',
      request: async () => ({ req: get('/me', authorization('Bearer a b')) }),
      expect: MALFORMED,
    },
  ],
  'optional: true': [
    {
      name: 'no credentials → 200 { auth: null }',
      config: 'optional',
      request: async () => ({ req: get('/me') }),
      expect: { status: 200, body: () => ({ auth: null }) },
    },
    {
      name: 'a non-Bearer scheme alone → 200 { auth: null }',
      config: 'optional',
      request: async () => ({ req: get('/me', authorization('Basic dXNlcjpwYXNz')) }),
      expect: { status: 200, body: () => ({ auth: null }) },
    },
    {
      name: 'a valid token → 200 with its identity',
      config: 'optional',
      request: () => withToken('/me', issuer.mint({ sub: 'opt', cid: 'opt-cid', scp: ['api:read'] })),
      expect: { status: 200, body: me({ sub: 'opt', cid: 'opt-cid', scopes: ['api:read'] }) },
    },
    {
      name: 'a bad token is still 401 invalid_token',
      config: 'optional',
      request: () => withToken('/me', issuer.mint({}, { foreignKey: true })),
      expect: INVALID_TOKEN,
    },
    {
      name: 'an expired token is still 401 invalid_token',
      config: 'optional',
      request: () => withToken('/me', issuer.mint({}, { expiresIn: -120 })),
      expect: INVALID_TOKEN,
    },
    {
      name: 'a malformed Authorization is still 400',
      config: 'optional',
      request: async () => ({ req: get('/me', authorization('Bearer ***')) }),
      expect: MALFORMED,
    },
    {
      name: 'no credentials on a scoped route → 401 (optional never skips a scope)',
      config: 'optional',
      request: async () => ({ req: get('/scoped') }),
      expect: NO_CREDENTIALS,
    },
  ],
  'other token locations (RFC 6750 §2.2, §2.3)': [
    {
      name: 'allowQueryToken: ?access_token= is accepted',
      config: 'queryToken',
      request: async () => {
        const token = await issuer.mint({ sub: 'q', cid: 'q-cid', scp: ['api:read'] });
        return { req: get(`/me?access_token=${token}`), secrets: [token] };
      },
      expect: { status: 200, body: me({ sub: 'q', cid: 'q-cid', scopes: ['api:read'] }) },
    },
    {
      name: 'without allowQueryToken, ?access_token= is ignored → 401 with no error code',
      config: 'strict',
      request: async () => {
        const token = await issuer.mint();
        return { req: get(`/me?access_token=${token}`), secrets: [token] };
      },
      expect: NO_CREDENTIALS,
    },
    {
      name: 'allowBodyToken: POST /me with a form body access_token is accepted',
      config: 'bodyToken',
      request: async () => {
        const token = await issuer.mint({ sub: 'b', cid: 'b-cid', scp: ['api:read'] });
        return {
          req: { method: 'POST', path: '/me', headers: [FORM], body: `access_token=${token}` },
          secrets: [token],
        };
      },
      expect: { status: 200, body: me({ sub: 'b', cid: 'b-cid', scopes: ['api:read'] }) },
    },
    {
      name: 'without allowBodyToken, a form body access_token is ignored → 401 with no error code',
      config: 'strict',
      request: async () => {
        const token = await issuer.mint();
        return {
          req: { method: 'POST', path: '/me', headers: [FORM], body: `access_token=${token}` },
          secrets: [token],
        };
      },
      expect: NO_CREDENTIALS,
    },
  ],
  'valid tokens → 200 with the identity the adapter exposes': [
    {
      name: 'an Okta-shaped token (cid, scp) → 200 with subject, clientId, scopes, issuer',
      config: 'strict',
      request: () =>
        withToken('/me', issuer.mint({ sub: 'svc-a', cid: 'cid-a', scp: ['api:read', 'customScope'] })),
      expect: { status: 200, body: me({ sub: 'svc-a', cid: 'cid-a', scopes: ['api:read', 'customScope'] }) },
    },
    {
      name: 'an RFC 9068 token (client_id, scope string, typ at+jwt) → 200 with the same shape',
      config: 'strict',
      request: () =>
        withToken(
          '/scoped',
          issuer.mint({ sub: 'svc-b', client_id: 'cid-b' }, { profile: 'rfc9068', scopes: ['customScope'] }),
        ),
      expect: { status: 200, body: me({ sub: 'svc-b', cid: 'cid-b', scopes: ['customScope'] }) },
    },
    {
      name: 'a token without sub nor client id → 200 with nulls',
      config: 'strict',
      request: () => withToken('/me', issuer.mint({ sub: undefined, cid: undefined, scp: ['api:read'] })),
      expect: {
        status: 200,
        body: () => ({
          auth: { subject: null, clientId: null, scopes: ['api:read'], issuer: issuer.issuer },
        }),
      },
    },
  ],
};

// ---------------------------------------------------------------------------------------------------
// Assertions.

function show(res: ContractResponse): string {
  return `answer was:\n${res.status}\n${res.everything}`;
}

function cacheDirectives(res: ContractResponse): string[] {
  return res
    .header('cache-control')
    .flatMap((value) => value.split(','))
    .map((directive) => directive.trim().toLowerCase());
}

function bodyError(refusal: Refusal): string {
  if (refusal.error !== undefined) return refusal.error;
  return refusal.status === 503 ? 'temporarily_unavailable' : 'unauthorized';
}

/**
 * Neither a token (nor its signature alone) anywhere in the answer, nor, in a refusal and unless
 * `exposeErrorDetails` asks for it, this API's configuration (a 200 names the token's own issuer).
 */
function expectNothingLeaked(
  res: ContractResponse,
  secrets: readonly string[],
  config: ContractConfig,
): void {
  for (const secret of secrets) {
    expect(res.everything.includes(secret), `the token is echoed; ${show(res)}`).toBe(false);
    const signature = secret.split('.')[2] ?? '';
    if (signature.length >= 16) {
      expect(res.everything.includes(signature), `the signature is echoed; ${show(res)}`).toBe(false);
    }
  }
  if (config.exposeErrorDetails || res.status === 200) return;
  for (const value of configuredValues(config)) {
    expect(res.everything.includes(value), `configuration (${value}) is disclosed; ${show(res)}`).toBe(false);
  }
}

/** The challenge, `Cache-Control`, `Retry-After` and body of a refusal. Returns the body's description. */
function expectRefusal(res: ContractResponse, refusal: Refusal, options: { defaultBody?: boolean } = {}) {
  expect(res.status, show(res)).toBe(refusal.status);
  expect(cacheDirectives(res), `Cache-Control; ${show(res)}`).toContain('no-store');
  const challenges = parseChallenges(res.header('www-authenticate'));
  if (refusal.status === 503) {
    expect(challenges, `a 503 carries no challenge; ${show(res)}`).toEqual([]);
    expect(res.header('retry-after'), show(res)).toEqual([refusal.retryAfter]);
  } else {
    expect(res.header('retry-after'), show(res)).toEqual([]);
    expect(challenges.length, show(res)).toBe(1);
    const [challenge] = challenges;
    expect(challenge?.scheme.toLowerCase()).toBe('bearer');
    expect(challenge?.token68).toBeUndefined();
    const params = challenge?.params ?? {};
    expect(params['realm']).toBe(REALM);
    if (refusal.error === undefined) {
      // RFC 6750 §3.1: a request without authentication information gets no error code.
      expect(params, show(res)).toEqual({ realm: REALM });
    } else {
      const names = ['realm', 'error', 'error_description', ...(refusal.scope ? ['scope'] : [])];
      expect(Object.keys(params).sort(), show(res)).toEqual(names.sort());
      expect(params['error']).toBe(refusal.error);
      expect(params['scope']).toBe(refusal.scope);
    }
  }
  if (options.defaultBody === false) return challenges[0]?.params['error_description'];
  expect(res.header('content-type').join(), show(res)).toMatch(/^application\/json\b/i);
  const body = JSON.parse(res.body) as { error: unknown; error_description: unknown };
  expect(body, show(res)).toEqual({ error: bodyError(refusal), error_description: expect.any(String) });
  const description = body.error_description as string;
  expect(description.length).toBeGreaterThan(0);
  expect(description).toMatch(DESCRIPTION_CHARS);
  if (refusal.error !== undefined && refusal.status !== 503) {
    // The challenge and the body tell the same story.
    expect(challenges[0]?.params['error_description']).toBe(description);
  }
  refusal.description?.(description);
  return description;
}

function expectSuccess(res: ContractResponse, success: Success): void {
  expect(res.status, show(res)).toBe(200);
  expect(res.header('content-type').join(), show(res)).toMatch(/^application\/json\b/i);
  expect(JSON.parse(res.body), show(res)).toEqual(success.body());
}

// ---------------------------------------------------------------------------------------------------
// The runs.

it('finds the Express targets (and every other file in targets/)', () => {
  const names = targets.map((target) => target.name);
  expect(names).toEqual(expect.arrayContaining(['express4', 'express5']));
  expect(new Set(names).size).toBe(names.length);
});

for (const target of targets) {
  describe(target.name, () => {
    const apps = new Map<ConfigName, Promise<ContractApp>>();
    /** The app for `name`, started on first use and kept for the rest of this describe. */
    const app = (name: ConfigName): Promise<ContractApp> => {
      let started = apps.get(name);
      if (started === undefined) {
        started = target.start(CONFIGS[name]());
        apps.set(name, started);
      }
      return started;
    };

    afterAll(async () => {
      const started = await Promise.allSettled(apps.values());
      await Promise.all(
        started.flatMap((result) => (result.status === 'fulfilled' ? [result.value.close()] : [])),
      );
    });

    for (const [section, rows] of Object.entries(TABLE)) {
      describe(section, () => {
        for (const row of rows) {
          it(row.name, async () => {
            const { url } = await app(row.config);
            const { req, secrets = [] } = await row.request();
            const res = await send(url, req);
            if (row.expect.status === 200) expectSuccess(res, row.expect);
            else expectRefusal(res, row.expect);
            expectNothingLeaked(res, secrets, CONFIGS[row.config]());
          });
        }
      });
    }

    describe('options that shape the answer', () => {
      it('errorBody changes the body only: status, challenge, Cache-Control and Retry-After are unchanged', async () => {
        const [plain, shaped] = await Promise.all([app('strict'), app('errorBody')]);
        const expired = await issuer.mint({}, { expiresIn: -120 });
        const narrow = await issuer.mint({ scp: ['api:read'] });
        const cases: { req: ContractRequest; refusal: Refusal }[] = [
          { req: get('/me'), refusal: NO_CREDENTIALS },
          { req: get('/me', authorization('Bearer a b')), refusal: MALFORMED },
          { req: get('/me', bearer(expired), bearer(narrow)), refusal: MALFORMED },
          { req: get('/me', bearer(expired)), refusal: INVALID_TOKEN },
          {
            req: get('/scoped', bearer(narrow)),
            refusal: { status: 403, error: 'insufficient_scope', scope: 'customScope' },
          },
        ];
        for (const { req, refusal } of cases) {
          const [a, b] = await Promise.all([send(plain.url, req), send(shaped.url, req)]);
          expectRefusal(a, refusal);
          expectRefusal(b, refusal, { defaultBody: false });
          expect(b.header('www-authenticate'), show(b)).toEqual(a.header('www-authenticate'));
          expect(b.header('retry-after')).toEqual(a.header('retry-after'));
          expect(b.header('content-type').join(), show(b)).toMatch(/^application\/json\b/i);
          const body: CustomBody = { problem: bodyError(refusal), status: refusal.status, sawRequest: true };
          expect(JSON.parse(b.body), show(b)).toEqual(body);
          expectNothingLeaked(b, [expired, narrow], CONFIGS.errorBody());
        }
      });

      it('exposeErrorDetails puts the verifier full message in error_description (development only)', async () => {
        const { url } = await app('exposeDetails');
        const token = await issuer.mint({ aud: 'api://someone-else' });
        const reason = await createVerifier(CONFIGS.strict())
          .verify(token)
          .then(
            () => expect.unreachable('the token must be refused'),
            (error: unknown) => error,
          );
        expect(reason).toBeInstanceOf(TokenError);
        const { code, message } = reason as TokenError;
        expect(code).toBe('audience_invalid');
        const res = await send(url, get('/me', bearer(token)));
        const description = expectRefusal(res, INVALID_TOKEN);
        expect(description).toBe(sanitizeDescription(`${code}: ${message}`, token));
        expect(description).toContain(AUDIENCE);
        expectNothingLeaked(res, [token], CONFIGS.exposeDetails());
      });
    });

    describe('a repeated token, answered from the verifier cache (issue 16 fast path)', () => {
      it('is granted again and again, and refused at once when a deny-list predicate turns against it', async () => {
        const { url } = await app('denyList');
        const jti = `deny-${target.name}`;
        const token = await issuer.mint({ sub: 'd', cid: 'd-cid', scp: ['customScope'], jti });
        const granted: Success = {
          status: 200,
          body: me({ sub: 'd', cid: 'd-cid', scopes: ['customScope'] }),
        };
        for (let i = 0; i < 3; i++) expectSuccess(await send(url, get('/scoped', bearer(token))), granted);
        DENIED.add(jti);
        expectRefusal(await send(url, get('/me', bearer(token))), INVALID_TOKEN);
        expectRefusal(await send(url, get('/scoped', bearer(token))), INVALID_TOKEN);
      });

      it('still answers 400 for the cached token sent twice, in two Authorization headers', async () => {
        const { url } = await app('strict');
        const token = await issuer.mint({ sub: 't', cid: 't-cid', scp: ['api:read'] });
        const granted: Success = { status: 200, body: me({ sub: 't', cid: 't-cid', scopes: ['api:read'] }) };
        expectSuccess(await send(url, get('/me', bearer(token))), granted);
        expectSuccess(await send(url, get('/me', bearer(token))), granted);
        expectRefusal(await send(url, get('/me', bearer(token), bearer(token))), MALFORMED);
      });
    });

    describe('concurrency', () => {
      it('200 parallel requests through one app, each with its own sub and cid: every answer names its own, none another', async () => {
        const { url } = await app('strict');
        const count = 200;
        const tokens = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            issuer.mint({ sub: `user-${i}`, cid: `client-${i}`, scp: ['customScope', `n${i}`] }),
          ),
        );
        const agent = new Agent({ keepAlive: true, maxSockets: 8 });
        try {
          const responses = await Promise.all(
            tokens.map((token, i) => send(url, get(i % 2 === 0 ? '/me' : '/scoped', bearer(token)), agent)),
          );
          responses.forEach((res, i) => {
            expectSuccess(res, {
              status: 200,
              body: me({ sub: `user-${i}`, cid: `client-${i}`, scopes: ['customScope', `n${i}`] }),
            });
            for (const token of tokens) {
              expect(res.everything.includes(token.split('.')[2] as string), show(res)).toBe(false);
            }
          });
        } finally {
          agent.destroy();
        }
      }, 60_000);

      it('interleaved anonymous, refused and valid requests on shared connections (optional): no identity carries over', async () => {
        const { url } = await app('optional');
        const count = 100;
        const kinds = Array.from(
          { length: count },
          (_, i) => (['valid', 'anonymous', 'expired'] as const)[i % 3],
        );
        const tokens = await Promise.all(
          kinds.map((kind, i) =>
            kind === 'anonymous'
              ? Promise.resolve(undefined)
              : issuer.mint(
                  { sub: `user-${i}`, cid: `client-${i}`, scp: ['api:read'] },
                  kind === 'expired' ? { expiresIn: -120 } : {},
                ),
          ),
        );
        const agent = new Agent({ keepAlive: true, maxSockets: 4 });
        try {
          const responses = await Promise.all(
            tokens.map((token) =>
              send(url, token === undefined ? get('/me') : get('/me', bearer(token)), agent),
            ),
          );
          responses.forEach((res, i) => {
            if (kinds[i] === 'valid') {
              expectSuccess(res, {
                status: 200,
                body: me({ sub: `user-${i}`, cid: `client-${i}`, scopes: ['api:read'] }),
              });
            } else if (kinds[i] === 'anonymous') {
              expectSuccess(res, { status: 200, body: () => ({ auth: null }) });
            } else {
              expectRefusal(res, INVALID_TOKEN);
              expect(res.body, show(res)).not.toMatch(/user-|client-/);
            }
          });
        } finally {
          agent.destroy();
        }
      }, 60_000);
    });

    it('still serves after all of the above: /health and a valid token → 200 on every app started', async () => {
      const started = await Promise.all(apps.values());
      for (const running of started) {
        expectSuccess(await send(running.url, get('/health')), { status: 200, body: () => ({ ok: true }) });
      }
      const { url } = await app('strict');
      const token = await issuer.mint({ sub: 'last', cid: 'last-cid', scp: ['customScope'] });
      expectSuccess(await send(url, get('/scoped', bearer(token))), {
        status: 200,
        body: me({ sub: 'last', cid: 'last-cid', scopes: ['customScope'] }),
      });
    });
  });
}
