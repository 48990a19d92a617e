/**
 * A client that knows only the API's URL (its resource identifier) and its own client credentials, and
 * finds everything else, as RFC 9728 describes: a request without a token → 401 whose challenge carries
 * `resource_metadata` → the protected resource metadata (RFC 9728 §3) → an authorization server from
 * `authorization_servers` → its metadata (RFC 8414) → a Client Credentials token for that `resource`
 * (RFC 8707). The metadata checks, the discovery and the token request are oauth4webapi's.
 */
import * as oauth from 'oauth4webapi';
import { parseChallenges } from './challenge.js';
import { allowsInsecureLoopback } from './client.js';
import { redact } from './redact.js';

/** Options of {@link discoverAndGetToken}. */
export interface DiscoveryClientOptions {
  /** The only thing the client knows about the API: its URL (the resource identifier). */
  resource: string;
  clientId: string;
  clientSecret: string;
  /** The scope it wants, if the API advertises it in `scopes_supported`. */
  scope: string;
  /** Where progress lines go. */
  log: (line: string) => void;
}

/** What the client found out, step by step. */
export interface DiscoveryResult {
  /** Status of the request without a token (401 expected). */
  probeStatus: number;
  /** The `resource_metadata` URL read from the challenge. */
  resourceMetadataUrl: string;
  /** The protected resource metadata, validated by oauth4webapi against `resource`. */
  metadata: oauth.ResourceServer;
  /** The authorization server chosen from `authorization_servers` (the first). */
  authorizationServer: string;
  /** Its RFC 8414 metadata, validated by oauth4webapi. */
  authorizationServerMetadata: oauth.AuthorizationServer;
  /** The access token. */
  accessToken: string;
  /** The `aud` claim of the token, as the client can read it (for display). */
  tokenAudience: unknown;
}

/**
 * oauth4webapi options: plain `http:` allowed only for a loopback URL (the dev servers), never elsewhere;
 * each request oauth4webapi sends is printed.
 */
function httpOptions(
  url: URL,
  log: (line: string) => void,
): { [oauth.allowInsecureRequests]?: boolean; [oauth.customFetch]: typeof fetch } {
  const logged: typeof fetch = (input, init) => {
    log(`  oauth4webapi → ${init?.method ?? 'GET'} ${String(input)}`);
    return fetch(input, init);
  };
  return allowsInsecureLoopback(url)
    ? { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: logged }
    : { [oauth.customFetch]: logged };
}

function readAudience(accessToken: string): unknown {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown }).aud;
  } catch {
    return undefined;
  }
}

/** Runs the whole discovery and returns the token and what was found; throws on any deviation. */
export async function discoverAndGetToken(options: DiscoveryClientOptions): Promise<DiscoveryResult> {
  const { log } = options;
  const resource = new URL(options.resource);

  // 1. A request without a token: the API answers 401 with a challenge naming its metadata.
  log(`  client knows: ${resource.href} (the API's URL) and its own credentials (${options.clientId})`);
  const probe = await fetch(resource, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  await probe.body?.cancel();
  const header = probe.headers.get('www-authenticate') ?? '';
  log(`  GET ${resource.href} (no token) → ${probe.status}`);
  log(`  WWW-Authenticate: ${header}`);
  const resourceMetadataUrl = parseChallenges(header).find(
    (challenge) => challenge.params['resource_metadata'] !== undefined,
  )?.params['resource_metadata'];
  if (probe.status !== 401 || resourceMetadataUrl === undefined) {
    throw new Error(`expected a 401 with resource_metadata, got ${probe.status} "${header}"`);
  }
  log(`  resource_metadata: ${resourceMetadataUrl}`);

  // 2. The protected resource metadata, fetched at that URL and validated by oauth4webapi: its
  //    `resource` must be exactly the URL the client asked (RFC 9728 §3.3), else it is not used.
  const prepared = await fetch(new URL(resourceMetadataUrl), {
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const metadata = await oauth.processResourceDiscoveryResponse(resource, prepared);
  log(
    `  oauth4webapi: resource metadata ${JSON.stringify({
      resource: metadata.resource,
      authorization_servers: metadata.authorization_servers,
      scopes_supported: metadata.scopes_supported,
      bearer_methods_supported: metadata.bearer_methods_supported,
    })}`,
  );

  // 3. The authorization server: the first one listed; its RFC 8414 metadata, validated by oauth4webapi
  //    (its `issuer` must be the one asked for).
  const authorizationServer = metadata.authorization_servers?.[0];
  if (authorizationServer === undefined) throw new Error('the metadata lists no authorization_servers');
  const issuer = new URL(authorizationServer);
  const asResponse = await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    ...httpOptions(issuer, log),
  });
  const as = await oauth.processDiscoveryResponse(issuer, asResponse);
  log(`  authorization server: ${as.issuer} (authorization_servers[0]); token_endpoint ${as.token_endpoint}`);

  // 4. A Client Credentials token for this resource (RFC 8707), with a scope the API advertises.
  if (!(metadata.scopes_supported ?? []).includes(options.scope)) {
    throw new Error(`the API does not advertise the scope ${options.scope}`);
  }
  const client: oauth.Client = { client_id: options.clientId };
  const tokenResponse = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(options.clientSecret),
    { scope: options.scope, resource: metadata.resource },
    httpOptions(issuer, log),
  );
  const token = await oauth.processClientCredentialsResponse(as, client, tokenResponse);
  const tokenAudience = readAudience(token.access_token);
  log(
    `  oauth4webapi: client_credentials, resource=${metadata.resource}, scope=${options.scope} → access_token ${redact(token.access_token)} (aud ${JSON.stringify(tokenAudience)})`,
  );
  return {
    probeStatus: probe.status,
    resourceMetadataUrl,
    metadata,
    authorizationServer,
    authorizationServerMetadata: as,
    accessToken: token.access_token,
    tokenAudience,
  };
}
