import { ConfigError, createVerifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from './guard.js';
import {
  isResourceMetadataRequest,
  metadataToServe,
  protectedResourceMetadata,
  resolveResourceMetadata,
  resourceMetadataUrl,
} from './resource-metadata.js';
import { collectScopes, markScopeRule } from './scope-collection.js';
import { scopeRule } from './scope-rule.js';
import { resolveSettings } from './settings.js';
import type { AuthOutcome, AuthRefused, HttpRequest } from './types.js';

const RESOURCE = 'https://api.example.com/v1';
const METADATA_URL = 'https://api.example.com/.well-known/oauth-protected-resource/v1';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

function guardFor(options: Record<string, unknown> = {}) {
  return createGuard({ issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch, ...options });
}

function request(authorization?: string | string[]): HttpRequest {
  return {
    method: 'GET',
    target: '/v1/orders',
    header: (name) => (name === 'authorization' ? authorization : undefined),
  };
}

function refused(outcome: AuthOutcome | undefined): AuthRefused {
  if (outcome === undefined || outcome.ok) throw new Error('expected a refusal');
  return outcome;
}

function documentOf(answer: ReturnType<typeof protectedResourceMetadata>): Record<string, unknown> {
  if (answer === undefined) throw new Error('expected a metadata answer');
  return JSON.parse(answer.body) as Record<string, unknown>;
}

describe('resourceMetadataUrl (RFC 9728 §3.1)', () => {
  it.each([
    // The RFC's own example.
    [
      'https://resource.example.com/resource1',
      'https://resource.example.com/.well-known/oauth-protected-resource/resource1',
    ],
    // No path, with or without the slash URL adds after the host.
    ['https://resource.example.com', 'https://resource.example.com/.well-known/oauth-protected-resource'],
    ['https://resource.example.com/', 'https://resource.example.com/.well-known/oauth-protected-resource'],
    // The terminating slash of a path is removed.
    [
      'https://resource.example.com/api/v1/',
      'https://resource.example.com/.well-known/oauth-protected-resource/api/v1',
    ],
    [
      'https://resource.example.com/a/b',
      'https://resource.example.com/.well-known/oauth-protected-resource/a/b',
    ],
    // The port stays; loopback http is allowed.
    ['http://127.0.0.1:8080/api', 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/api'],
    [
      'https://resource.example.com:8443',
      'https://resource.example.com:8443/.well-known/oauth-protected-resource',
    ],
  ])('%s → %s', (resource, expected) => {
    expect(resourceMetadataUrl(resource)).toBe(expected);
  });

  it.each([
    ['https://api.example.com/v1?tenant=1', /query/],
    ['https://api.example.com/v1#part', /fragment/],
    ['api.example.com/v1', /absolute URL/],
    ['https://user:secret@api.example.com/v1', /credentials/],
  ])('refuses %s with a ConfigError', (resource, message) => {
    expect(() => resourceMetadataUrl(resource)).toThrow(ConfigError);
    expect(() => resourceMetadataUrl(resource)).toThrow(message);
  });
});

describe('the resourceMetadata option', () => {
  it('is on by default when the verifier has a resource, and off with false', () => {
    expect(guardFor().settings.resourceMetadata?.url).toBe(METADATA_URL);
    expect(guardFor({ resourceMetadata: false }).settings.resourceMetadata).toBeUndefined();
  });

  it('is off by default without a resource', () => {
    const guard = createGuard({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch });
    expect(guard.settings.resourceMetadata).toBeUndefined();
    expect(protectedResourceMetadata(guard.verifier, guard.settings)).toBeUndefined();
  });

  it('reads the resource of a shared verifier ({ verifier })', () => {
    const verifier = createVerifier({ issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch });
    expect(createGuard({ verifier }).settings.resourceMetadata?.url).toBe(METADATA_URL);
  });

  it('refuses to be turned on without a resource, and refuses invalid values, at startup', () => {
    const base = { issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch };
    expect(() => createGuard({ ...base, resourceMetadata: true })).toThrow(/needs a resource/);
    expect(() => guardFor({ resourceMetadata: { maxAge: -1 } })).toThrow(ConfigError);
    expect(() =>
      guardFor({ resourceMetadata: { resourceDocumentation: 'http://docs.example.com' } }),
    ).toThrow(/https/);
    expect(() => guardFor({ resourceMetadata: { authorizationServers: ['not a url'] } })).toThrow(
      ConfigError,
    );
    expect(() => guardFor({ resourceMetadata: { scopesSupported: ['a b'] } })).toThrow(ConfigError);
    expect(() => guardFor({ resourceMetadata: { scopes: ['a'] } })).toThrow(/resourceMetadata.scopes/);
    expect(() => guardFor({ resourceMetadata: 'yes' })).toThrow(ConfigError);
  });

  it('is not passed on to the verifier (createVerifier would refuse an unknown option)', () => {
    expect(() => guardFor({ resourceMetadata: { resourceName: 'Orders' } })).not.toThrow();
  });

  it('is kept when requireScope-style overrides are merged over a guard’s settings', () => {
    const merged = resolveSettings({ realm: 'orders' }, guardFor().settings);
    expect(merged.resourceMetadata?.url).toBe(METADATA_URL);
  });
});

describe('resource_metadata on challenges (RFC 9728 §5.1)', () => {
  it('is on the bare 401 when no token is sent', async () => {
    const { answer } = refused(await guardFor().authenticate(request(), undefined));
    expect(answer.status).toBe(401);
    expect(answer.headers['WWW-Authenticate']).toEqual([
      `Bearer realm="api", resource_metadata="${METADATA_URL}"`,
    ]);
  });

  it('is on the 401 invalid_token', async () => {
    const token = await issuer.mint({ aud: 'https://elsewhere.example.com' });
    const { answer } = refused(await guardFor().authenticate(request(`Bearer ${token}`), undefined));
    expect(answer.status).toBe(401);
    const [bearer] = answer.headers['WWW-Authenticate'] as string[];
    expect(bearer).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]*"/);
    expect(bearer?.endsWith(`, resource_metadata="${METADATA_URL}"`)).toBe(true);
  });

  it('is on the 403 insufficient_scope, after scope="…"', async () => {
    const guard = guardFor();
    const token = await issuer.mint({ aud: RESOURCE }, { scopes: ['read'] });
    const outcome = await guard.authenticate(request(`Bearer ${token}`), undefined);
    if (!outcome.ok) throw new Error('expected the token to be accepted');
    const { answer } = refused(guard.authorize(outcome.auth, scopeRule({ allOf: ['write'] }), undefined));
    expect(answer.status).toBe(403);
    const [bearer] = answer.headers['WWW-Authenticate'] as string[];
    expect(bearer).toContain('error="insufficient_scope"');
    expect(bearer?.endsWith(`scope="write", resource_metadata="${METADATA_URL}"`)).toBe(true);
  });

  it('is on the 400 invalid_request too (every Bearer challenge carries it)', async () => {
    const { answer } = refused(await guardFor().authenticate(request(['Bearer a', 'Bearer b']), undefined));
    expect(answer.status).toBe(400);
    expect((answer.headers['WWW-Authenticate'] as string[])[0]).toContain(
      `resource_metadata="${METADATA_URL}"`,
    );
  });

  it('is absent with resourceMetadata: false and without a resource', async () => {
    const off = refused(await guardFor({ resourceMetadata: false }).authenticate(request(), undefined));
    expect(off.answer.headers['WWW-Authenticate']).toEqual(['Bearer realm="api"']);
    const plain = createGuard({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch });
    const none = refused(await plain.authenticate(request(), undefined));
    expect(none.answer.headers['WWW-Authenticate']).toEqual(['Bearer realm="api"']);
  });
});

describe('protectedResourceMetadata (the document, RFC 9728 §2 and §3.2)', () => {
  it('advertises the DPoP proof algorithms, and dpop_bound_access_tokens_required only in required mode', () => {
    const allowed = guardFor({ dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA'] } });
    const allowedDocument = documentOf(protectedResourceMetadata(allowed.verifier, allowed.settings));
    expect(allowedDocument['dpop_signing_alg_values_supported']).toEqual(['ES256', 'EdDSA']);
    expect(allowedDocument).not.toHaveProperty('dpop_bound_access_tokens_required');

    const required = guardFor({ dpop: 'required' });
    const requiredDocument = documentOf(protectedResourceMetadata(required.verifier, required.settings));
    expect(requiredDocument['dpop_bound_access_tokens_required']).toBe(true);
    expect(requiredDocument['dpop_signing_alg_values_supported']).toEqual(
      required.settings.senderConstraints.algs.split(' '),
    );

    const off = guardFor();
    expect(documentOf(protectedResourceMetadata(off.verifier, off.settings))).not.toHaveProperty(
      'dpop_signing_alg_values_supported',
    );
  });

  it('puts resource_metadata on both challenges when DPoP is allowed', async () => {
    const guard = guardFor({ dpop: 'allowed' });
    const { answer } = refused(await guard.authenticate(request(), undefined));
    const list = answer.headers['WWW-Authenticate'] as string[];
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^Bearer /);
    expect(list[1]).toMatch(/^DPoP /);
    for (const entry of list) expect(entry.endsWith(`, resource_metadata="${METADATA_URL}"`)).toBe(true);
  });

  it('says resource, the static trusted issuers, header as the bearer method, with JSON and Cache-Control', () => {
    const guard = guardFor();
    const answer = protectedResourceMetadata(guard.verifier, guard.settings);
    expect(answer?.status).toBe(200);
    expect(answer?.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600' });
    expect(documentOf(answer)).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
    });
  });

  it('omits empty values: no scopes, no name, no documentation, an empty list of servers', () => {
    const guard = guardFor({
      resourceMetadata: { authorizationServers: [], scopesSupported: [], resourceName: '' },
    });
    const document = documentOf(protectedResourceMetadata(guard.verifier, guard.settings, ['ignored']));
    expect(Object.keys(document).sort()).toEqual(['bearer_methods_supported', 'resource']);
  });

  it('lists the scopes the routes require, sorted and without repeats, unless scopes are configured', () => {
    const guard = guardFor();
    const handlers = [
      markScopeRule(() => {}, scopeRule({ allOf: ['orders:write', 'orders:read'] })),
      markScopeRule(() => {}, scopeRule({ anyOf: ['orders:read', 'admin'] })),
      () => {},
    ];
    const collected = collectScopes(handlers);
    expect(
      documentOf(protectedResourceMetadata(guard.verifier, guard.settings, collected))['scopes_supported'],
    ).toEqual(['admin', 'orders:read', 'orders:write']);
    const configured = guardFor({ resourceMetadata: { scopesSupported: ['orders:read'] } });
    expect(
      documentOf(protectedResourceMetadata(configured.verifier, configured.settings, collected))[
        'scopes_supported'
      ],
    ).toEqual(['orders:read']);
  });

  it('names body and query as bearer methods only when those locations are enabled', () => {
    const guard = guardFor({ allowBodyToken: true, allowQueryToken: true });
    expect(
      documentOf(protectedResourceMetadata(guard.verifier, guard.settings))['bearer_methods_supported'],
    ).toEqual(['header', 'body', 'query']);
  });

  it('takes the configured servers, name, documentation and max-age', () => {
    const guard = guardFor({
      resourceMetadata: {
        authorizationServers: ['https://login.example.com/oauth2/default'],
        resourceName: 'Orders API',
        resourceDocumentation: 'https://docs.example.com/orders',
        maxAge: 60,
      },
    });
    const answer = protectedResourceMetadata(guard.verifier, guard.settings);
    expect(answer?.headers['Cache-Control']).toBe('max-age=60');
    expect(documentOf(answer)).toEqual({
      resource: RESOURCE,
      authorization_servers: ['https://login.example.com/oauth2/default'],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders API',
      resource_documentation: 'https://docs.example.com/orders',
    });
  });

  it('lists every static issuer of a multi-issuer verifier', () => {
    const guard = createGuard({
      issuers: [{ issuer: issuer.issuer }, { issuer: 'https://second.example.com' }],
      resource: RESOURCE,
      fetch: issuer.fetch,
    });
    expect(
      documentOf(protectedResourceMetadata(guard.verifier, guard.settings))['authorization_servers'],
    ).toEqual([issuer.issuer, 'https://second.example.com']);
  });

  it('never advertises the tenants of an issuers function (they leak who else uses the API)', async () => {
    const guard = createGuard({
      issuers: (iss: string) => (iss.startsWith('https://tenant-') ? { issuer: iss } : undefined),
      resource: RESOURCE,
      fetch: issuer.fetch,
    });
    // A tenant becomes live once a token names it (the verification itself fails: no keys there).
    await guard.verifier
      .verify(await issuer.mint({ iss: 'https://tenant-a.example.com', aud: RESOURCE }))
      .catch(() => {});
    expect(guard.verifier.issuers).toContain('https://tenant-a.example.com');
    const document = documentOf(protectedResourceMetadata(guard.verifier, guard.settings));
    expect(document['authorization_servers']).toBeUndefined();
  });

  it('tells nothing of the configuration the user did not choose to advertise', () => {
    const guard = createGuard({
      issuer: issuer.issuer,
      resource: RESOURCE,
      audience: ['api://internal-audience', RESOURCE],
      clientIds: ['secret-client-id'],
      jwksUri: 'https://keys.internal.example.com/jwks',
      algorithms: ['ES384'],
      realm: 'internal-realm',
      fetch: issuer.fetch,
    });
    const answer = protectedResourceMetadata(guard.verifier, guard.settings);
    const text = `${answer?.body} ${JSON.stringify(answer?.headers)}`;
    for (const secret of [
      'internal-audience',
      'secret-client-id',
      'keys.internal',
      'ES384',
      'internal-realm',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(Object.keys(documentOf(answer)).sort()).toEqual([
      'authorization_servers',
      'bearer_methods_supported',
      'resource',
    ]);
  });
});

describe("metadataToServe: what an adapter's protectedResourceMetadata(options) serves", () => {
  const resolved = resolveResourceMetadata(true, 'https://api.example.com/orders');

  it('serves the resolved metadata, and nothing when the user turned it off', () => {
    expect(metadataToServe({}, { resourceMetadata: resolved })).toBe(resolved);
    expect(metadataToServe({ resourceMetadata: false }, { resourceMetadata: undefined })).toBeUndefined();
  });

  it('throws ConfigError at startup when it is on but there is no resource to describe', () => {
    expect(() => metadataToServe({}, { resourceMetadata: undefined })).toThrow(ConfigError);
    expect(() => metadataToServe({ resourceMetadata: true }, { resourceMetadata: undefined })).toThrow(
      /is required by protectedResourceMetadata\(\)/,
    );
  });
});

describe('isResourceMetadataRequest', () => {
  const metadata = resolveResourceMetadata(true, RESOURCE);
  const withSlash = resolveResourceMetadata(true, 'https://api.example.com/v1/');

  it('matches GET and HEAD on the metadata path, with or without a query, or as an absolute URL', () => {
    expect(isResourceMetadataRequest(metadata, 'GET', '/.well-known/oauth-protected-resource/v1')).toBe(true);
    expect(isResourceMetadataRequest(metadata, 'HEAD', '/.well-known/oauth-protected-resource/v1?x=1')).toBe(
      true,
    );
    expect(isResourceMetadataRequest(metadata, 'GET', METADATA_URL)).toBe(true);
  });

  it('does not match other methods, other paths, or when off', () => {
    expect(isResourceMetadataRequest(metadata, 'POST', '/.well-known/oauth-protected-resource/v1')).toBe(
      false,
    );
    expect(isResourceMetadataRequest(metadata, 'GET', '/.well-known/oauth-protected-resource')).toBe(false);
    expect(isResourceMetadataRequest(metadata, 'GET', '/.well-known/oauth-protected-resource/v1/')).toBe(
      false,
    );
    expect(isResourceMetadataRequest(metadata, 'GET', '/v1/.well-known/oauth-protected-resource')).toBe(
      false,
    );
    expect(isResourceMetadataRequest(undefined, 'GET', '/.well-known/oauth-protected-resource/v1')).toBe(
      false,
    );
  });

  it('also answers the path with the resource’s terminating slash kept (as oauth4webapi builds it)', () => {
    expect(withSlash?.url).toBe(METADATA_URL);
    expect(isResourceMetadataRequest(withSlash, 'GET', '/.well-known/oauth-protected-resource/v1')).toBe(
      true,
    );
    expect(isResourceMetadataRequest(withSlash, 'GET', '/.well-known/oauth-protected-resource/v1/')).toBe(
      true,
    );
  });
});
