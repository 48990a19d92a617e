/**
 * `pnpm demo`: starts three dev authorization servers (two the API trusts, one it does not) and the demo
 * API on free loopback ports, runs Client Credentials clients through the expected answers (401, 403,
 * 200, 201, expired token, a second issuer, an untrusted one, ...), prints a transcript, shuts everything
 * down, and exits 0 when every step went as expected (else 1).
 */
import {
  createDevAuthorizationServer,
  type DevAuthorizationServer,
  type DevClient,
} from '@scopeguard/testing';
import type { Express } from 'express';
import { type ApiRefusal, createApi } from './api.js';
import {
  type ClientCredentialsClient,
  createClientCredentialsClient,
  generateClientKeyPair,
} from './client.js';
import { runDiscoveryStep } from './demo-discovery.js';
import { type DpopStepsResult, runDpopSteps } from './demo-dpop.js';
import { describeRequests, runIssuerSteps, type UntrustedServerCount } from './demo-issuers.js';
import { findClient, loadDemoClients } from './dev-clients.js';
import { listen, type RunningServer } from './listen.js';
import { isMainModule } from './main-module.js';
import { createTranscript, type StepResult } from './transcript.js';

/** The audience of the demo's tokens (Okta's `default` authorization server uses the same). */
export const DEMO_AUDIENCE = 'api://default';
/** The scope `GET /api/messages` requires. */
export const READ_SCOPE = 'customScope';
/** The scope `POST /api/messages` requires. */
export const WRITE_SCOPE = 'messages:write';
/** The client of dev-clients.json that knows only the API's URL (RFC 9728 discovery). */
export const DISCOVERY_CLIENT = 'demo-discovery';
/** The client of dev-clients.json that gets a DPoP-bound token (RFC 9449) with openid-client. */
export const DPOP_CLIENT = 'demo-dpop';
/** Issuer paths of the three dev servers (each on its own port): the first and second are trusted. */
export const ISSUER_PATHS = {
  main: '/oauth2/default',
  partner: '/oauth2/partner',
  untrusted: '/oauth2/untrusted',
} as const;

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where transcript lines go. Default `console.log`. */
  write?: (line: string) => void;
  /** The clients file. Default `examples/demo-api/dev-clients.json`. */
  clientsFile?: string | URL;
}

/** The outcome of {@link runDemo}. */
export interface DemoResult {
  ok: boolean;
  steps: readonly StepResult[];
  /** Token requests each client of the main server sent (each should be 1: later calls reuse the cached token). */
  tokenRequests: Record<string, number>;
  /** The issuers the API trusts, and the one it does not. */
  issuers?: { trusted: readonly string[]; untrusted: string };
  /** `req.auth.issuer` for the partner server's token. */
  partnerIssuer?: string | undefined;
  /** Requests the untrusted server received (see {@link UntrustedServerCount}). */
  untrustedServer?: UntrustedServerCount;
  /** The API's resource identifier. */
  resource?: string;
  /** What the discovery client found. */
  discovery?:
    | { resourceMetadataUrl: string; authorizationServer: string; tokenAudience: unknown }
    | undefined;
  /** What the DPoP steps found. */
  dpop?: DpopStepsResult;
}

/** Runs the whole demo in this process and resolves with its outcome; always shuts its servers down. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const transcript = createTranscript({ write: options.write });
  const { line } = transcript;
  let authServer: DevAuthorizationServer | undefined;
  let partnerServer: DevAuthorizationServer | undefined;
  let untrustedServer: DevAuthorizationServer | undefined;
  let api: RunningServer | undefined;
  try {
    // A fresh key pair for the private_key_jwt client: its public JWK is registered with the dev
    // server below, its private key never leaves this process (nothing secret is kept in the repo).
    const keyPair = await generateClientKeyPair();
    const fileClients = await loadDemoClients(keyPair.publicJwk, options.clientsFile);
    // The API's socket first: its URL is the resource identifier (RFC 8707, RFC 9728), which the dev
    // servers must know before they start (demo-discovery may ask for a token for it).
    let app: Express | undefined;
    api = await listen((req, res) => {
      if (app === undefined) {
        res.statusCode = 503;
        res.end();
      } else app(req, res);
    });
    const resource = `${api.url}/api`;
    const clients = fileClients.map((client) =>
      client.client_id === DISCOVERY_CLIENT ? { ...client, resources: [resource] } : client,
    );
    const devServer = (issuerPath: string) =>
      createDevAuthorizationServer({ clients, audience: DEMO_AUDIENCE, issuerPath });
    authServer = await devServer(ISSUER_PATHS.main);
    partnerServer = await devServer(ISSUER_PATHS.partner);
    untrustedServer = await devServer(ISSUER_PATHS.untrusted);
    const apiLog: ApiRefusal[] = [];
    const trusted = [authServer.issuer, partnerServer.issuer];
    app = createApi({
      // Several trusted issuers: each token is routed by its exact `iss` to that issuer's own keys.
      issuers: trusted.map((issuer) => ({ issuer })),
      // This API's URL (RFC 9728): serves its metadata, and every challenge points at it. Tokens asked
      // for this resource carry it in `aud`; the other clients' tokens carry api://default.
      resource,
      audience: [DEMO_AUDIENCE, resource],
      // RFC 9449: Bearer and DPoP both accepted; a proof's htu is checked against the resource's origin.
      dpop: 'allowed',
      onRefusal: (refusal) => apiLog.push(refusal),
    });
    for (const client of clients) if (client.client_secret) transcript.secret(client.client_secret);

    line('scopeguard demo: Client Credentials → Express API guarded by @scopeguard/express');
    line(`  authorization server  ${authServer.issuer}  (dev server, clients from dev-clients.json)`);
    line(`  second issuer         ${partnerServer.issuer}  (dev server, trusted too)`);
    line(`  untrusted issuer      ${untrustedServer.issuer}  (dev server, NOT trusted by the API)`);
    line(`  API                   ${api.url}  (audience ${DEMO_AUDIENCE}, issuers: the first two)`);
    line(`  resource              ${resource}  (RFC 9728 metadata and challenges)`);
    line(`  DPoP                  allowed (RFC 9449: Bearer or DPoP; a bound token needs its proof)`);
    line(`  routes                GET /health (public), GET /api/messages (${READ_SCOPE}),`);
    line(`                        POST /api/messages (${WRITE_SCOPE}), GET /api/whoami (any valid token)`);

    const issuer = authServer.issuer;
    const secretClient = (
      clientId: string,
      scope: string,
      server: { issuer: string; clients: readonly DevClient[] } = { issuer, clients },
    ): ClientCredentialsClient => {
      const client = findClient(server.clients, clientId);
      const method = client.token_endpoint_auth_method;
      if (method === 'private_key_jwt' || client.client_secret === undefined) {
        throw new TypeError(`dev-clients.json: ${clientId} must use a client secret`);
      }
      return createClientCredentialsClient({
        issuer: server.issuer,
        clientId,
        scope,
        auth: { method, clientSecret: client.client_secret },
      });
    };
    const reader = secretClient('demo-reader', READ_SCOPE);
    const noScope = secretClient('demo-no-scope', 'profile:read');
    findClient(clients, 'demo-writer-jwt');
    const writer = createClientCredentialsClient({
      issuer,
      clientId: 'demo-writer-jwt',
      scope: `${READ_SCOPE} ${WRITE_SCOPE}`,
      auth: { method: 'private_key_jwt', privateKey: keyPair.privateKey, kid: keyPair.publicJwk.kid },
    });

    const url = (path: string) => `${api!.url}${path}`;
    const server = authServer;

    await transcript.step({
      title: 'Public health check, no token',
      prepare: () => ({ method: 'GET', url: url('/health') }),
      expect: { status: 200 },
    });
    await transcript.step({
      title: 'No token',
      prepare: () => ({ method: 'GET', url: url('/api/messages') }),
      expect: { status: 401 },
    });
    await transcript.step({
      title: `Token without ${READ_SCOPE} (client_secret_post)`,
      prepare: async (t) => ({ method: 'GET', url: url('/api/messages'), token: await t.token(noScope) }),
      expect: { status: 403, error: 'insufficient_scope' },
    });
    await transcript.step({
      title: `Token with ${READ_SCOPE} (client_secret_basic)`,
      prepare: async (t) => ({ method: 'GET', url: url('/api/messages'), token: await t.token(reader) }),
      expect: { status: 200 },
    });
    await transcript.step({
      title: 'Who am I (same client, cached token)',
      prepare: async (t) => ({ method: 'GET', url: url('/api/whoami'), token: await t.token(reader) }),
      expect: {
        status: 200,
        check: ({ body }) => {
          const whoami = body as { clientId?: unknown; scopes?: unknown };
          if (whoami.clientId !== 'demo-reader') return `clientId is ${String(whoami.clientId)}`;
          if (!Array.isArray(whoami.scopes) || !whoami.scopes.includes(READ_SCOPE)) return 'scopes are wrong';
          return undefined;
        },
      },
    });
    await transcript.step({
      title: `Write without ${WRITE_SCOPE}`,
      prepare: async (t) => ({
        method: 'POST',
        url: url('/api/messages'),
        token: await t.token(reader),
        body: { text: 'Can I write?' },
      }),
      expect: { status: 403, error: 'insufficient_scope' },
    });
    await transcript.step({
      title: `private_key_jwt client reads (${READ_SCOPE})`,
      prepare: async (t) => ({ method: 'GET', url: url('/api/messages'), token: await t.token(writer) }),
      expect: { status: 200 },
    });
    await transcript.step({
      title: `private_key_jwt client writes (${WRITE_SCOPE})`,
      prepare: async (t) => ({
        method: 'POST',
        url: url('/api/messages'),
        token: await t.token(writer),
        body: { text: 'Posted with a private_key_jwt client' },
      }),
      expect: { status: 201 },
    });
    await transcript.step({
      title: 'Expired token',
      prepare: async (t) => {
        line('  token: minted by the dev server for demo-reader, expired 60 s ago');
        const token = await server.mint({ cid: 'demo-reader' }, { scopes: [READ_SCOPE], expiresIn: -60 });
        return { method: 'GET', url: url('/api/messages'), token: t.secret(token) };
      },
      expect: { status: 401, error: 'invalid_token' },
    });
    await transcript.step({
      title: 'Forged token (signed by a key the issuer does not publish)',
      prepare: async (t) => {
        line(`  token: same kid as the issuer's key, signed by another key`);
        const token = await server.mint({ cid: 'demo-reader' }, { scopes: [READ_SCOPE], foreignKey: true });
        return { method: 'GET', url: url('/api/messages'), token: t.secret(token) };
      },
      expect: { status: 401, error: 'invalid_token' },
    });

    const issuerSteps = await runIssuerSteps({
      transcript,
      apiUrl: api.url,
      partner: partnerServer,
      untrusted: untrustedServer,
      apiLog,
      clientOf: (server) => secretClient('demo-reader', READ_SCOPE, server),
    });

    const discoveryClient = findClient(clients, DISCOVERY_CLIENT);
    const discovery = await runDiscoveryStep({
      transcript,
      resource,
      expectedAuthorizationServer: authServer.issuer,
      clientId: DISCOVERY_CLIENT,
      clientSecret: discoveryClient.client_secret ?? '',
      scope: READ_SCOPE,
    });

    const dpopClient = findClient(clients, DPOP_CLIENT);
    const dpop = await runDpopSteps({
      transcript,
      apiUrl: api.url,
      issuer: authServer.issuer,
      clientId: DPOP_CLIENT,
      clientSecret: dpopClient.client_secret ?? '',
      scope: READ_SCOPE,
    });

    const tokenRequests = Object.fromEntries(
      [noScope, reader, writer].map((client) => [client.clientId, client.tokenRequests]),
    );
    line();
    line(
      `token requests per client: ${Object.entries(tokenRequests)
        .map(([id, count]) => `${id} ${count}`)
        .join(', ')} (later calls reused the cached token)`,
    );
    // Counted on the untrusted server itself, after every step, so a late request would show too.
    const untrustedServerCount = issuerSteps.countUntrusted();
    const { fromClient, afterApiGotToken, jwks } = untrustedServerCount;
    line(
      `untrusted issuer: ${fromClient} requests from the client before the API got its token (${describeRequests(untrustedServer.requests)}); ` +
        `${afterApiGotToken ?? 'not measured'} since, ${jwks} JWKS requests ever: the API never contacted it`,
    );
    const untrustedOk = afterApiGotToken === 0 && jwks === 0;
    if (!untrustedOk) line('✗ the untrusted issuer was contacted after the API got its token');
    const ok = transcript.summary() && untrustedOk;
    return {
      ok,
      steps: transcript.results,
      tokenRequests,
      issuers: { trusted, untrusted: untrustedServer.issuer },
      partnerIssuer: issuerSteps.partnerIssuer,
      untrustedServer: untrustedServerCount,
      resource,
      discovery: discovery && {
        resourceMetadataUrl: discovery.resourceMetadataUrl,
        authorizationServer: discovery.authorizationServer,
        tokenAudience: discovery.tokenAudience,
      },
      dpop,
    };
  } catch (error) {
    line(`✗ demo aborted: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, steps: transcript.results, tokenRequests: {} };
  } finally {
    await api?.close();
    await authServer?.close();
    await partnerServer?.close();
    await untrustedServer?.close();
  }
}

if (isMainModule(import.meta.url)) {
  // DEMO_CLIENTS_FILE: another clients file (the end-to-end test uses it to check the failure path).
  const clientsFile = process.env['DEMO_CLIENTS_FILE'];
  const result = await runDemo(clientsFile ? { clientsFile } : {});
  process.exitCode = result.ok ? 0 : 1;
  // Servers are closed; do not let a stray keep-alive socket hold the process open.
  setTimeout(() => process.exit(), 2_000).unref();
}
