/**
 * A Client Credentials client with DPoP (RFC 9449), all of it openid-client's: it makes a key pair,
 * gets a DPoP-bound access token (`token_type` DPoP, `cnf.jkt` = the key's thumbprint), and calls the
 * API with `Authorization: DPoP <token>` and a fresh proof per request. What it sent to the API is
 * recorded, so that the demo can show what a thief replaying a captured request would achieve.
 */
import { jwkThumbprint } from '@scopeguard/core';
import * as oidc from 'openid-client';
import { allowsInsecureLoopback } from './client.js';

/** Options of {@link createDpopClient}. */
export interface DpopClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

/** A request the client sent to the API (not to the authorization server). */
export interface SentRequest {
  method: string;
  url: string;
  /** The `Authorization` header as sent. */
  authorization: string | undefined;
  /** The `DPoP` proof as sent. */
  dpop: string | undefined;
}

/** A DPoP session: the bound token, the key's thumbprint, and a way to call the API. */
export interface DpopClient {
  /** The access token (bound to the key). */
  readonly accessToken: string;
  /** `token_type` of the token response, as openid-client reports it (`dpop`). */
  readonly tokenType: string;
  /** RFC 7638 thumbprint of the client's public key. */
  readonly jkt: string;
  /** `cnf.jkt` of the token, read from its payload (for display). */
  readonly tokenJkt: unknown;
  /** Calls the API through openid-client (`fetchProtectedResource` with the DPoP handle). */
  call(method: string, url: string): Promise<Response>;
  /** Every request sent to `apiOrigin`, oldest first. */
  readonly sent: readonly SentRequest[];
}

function header(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = (headers as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function readCnfJkt(accessToken: string): unknown {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      cnf?: { jkt?: unknown };
    };
    return claims.cnf?.jkt;
  } catch {
    return undefined;
  }
}

/**
 * Discovers the issuer, generates an ES256 key pair, gets a DPoP-bound token with openid-client's DPoP
 * support, and returns a client that calls `apiOrigin` with it. Plain `http:` only on loopback.
 */
export async function createDpopClient(options: DpopClientOptions, apiOrigin: string): Promise<DpopClient> {
  const issuer = new URL(options.issuer);
  const config = await oidc.discovery(
    issuer,
    options.clientId,
    undefined,
    oidc.ClientSecretBasic(options.clientSecret),
    allowsInsecureLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  const sent: SentRequest[] = [];
  config[oidc.customFetch] = (url, init) => {
    if (new URL(url).origin === apiOrigin) {
      sent.push({
        method: init.method ?? 'GET',
        url,
        authorization: header(init.headers, 'authorization'),
        dpop: header(init.headers, 'dpop'),
      });
    }
    return fetch(url, init);
  };
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const DPoP = oidc.getDPoPHandle(config, keyPair);
  const tokens = await oidc.clientCredentialsGrant(config, { scope: options.scope }, { DPoP });
  const publicJwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  const jkt = jwkThumbprint(publicJwk as Record<string, unknown>);
  if (jkt === undefined) throw new Error('could not compute the thumbprint of the DPoP key');
  return {
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
    jkt,
    tokenJkt: readCnfJkt(tokens.access_token),
    call: (method, url) =>
      oidc.fetchProtectedResource(config, tokens.access_token, new URL(url), method, undefined, undefined, {
        DPoP,
      }),
    sent,
  };
}
