import type { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as client from 'openid-client';

/** The client authentication methods both authorization servers are exercised with. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** What a client holds: its id and either a secret or a private key. */
export interface ClientCredentials {
  clientId: string;
  method: ClientAuthMethod;
  secret?: string;
  privateKey?: webcrypto.CryptoKey;
  kid?: string;
}

/** An RS256 key pair for `private_key_jwt`: the private half for the client, the public JWK to register. */
export async function clientKeyPair(
  kid: string,
): Promise<{ privateKey: webcrypto.CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, publicJwk };
}

function authentication(credentials: ClientCredentials): client.ClientAuth {
  switch (credentials.method) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(credentials.secret!);
    case 'client_secret_post':
      return client.ClientSecretPost(credentials.secret!);
    case 'private_key_jwt':
      return client.PrivateKeyJwt({ key: credentials.privateKey!, kid: credentials.kid });
  }
}

/**
 * Configures openid-client for `issuer` by OpenID Connect discovery, authenticating with `credentials`.
 * The issuers here are `http:` on loopback, which openid-client only allows when told so.
 */
export function discoverClient(
  issuer: string,
  credentials: ClientCredentials,
): Promise<client.Configuration> {
  return client.discovery(
    new URL(issuer),
    credentials.clientId,
    credentials.method === 'private_key_jwt' ? undefined : credentials.secret,
    authentication(credentials),
    { execute: [client.allowInsecureRequests] },
  );
}

/** Runs the client-credentials grant with openid-client and returns the access token. */
export async function clientCredentialsToken(
  config: client.Configuration,
  parameters: Record<string, string> = {},
): Promise<string> {
  const response = await client.clientCredentialsGrant(config, parameters);
  return response.access_token;
}

/** How a grant failed: the OAuth error code, the HTTP status and any `WWW-Authenticate` challenge scheme. */
export interface GrantFailure {
  error: string;
  status: number;
  challenge?: string;
}

/** Runs a grant that must fail and says how it failed (`invalid_client`, `invalid_scope`, ...). */
export async function grantError(
  config: client.Configuration,
  parameters: Record<string, string> = {},
): Promise<GrantFailure> {
  try {
    await client.clientCredentialsGrant(config, parameters);
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return { error: error.error, status: error.status };
    if (error instanceof client.WWWAuthenticateChallengeError) {
      // RFC 6749 §5.2: a failed Basic authentication answers 401 with a Basic challenge; openid-client
      // reports the challenge and leaves the body unread.
      const body = (await error.response.json()) as { error?: unknown };
      return { error: String(body.error), status: error.status, challenge: error.cause[0]?.scheme };
    }
    throw error;
  }
  throw new Error('the grant succeeded');
}
