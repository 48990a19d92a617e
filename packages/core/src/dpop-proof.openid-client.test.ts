import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDpopNonces } from './dpop-nonce.js';
import { createDpopVerifier } from './dpop-proof.js';
import { SenderConstraintError } from './sender-constraint-error.js';
import { readTokenBinding } from './token-binding.js';
import { createVerifier } from './verifier.js';

// A resource server written against the core API only, standing in for the HTTP layer to come: it reads
// `Authorization: DPoP` and the `DPoP` header(s), builds the request URI from its configured origin, and
// maps SenderConstraintError codes to RFC 9449 §7.1 / §9 answers.
describe('createDpopVerifier with openid-client 6 as the client (interop)', () => {
  let authorizationServer: DevAuthorizationServer;
  let api: Server;
  let origin: string;
  const proofsSeen: string[] = [];
  const answers: number[] = [];

  beforeAll(async () => {
    authorizationServer = await createDevAuthorizationServer({
      clients: [{ client_id: 'svc', client_secret: 'svc-secret', scopes: ['orders:read'] }],
    });
    const tokens = createVerifier({
      issuer: authorizationServer.issuer,
      audience: 'api://default',
      jwksUri: authorizationServer.jwksUri,
    });
    const dpop = createDpopVerifier({
      nonces: createDpopNonces({ secret: 'interop-test-nonce-secret-0123456789' }),
    });

    const answer = (res: ServerResponse, status: number, headers: Record<string, string>, body: unknown) => {
      answers.push(status);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const [scheme, accessToken] = (req.headers.authorization ?? '').split(' ');
      if (scheme !== 'DPoP' || !accessToken) return answer(res, 401, { 'www-authenticate': 'DPoP' }, {});
      proofsSeen.push(...(req.headersDistinct['dpop'] ?? []));
      try {
        const token = await tokens.verify(accessToken);
        const { jkt } = readTokenBinding(token.claims);
        const proof = await dpop.verify({
          proofs: req.headersDistinct['dpop'],
          method: req.method ?? '',
          url: `${origin}${req.url}`, // configured origin, never the Host header
          accessToken,
          boundJkt: jkt,
        });
        answer(res, 200, {}, { client: token.clientId, jkt: proof.jkt });
      } catch (error) {
        if (!(error instanceof SenderConstraintError))
          return answer(res, 401, {}, { error: 'invalid_token' });
        const algs = dpop.algorithms.join(' ');
        if (error.code === 'dpop_nonce_required') {
          return answer(
            res,
            401,
            {
              'www-authenticate': `DPoP algs="${algs}", error="use_dpop_nonce"`,
              'dpop-nonce': dpop.nonces!.issue(),
            },
            {},
          );
        }
        answer(res, 401, { 'www-authenticate': `DPoP algs="${algs}", error="invalid_dpop_proof"` }, {});
      }
    };
    api = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
    await authorizationServer.close();
  });

  it('gets a bound token, retries once on use_dpop_nonce, then the API accepts the proof; a replay is refused', async () => {
    const config = await client.discovery(
      new URL(authorizationServer.issuer),
      'svc',
      undefined,
      client.ClientSecretBasic('svc-secret'),
      { execute: [client.allowInsecureRequests] },
    );
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');

    const response = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${origin}/orders?page=1`),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client: 'svc', jkt: expect.any(String) });
    expect(answers).toEqual([401, 200]); // no nonce yet → use_dpop_nonce with DPoP-Nonce → retry with it

    const replayed = await fetch(`${origin}/orders?page=1`, {
      headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proofsSeen.at(-1)! },
    });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  });
});
