import type { webcrypto } from 'node:crypto';
import { isLoopbackHost } from '@scopeguard/core';
import * as oidc from 'openid-client';
import { type CurlClientAuth, tokenRequestCurl } from './curl.js';
import { type CachedToken, createTokenCache } from './token-cache.js';

/** How the client authenticates at the token endpoint. */
export type ClientAuthentication =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientSecret: string }
  | {
      method: 'private_key_jwt';
      /** The client's private signing key (WebCrypto), e.g. from {@link generateClientKeyPair}. */
      privateKey: webcrypto.CryptoKey;
      /** `kid` of the matching public JWK, sent in the assertion's header. */
      kid?: string;
    };

/** Options of {@link createClientCredentialsClient}. */
export interface ClientCredentialsClientOptions {
  /** The authorization server's issuer, e.g. `https://example.okta.com/oauth2/default`. */
  issuer: string;
  clientId: string;
  auth: ClientAuthentication;
  /** Space-delimited scopes to request; omitted: the server's defaults for the client. */
  scope?: string;
  /** Seconds before expiry to refresh, given the lifetime (see `createTokenCache`). */
  refreshMargin?: (lifetimeSeconds: number) => number;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
}

/** A Client Credentials client (RFC 6749 §4.4) with a cached access token. */
export interface ClientCredentialsClient {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string | undefined;
  readonly authMethod: ClientAuthentication['method'];
  /** The cached token while fresh, else a new one (one request for concurrent callers). */
  getToken(): Promise<CachedToken>;
  /** Shorthand for `(await getToken()).accessToken`. */
  getAccessToken(): Promise<string>;
  /** Forgets the cached token (e.g. after a 401 from the API). */
  invalidate(): void;
  /** The token endpoint, from the issuer's discovery document. */
  tokenEndpoint(): Promise<string>;
  /** How many token requests were sent. */
  readonly tokenRequests: number;
  /** The token request as a `curl` line, secret redacted. */
  tokenRequestCurl(): Promise<string>;
}

/** A token endpoint refusal or failure, without any credential in its message. */
export class TokenRequestError extends Error {
  /** The OAuth error code (`invalid_client`, `invalid_scope`, ...) when the server sent one. */
  readonly error: string | undefined;
  /** The HTTP status, when there was a response. */
  readonly status: number | undefined;

  constructor(message: string, error?: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenRequestError';
    this.error = error;
    this.status = status;
  }
}

/**
 * Whether openid-client may talk plain HTTP to `issuer`: only on a loopback host (the dev server).
 * Throws for `http:` anywhere else: a real authorization server must be reached over https.
 */
export function allowsInsecureLoopback(issuer: URL): boolean {
  if (issuer.protocol === 'https:') return false;
  if (issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname)) return true;
  throw new TypeError(`The issuer must be an https URL (plain http only on loopback): ${issuer.href}`);
}

function clientAuth(auth: ClientAuthentication): oidc.ClientAuth {
  switch (auth.method) {
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(auth.clientSecret);
    case 'client_secret_post':
      return oidc.ClientSecretPost(auth.clientSecret);
    case 'private_key_jwt':
      return oidc.PrivateKeyJwt(
        auth.kid === undefined ? auth.privateKey : { key: auth.privateKey, kid: auth.kid },
      );
  }
}

function refusal(error: string, description: unknown, status: number, cause: unknown): TokenRequestError {
  const detail = typeof description === 'string' && description !== '' ? ` (${description})` : '';
  return new TokenRequestError(`token request refused: ${error}${detail}`, error, status, { cause });
}

async function toTokenRequestError(error: unknown): Promise<TokenRequestError> {
  if (error instanceof oidc.ResponseBodyError) {
    return refusal(error.error, error.error_description, error.status, error);
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with `WWW-Authenticate` (e.g. `invalid_client` after Basic authentication): the RFC 6749
    // error is in the body, which openid-client has not read.
    const body = (await error.response.json().catch(() => undefined)) as
      | { error?: unknown; error_description?: unknown }
      | undefined;
    const code =
      typeof body?.error === 'string' ? body.error : (error.cause[0]?.parameters.error ?? 'unauthorized');
    return refusal(code, body?.error_description, error.status, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TokenRequestError(`token request failed: ${message}`, undefined, undefined, { cause: error });
}

/**
 * Creates a Client Credentials client with openid-client: discovers the issuer (once), asks its token
 * endpoint for a token with `client_secret_basic`, `client_secret_post` or `private_key_jwt`, and caches
 * the token until shortly before `expires_in` (60 s, or 10% of the lifetime if shorter), with a
 * single request in flight for concurrent callers.
 *
 * Plain `http:` issuers are accepted only on loopback (openid-client's `allowInsecureRequests` is
 * enabled for those alone); anything else must be `https:`.
 *
 * @example
 * const client = createClientCredentialsClient({
 *   issuer: 'https://example.okta.com/oauth2/default',
 *   clientId: process.env.OKTA_CLIENT_ID!,
 *   auth: { method: 'client_secret_basic', clientSecret: process.env.OKTA_CLIENT_SECRET! },
 *   scope: 'customScope',
 * });
 * const token = await client.getAccessToken();
 */
export function createClientCredentialsClient(
  options: ClientCredentialsClientOptions,
): ClientCredentialsClient {
  const issuerUrl = new URL(options.issuer);
  const insecure = allowsInsecureLoopback(issuerUrl);
  let configuration: Promise<oidc.Configuration> | undefined;

  const configure = (): Promise<oidc.Configuration> => {
    configuration ??= oidc
      .discovery(
        issuerUrl,
        options.clientId,
        undefined,
        clientAuth(options.auth),
        insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        configuration = undefined; // let the next call try again
        throw new TokenRequestError(
          `discovery of ${issuerUrl.href} failed: ${error instanceof Error ? error.message : String(error)}`,
          undefined,
          undefined,
          { cause: error },
        );
      });
    return configuration;
  };

  const cache = createTokenCache({
    refreshMargin: options.refreshMargin,
    now: options.now,
    async fetchToken() {
      const config = await configure();
      const parameters: Record<string, string> = {};
      if (options.scope !== undefined && options.scope !== '') parameters['scope'] = options.scope;
      try {
        const response = await oidc.clientCredentialsGrant(config, parameters);
        return { accessToken: response.access_token, expiresIn: response.expires_in, scope: response.scope };
      } catch (error) {
        throw await toTokenRequestError(error);
      }
    },
  });

  const tokenEndpoint = async (): Promise<string> => {
    const endpoint = (await configure()).serverMetadata().token_endpoint;
    if (endpoint === undefined) throw new TokenRequestError(`${issuerUrl.href} advertises no token_endpoint`);
    return endpoint;
  };

  return {
    issuer: options.issuer,
    clientId: options.clientId,
    scope: options.scope,
    authMethod: options.auth.method,
    getToken: () => cache.get(),
    getAccessToken: async () => (await cache.get()).accessToken,
    invalidate: () => cache.invalidate(),
    tokenEndpoint,
    get tokenRequests() {
      return cache.fetches;
    },
    async tokenRequestCurl() {
      const auth: CurlClientAuth =
        options.auth.method === 'private_key_jwt'
          ? { method: 'private_key_jwt', clientId: options.clientId }
          : {
              method: options.auth.method,
              clientId: options.clientId,
              clientSecret: options.auth.clientSecret,
            };
      return tokenRequestCurl(await tokenEndpoint(), auth, options.scope);
    },
  };
}

/** A freshly generated key pair for `private_key_jwt`. */
export interface ClientKeyPair {
  /** Private signing key; stays in this process. */
  privateKey: webcrypto.CryptoKey;
  /** The public key as a JWK (with `kid`, `alg`, `use`), to register with the authorization server. */
  publicJwk: webcrypto.JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

/**
 * Generates an ES256 key pair for `private_key_jwt` client authentication (RFC 7523). The public
 * half is what one registers with the authorization server (Okta: the app's "Public keys").
 */
export async function generateClientKeyPair(kid = `demo-${crypto.randomUUID()}`): Promise<ClientKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const publicJwk = {
    kty: jwk.kty,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
    kid,
    alg: 'ES256',
    use: 'sig' as const,
  };
  return { privateKey: pair.privateKey, publicJwk };
}
