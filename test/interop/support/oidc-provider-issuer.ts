import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A resource server oidc-provider knows: the `aud` it issues for it and the scopes it may grant there. */
export interface ResourceServer {
  audience: string;
  scope: string;
  /** JWS algorithm of its access tokens; default RS256. */
  alg?: 'RS256' | 'PS256' | 'ES256';
}

/** A client registration, in oidc-provider's (RFC 7591) vocabulary. */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

/** Options of {@link startOidcProvider}. */
export interface OidcProviderOptions {
  clients: readonly ClientMetadata[];
  /** Keyed by resource indicator; the first one is the default resource. */
  resourceServers: Readonly<Record<string, ResourceServer>>;
}

/** A running oidc-provider on 127.0.0.1. */
export interface RunningOidcProvider {
  /** `http://127.0.0.1:PORT`, its `iss` and discovery base. */
  readonly issuer: string;
  /** The `kid` of the RS256 key it signs access tokens with (PS256 and ES256 keys are `${kid}-ps256`, `-es256`). */
  readonly kid: string;
  /**
   * oidc-provider serves its metadata at both `/.well-known/oauth-authorization-server` (RFC 8414) and
   * `/.well-known/openid-configuration`; `false` makes the front server answer 404 for the RFC 8414 one, as
   * an OpenID-Connect-only deployment would.
   */
  serveOAuthMetadata(served: boolean): void;
  close(): Promise<void>;
}

/**
 * Starts oidc-provider (a certified OpenID Provider, nothing here wrote it) on a free loopback port, set up
 * as an authorization server for machine-to-machine calls: the `client_credentials` grant, resource
 * indicators (RFC 8707), and RFC 9068 JWT access tokens (`typ: at+jwt`, `client_id`, `scope`) signed RS256
 * with a key generated here.
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<RunningOidcProvider> {
  const kid = 'oidc-provider';
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const signingKeys: JsonWebKey[] = [
    { ...rsa(), kid, alg: 'RS256', use: 'sig' },
    { ...rsa(), kid: `${kid}-ps256`, alg: 'PS256', use: 'sig' },
    { ...ec, kid: `${kid}-es256`, alg: 'ES256', use: 'sig' },
  ];
  const resources = options.resourceServers;
  const defaultResource = Object.keys(resources)[0];
  if (defaultResource === undefined) throw new Error('at least one resource server is needed');

  // oidc-provider warns, on stderr, that Node 20 is not an LTS it supports (it works) and that its
  // in-memory adapter is for development only (it is exactly that here). Keep those two out of the output.
  const { default: Provider, errors } = await quietly(() => import('oidc-provider'));

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = await quietly(
    async () =>
      new Provider(issuer, {
        clients: options.clients.map((client) => ({
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          ...client,
        })),
        jwks: { keys: signingKeys },
        // Every custom scope is a "static" scope, so a client's `scope` allowlist applies to it.
        scopes: [...new Set(Object.values(resources).flatMap((rs) => rs.scope.split(' ')))],
        ttl: { ClientCredentials: 600 },
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => defaultResource,
            useGrantedResource: () => true,
            getResourceServerInfo: (_ctx: unknown, indicator: string) => {
              const rs = resources[indicator];
              if (!rs) throw new errors.InvalidTarget();
              return {
                scope: rs.scope,
                audience: rs.audience,
                accessTokenFormat: 'jwt',
                accessTokenTTL: 600,
                jwt: { sign: { alg: rs.alg ?? 'RS256' } },
              };
            },
          },
        },
      }),
  );
  const handle = provider.callback();
  let oauthMetadataServed = true;
  server.on('request', (request, response) => {
    if (!oauthMetadataServed && request.url?.startsWith('/.well-known/oauth-authorization-server')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    handle(request, response);
  });

  return {
    issuer,
    kid,
    serveOAuthMetadata(served) {
      oauthMetadataServed = served;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Runs `action` with oidc-provider's own `WARNING:` lines dropped from `console.warn` (nothing else). */
async function quietly<T>(action: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING:')) return;
    warn(...args);
  };
  try {
    return await action();
  } finally {
    console.warn = warn;
  }
}
