import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, protectedResourceMetadata, requireScope } from '@scopeguard/express';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import express from 'express';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// oauth4webapi (an RFC 9728 client nobody here wrote) discovers our Express API knowing only its URL: it
// reads `resource_metadata` from the 401 challenge with its own parser, fetches the metadata document
// with `resourceDiscoveryRequest` (its own path construction) and validates it with
// `processResourceDiscoveryResponse` (status, JSON, `resource` equal to the URL it asked about). The
// authorization server it finds issues a token for that resource, which the API accepts.

let issuer: TestIssuer;
const servers: Server[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await issuer.close();
});

/** Starts the API on 127.0.0.1:0; its resource identifier is its own URL plus `path`. */
async function startApi(path: string): Promise<string> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const options = { issuer: issuer.issuer, resource };
  const app = express();
  app.use(protectedResourceMetadata(options));
  app.use(authenticate(options));
  app.get('/api/orders', requireScope('orders:read'), (req, res) => {
    res.json({ client: req.auth?.clientId ?? null });
  });
  server.on('request', app);
  return resource;
}

const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe('oauth4webapi discovers the API from its URL alone (RFC 9728)', () => {
  it.each(['/api', '/api/'])(
    'resource %s: challenge, metadata, authorization server, token, 200',
    async (path) => {
      const resource = await startApi(path);
      const api = new URL('/api/orders', resource);

      // 1. An unauthenticated call: oauth4webapi parses the challenge and finds resource_metadata.
      const challenge = await oauth
        .protectedResourceRequest('not-a-token', 'GET', api, undefined, undefined, insecure)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(challenge).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      const [bearer] = (challenge as oauth.WWWAuthenticateChallengeError).cause;
      expect(bearer?.scheme).toBe('bearer');
      expect(bearer?.parameters.error).toBe('invalid_token');
      const metadataUrl = bearer?.parameters['resource_metadata'];
      expect(metadataUrl).toBe(`${new URL(resource).origin}/.well-known/oauth-protected-resource/api`);

      // 2. Its own discovery of the resource, validated by its own rules.
      const response = await oauth.resourceDiscoveryRequest(new URL(resource), insecure);
      const metadata = await oauth.processResourceDiscoveryResponse(new URL(resource), response);
      expect(metadata.resource).toBe(resource);
      expect(metadata.authorization_servers).toEqual([issuer.issuer]);
      expect(metadata.scopes_supported).toEqual(['orders:read']);
      expect(metadata.bearer_methods_supported).toEqual(['header']);
      // The URL from the challenge serves the same document.
      expect(await (await fetch(metadataUrl as string)).json()).toEqual(metadata);

      // 3. A token from the authorization server it found, for this resource: accepted.
      expect(metadata.authorization_servers?.[0]).toBe(issuer.issuer);
      const token = await issuer.mint({ aud: resource, cid: 'svc' }, { scopes: ['orders:read'] });
      const ok = await oauth.protectedResourceRequest(token, 'GET', api, undefined, undefined, insecure);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ client: 'svc' });
    },
  );
});
