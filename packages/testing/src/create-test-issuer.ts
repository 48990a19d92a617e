import type { JSONWebKeySet } from 'jose';
import {
  type AccessTokenClaims,
  type AccessTokenShapeOptions,
  buildAccessToken,
  DEFAULT_AUDIENCE,
  DEFAULT_TOKEN_LIFETIME,
} from './access-token.js';
import { buildAuthorizationServerMetadata } from './authorization-server-metadata.js';
import { signCompactJws } from './compact-jws.js';
import { createInProcessFetch, type FetchLike } from './in-process-fetch.js';
import { createRouter, jsonResponse, type Route } from './issuer-router.js';
import { answerWithFault, type JwksFault, JwksFaultSwitch } from './jwks-fault.js';
import { type AddKeyOptions, KeyStore, type TestKeyInfo } from './key-store.js';
import { listenOnLoopback } from './loopback-server.js';
import { createRequestLog, type RequestLog } from './request-log.js';
import type { SigningAlgorithm } from './signing-key.js';

/** An extra route served under the issuer (the dev authorization server adds its token endpoint this way). */
export interface IssuerRouteDefinition {
  /** Name recorded in the request log, e.g. `'token'`. */
  name: string;
  /** HTTP method, upper case. */
  method: string;
  /** Path under the issuer, e.g. `'/v1/token'`. */
  path: string;
  /** Answers the request; `issuer` is the issuer serving it. */
  handle(request: Request, issuer: TestIssuer): Promise<Response> | Response;
}

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** Signing algorithm of the issuer's keys: `RS256` (default, as Okta), `ES256`, `EdDSA`, ... */
  algorithm?: SigningAlgorithm;
  /** `kid` of the first key; defaults to its RFC 7638 thumbprint. */
  kid?: string;
  /** Path of the issuer under the origin; default `/oauth2/default` (an Okta custom authorization server). */
  issuerPath?: string;
  /** Default `aud` of minted tokens; default `api://default`. */
  audience?: string;
  /** Default lifetime of minted tokens in seconds; default 3600. */
  tokenLifetime?: number;
  /**
   * Listen on a loopback socket (default `true`). With `false` no socket is opened: reach the issuer only
   * through {@link TestIssuer.fetch}, which answers in-process.
   */
  listen?: boolean;
  /** Port to listen on, 127.0.0.1 only; default 0 (any free port). */
  port?: number;
  /** Origin of the issuer when `listen` is `false`; default `https://issuer.test`. */
  origin?: string;
  /** Overrides of metadata members; `undefined` removes a member. */
  metadata?: Record<string, unknown>;
  /** Extra headers on JWKS responses, e.g. `{ 'cache-control': 'max-age=300, must-revalidate' }` as Okta sends. */
  jwksHeaders?: Record<string, string>;
  /** Extra routes served under the issuer path. */
  routes?: readonly IssuerRouteDefinition[];
}

/** Options of {@link TestIssuer.mint}. */
export interface MintOptions extends AccessTokenShapeOptions {
  /** Sign with this key of the issuer (published or not) instead of the active one. */
  kid?: string;
  /**
   * Sign with a key the issuer does not publish, keeping the `kid` (and `alg`) of the key it would otherwise
   * use, so the token looks legitimate but its signature cannot verify against the JWKS.
   */
  foreignKey?: boolean;
  /** Produce an unsecured JWS: header `alg: "none"` (unless overridden) and an empty signature. */
  unsigned?: boolean;
}

/** A running test issuer. */
export interface TestIssuer {
  /** The issuer identifier, e.g. `http://127.0.0.1:PORT/oauth2/default`; the `iss` of minted tokens. */
  readonly issuer: string;
  /** Where the JWKS is served: `${issuer}/v1/keys`. */
  readonly jwksUri: string;
  /** The token endpoint the metadata advertises: `${issuer}/v1/token`. */
  readonly tokenEndpoint: string;
  /** Okta-style metadata location: `${issuer}/.well-known/oauth-authorization-server`. */
  readonly metadataUrl: string;
  /** Scheme, host and port of the issuer. */
  readonly origin: string;
  /** Default `aud` of minted tokens. */
  readonly audience: string;
  /** `kid` of the key new tokens are signed with. */
  readonly activeKid: string;
  /**
   * A fetch (same signature as the global one) answering the issuer's routes in-process, without a socket,
   * whether or not the issuer listens. Inject it wherever a verifier accepts a custom fetch. Other origins
   * reject with `TypeError('fetch failed')`.
   */
  readonly fetch: FetchLike;
  /** What the issuer was asked, through the socket or the in-process fetch. */
  readonly requests: RequestLog;
  /** Mints a signed access token (compact JWS) shaped like an Okta client-credentials token. */
  mint(claims?: AccessTokenClaims, options?: MintOptions): Promise<string>;
  /** Generates a new key, publishes it and signs new tokens with it; the old keys stay published unless `keepPrevious: false`. */
  rotateKeys(options?: { keepPrevious?: boolean; algorithm?: SigningAlgorithm }): Promise<TestKeyInfo>;
  /** Generates an extra key (published, not used for signing, unless told otherwise). */
  addKey(options?: AddKeyOptions): Promise<TestKeyInfo>;
  /** Removes a key from the JWKS (it can still sign via `mint(..., { kid })`); `false` if it was not published. */
  removeKey(kid: string): boolean;
  /** Every key the issuer holds. */
  keys(): TestKeyInfo[];
  /** The JWKS as served: public keys only. */
  publicJwks(): JSONWebKeySet;
  /** The metadata document as served. */
  metadata(): Record<string, unknown>;
  /** Makes the JWKS endpoint misbehave (see {@link JwksFault}); `null` restores it. */
  setJwksFault(fault: JwksFault | null): void;
  /** Stops the issuer: closes the server and every connection (hung requests included). Idempotent. */
  close(): Promise<void>;
}

/** Paths the metadata documents are served at, Okta-style (appended) and RFC 8414-style (inserted). */
function metadataPaths(issuerPath: string): string[] {
  const paths = ['oauth-authorization-server', 'openid-configuration'].flatMap((document) => [
    `${issuerPath}/.well-known/${document}`,
    `/.well-known/${document}${issuerPath}`,
  ]);
  return [...new Set(paths)];
}

function normalizeIssuerPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * Starts a test issuer shaped like an Okta custom authorization server: RFC 8414 metadata at
 * `${issuer}/.well-known/oauth-authorization-server` (and `openid-configuration`, and the RFC 8414 inserted
 * locations), the JWKS at `${issuer}/v1/keys`, and `mint()` for Okta-shaped access tokens.
 *
 * By default it listens on 127.0.0.1 on a free port; with `{ listen: false }` it opens no socket and is
 * reached through its in-process {@link TestIssuer.fetch}. Always `close()` it.
 *
 * @example
 * const issuer = await createTestIssuer();
 * const token = await issuer.mint({ scp: ['orders:read'] });
 * // ... verify `token` against issuer.issuer / issuer.jwksUri
 * await issuer.close();
 *
 * @example
 * // No socket at all: hand the issuer's in-process fetch to the code under test.
 * const issuer = await createTestIssuer({ listen: false }); // issuer.issuer === 'https://issuer.test/oauth2/default'
 * const jwks = createRemoteJWKSet(new URL(issuer.jwksUri), { [customFetch]: issuer.fetch });
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithm = options.algorithm ?? 'RS256';
  const issuerPath = normalizeIssuerPath(options.issuerPath ?? '/oauth2/default');
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const lifetime = options.tokenLifetime ?? DEFAULT_TOKEN_LIFETIME;
  const keys = await KeyStore.create(algorithm, options.kid);
  const log = createRequestLog();
  const faults = new JwksFaultSwitch();
  const closed = new AbortController();

  let testIssuer: TestIssuer | undefined;
  const routes: Route[] = [];
  const handler = createRouter(routes, log, closed.signal);
  const server = options.listen === false ? undefined : await listenOnLoopback(handler, options.port);
  const origin = server?.origin ?? new URL(options.origin ?? 'https://issuer.test').origin;
  const issuer = `${origin}${issuerPath}`;
  const jwksUri = `${issuer}/v1/keys`;
  const tokenEndpoint = `${issuer}/v1/token`;

  const metadata = (): Record<string, unknown> => {
    const document = buildAuthorizationServerMetadata({
      issuer,
      jwksUri,
      tokenEndpoint,
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      signingAlgorithms: [...new Set(keys.list().map((key) => key.alg))],
    });
    for (const [name, value] of Object.entries(options.metadata ?? {})) {
      if (value === undefined) delete document[name];
      else document[name] = value;
    }
    return document;
  };

  for (const pathname of metadataPaths(issuerPath)) {
    routes.push({ name: 'metadata', method: 'GET', pathname, handle: () => jsonResponse(metadata()) });
  }
  routes.push({
    name: 'jwks',
    method: 'GET',
    pathname: new URL(jwksUri).pathname,
    handle(request) {
      const answer = () => jsonResponse(keys.publicJwks(), 200, options.jwksHeaders);
      const fault = faults.take();
      return fault ? answerWithFault(fault, answer, [request.signal, closed.signal]) : answer();
    },
  });
  for (const route of options.routes ?? []) {
    routes.push({
      name: route.name,
      method: route.method.toUpperCase(),
      pathname: `${issuerPath}${normalizeIssuerPath(route.path)}`,
      handle: (request) => route.handle(request, testIssuer!),
    });
  }

  let closing: Promise<void> | undefined;
  testIssuer = {
    issuer,
    jwksUri,
    tokenEndpoint,
    metadataUrl: `${issuer}/.well-known/oauth-authorization-server`,
    origin,
    audience,
    get activeKid() {
      return keys.active.kid;
    },
    fetch: createInProcessFetch(origin, handler, closed.signal),
    requests: log,
    async mint(claims = {}, mintOptions = {}) {
      const key = mintOptions.kid === undefined ? keys.active : keys.get(mintOptions.kid);
      if (!key) throw new Error(`The issuer holds no key with kid "${mintOptions.kid}"`);
      const signer = mintOptions.unsigned ? null : mintOptions.foreignKey ? await keys.foreign(key.alg) : key;
      const alg = mintOptions.unsigned ? 'none' : key.alg;
      const token = buildAccessToken({ issuer, audience, alg, kid: key.kid, lifetime }, claims, mintOptions);
      return signCompactJws(token.header, token.payload, signer);
    },
    rotateKeys: (rotateOptions) => keys.rotate(rotateOptions),
    addKey: (addOptions) => keys.add(addOptions),
    removeKey: (kid) => keys.unpublish(kid),
    keys: () => keys.list(),
    publicJwks: () => keys.publicJwks(),
    metadata,
    setJwksFault: (fault) => faults.set(fault),
    close() {
      closing ??= (async () => {
        closed.abort(new Error('The test issuer was closed'));
        await server?.close();
      })();
      return closing;
    },
  };
  return testIssuer;
}
