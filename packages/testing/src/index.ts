/**
 * `@scopeguard/testing`: a test issuer shaped like an Okta custom authorization server (metadata, JWKS,
 * Okta-shaped access tokens, key rotation, JWKS failure modes, request counters, a socket-free fetch) and a
 * small dev OAuth 2.0 authorization server (client-credentials grant) built on it.
 *
 * @packageDocumentation
 */

export {
  type AccessTokenClaims,
  type AccessTokenProfile,
  type AccessTokenShapeOptions,
  DEFAULT_AUDIENCE,
  DEFAULT_CLIENT_ID,
  DEFAULT_SCOPES,
  DEFAULT_TOKEN_LIFETIME,
} from './access-token.js';
export {
  certificateThumbprint,
  createTestCertificate,
  mintCertificateBoundToken,
  type TestCertificate,
  type TestCertificateOptions,
} from './certificate.js';
export {
  createTestIssuer,
  type IssuerRouteDefinition,
  type MintOptions,
  type TestIssuer,
  type TestIssuerOptions,
} from './create-test-issuer.js';
export {
  createDpopKey,
  DPOP_PROOF_DEFECTS,
  type DpopKey,
  type DpopProofDefect,
  type DpopProofOptions,
  type DpopProofRequest,
  mintDpopBoundToken,
} from './dpop.js';
export { JWT_BEARER_ASSERTION_TYPE } from './dev-server/authenticate-client.js';
export {
  createDevAuthorizationServer,
  type DevAuthorizationServer,
  type DevAuthorizationServerOptions,
} from './dev-server/create-dev-authorization-server.js';
export {
  type DevClient,
  type DevClientAuthMethod,
  type DevClientConfig,
  type DevClientsFile,
  validateDevClients,
} from './dev-server/dev-clients.js';
export { loadDevClients } from './dev-server/load-dev-clients.js';
export type { FetchLike } from './in-process-fetch.js';
export type { JwksFault } from './jwks-fault.js';
export type { AddKeyOptions, TestKeyInfo } from './key-store.js';
export type { IssuerRouteName, RecordedRequest, RequestLog } from './request-log.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-key.js';
