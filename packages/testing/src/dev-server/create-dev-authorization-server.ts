import type { AccessTokenProfile } from '../access-token.js';
import { createTestIssuer, type TestIssuer } from '../create-test-issuer.js';
import type { SigningAlgorithm } from '../signing-key.js';
import { type DevClient, type DevClientConfig, validateDevClients } from './dev-clients.js';
import { DPOP_SIGNING_ALGORITHMS } from './dpop-proof.js';
import { createTokenEndpoint } from './token-endpoint.js';

/** Options of {@link createDevAuthorizationServer}. */
export interface DevAuthorizationServerOptions {
  /** Registered clients: an array, or `{ clients: [...] }` as read from a clients file (see `loadDevClients`). */
  clients: readonly (DevClientConfig | DevClient)[] | { clients: readonly (DevClientConfig | DevClient)[] };
  /** `aud` of issued tokens; default `api://default`. */
  audience?: string;
  /** Issuer path; default `/oauth2/default`. */
  issuerPath?: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Lifetime of issued tokens in seconds; default 3600. */
  tokenLifetime?: number;
  /** Signing algorithm; default RS256. */
  algorithm?: SigningAlgorithm;
  /** Token shape: `okta` (default) or `rfc9068`. */
  tokenProfile?: AccessTokenProfile;
  /** `false` to open no socket and serve only through the in-process `fetch` (see `createTestIssuer`). */
  listen?: boolean;
  /** Origin when `listen` is `false`. */
  origin?: string;
}

/** A running dev authorization server: a {@link TestIssuer} that also issues tokens at `tokenEndpoint`. */
export interface DevAuthorizationServer extends TestIssuer {
  /** The registered clients, validated. */
  readonly clients: readonly DevClient[];
}

/** Every resource some client may request, for RFC 9728 §4 `protected_resources`; `undefined` for none. */
function protectedResources(clients: readonly DevClient[]): string[] | undefined {
  const resources = [...new Set(clients.flatMap((client) => client.resources ?? []))];
  return resources.length > 0 ? resources : undefined;
}

/**
 * Starts a small OAuth 2.0 authorization server for development, built on the test issuer: the
 * client-credentials grant at `POST ${issuer}/v1/token` with `client_secret_basic`, `client_secret_post` or
 * `private_key_jwt` client authentication, per-client scopes, RFC 6749 error responses, plus the issuer's
 * metadata and JWKS. A client that sends a DPoP proof gets a DPoP-bound token (RFC 9449 §5: `token_type`
 * `DPoP`, `cnf.jkt`); the metadata advertises `dpop_signing_alg_values_supported`. Resource indicators
 * (RFC 8707): a `resource` parameter (one or more) that the client may use (its `resources`) becomes the
 * token's `aud`; any other is refused with `invalid_target`; the metadata lists the resources in
 * `protected_resources` (RFC 9728 §4; RFC 8707 itself defines no metadata). Works with standard OAuth
 * clients such as `openid-client`.
 */
export async function createDevAuthorizationServer(
  options: DevAuthorizationServerOptions,
): Promise<DevAuthorizationServer> {
  const clients = validateDevClients(options.clients);
  const tokenLifetime = options.tokenLifetime ?? 3600;
  const issuer = await createTestIssuer({
    algorithm: options.algorithm,
    issuerPath: options.issuerPath,
    audience: options.audience,
    tokenLifetime,
    port: options.port,
    listen: options.listen,
    origin: options.origin,
    metadata: {
      scopes_supported: [...new Set(clients.flatMap((client) => client.scopes))],
      dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGORITHMS],
      // RFC 8707 defines no metadata of its own. RFC 9728 §4 registers `protected_resources`: the resource
      // identifiers tokens can be requested for here (the clients' `resources`). Absent when there are none.
      protected_resources: protectedResources(clients),
    },
    routes: [
      {
        name: 'token',
        method: 'POST',
        path: '/v1/token',
        handle: createTokenEndpoint({ clients, tokenLifetime, profile: options.tokenProfile ?? 'okta' }),
      },
    ],
  });
  return Object.assign(issuer, { clients });
}
