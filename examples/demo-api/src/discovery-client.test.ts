import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { discoverAndGetToken } from './discovery-client.js';
import { listen, type RunningServer } from './listen.js';

const SECRET = 'dev-only-test-secret';
let server: DevAuthorizationServer;
let api: RunningServer;
let resource: string;

beforeAll(async () => {
  let app: ReturnType<typeof createApi> | undefined;
  api = await listen((req, res) => app?.(req, res));
  resource = `${api.url}/api`;
  server = await createDevAuthorizationServer({
    clients: [{ client_id: 'finder', client_secret: SECRET, scopes: ['customScope'], resources: [resource] }],
  });
  app = createApi({ issuer: server.issuer, resource });
});

afterAll(async () => {
  await api?.close();
  await server?.close();
});

const discover = (url: string) =>
  discoverAndGetToken({
    resource: url,
    clientId: 'finder',
    clientSecret: SECRET,
    scope: 'customScope',
    log: () => {},
  });

describe('discoverAndGetToken (oauth4webapi)', () => {
  it('goes from the API URL alone to a token for that resource, which the API accepts', async () => {
    const found = await discover(resource);
    expect(found.probeStatus).toBe(401);
    expect(found.resourceMetadataUrl).toBe(`${api.url}/.well-known/oauth-protected-resource/api`);
    expect(found.metadata.resource).toBe(resource);
    expect(found.authorizationServer).toBe(server.issuer);
    expect(found.authorizationServerMetadata.token_endpoint).toBe(server.tokenEndpoint);
    expect(found.tokenAudience).toBe(resource);
    const response = await fetch(`${resource}/messages`, {
      headers: { authorization: `Bearer ${found.accessToken}` },
    });
    expect(response.status).toBe(200);
  });

  it('does not use metadata whose resource is not the URL it asked (RFC 9728 §3.3, checked by oauth4webapi)', async () => {
    // /api/whoami answers with the challenge of the /api resource: its metadata names /api, not /api/whoami.
    await expect(discover(`${resource}/whoami`)).rejects.toThrow(
      /"resource" property does not match the expected value/,
    );
  });

  it('stops when the API sends no resource_metadata', async () => {
    const plain = await listen(createApi({ issuer: server.issuer, audience: 'api://default' }));
    try {
      await expect(discover(`${plain.url}/api`)).rejects.toThrow(/expected a 401 with resource_metadata/);
    } finally {
      await plain.close();
    }
  });
});
