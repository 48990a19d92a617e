/**
 * `@scopeguard/core`: a framework-free verifier for OAuth 2.0 JWT access tokens (Okta custom
 * authorization servers, RFC 9068 issuers). The whole public API is declared here.
 */
export { cachedVerification, createVerifier } from './verifier.js';
export type { CreatedVerifier } from './verifier.js';
export { explainToken, formatDuration } from './explain.js';
export type {
  AnyExplainOptions,
  ExplainOptions,
  ExplainStep,
  ExplainStepStatus,
  TokenExplanation,
} from './explain.js';
export { inspectIssuer } from './inspect-issuer.js';
export type { InspectedKey, InspectedRequest, IssuerInspection } from './inspect-issuer.js';
export { TokenError, ConfigError, isTokenError, TOKEN_ERROR_CODES } from './errors.js';
export type { TokenErrorCode, TokenErrorDetails } from './errors.js';
export { hasScopes, assertScopes, readScopes } from './scopes.js';
export type { ScopeRequirement } from './scopes.js';
export { DIAGNOSTICS_CHANNEL } from './events.js';
export { CONFIG_WARNING_CODE } from './config-warnings.js';
export type { ScopeguardEvent, EventListener } from './events.js';
export { SUPPORTED_ALGORITHMS, DEFAULT_ALGORITHMS } from './algorithms.js';
export type { Algorithm } from './algorithms.js';
export { isLoopbackHost } from './loopback.js';
export { DEFAULTS, DEFAULT_MAX_ISSUERS } from './options.js';
export type {
  AccessTokenClaims,
  AnyVerifierOptions,
  ClaimRequirement,
  FetchFunction,
  IssuerConfig,
  IssuerResolver,
  IssuerResolverOptions,
  IssuerSettings,
  JsonValue,
  JwksCacheOptions,
  JwsHeader,
  MultiIssuerVerifierOptions,
  ResourceVerifierOptions,
  TokenCacheOptions,
  VerifiedToken,
  Verifier,
  VerifierOptions,
  VerifierSharedOptions,
} from './types.js';
export { createDpopVerifier, DEFAULT_DPOP_ALGORITHMS, DPOP_DEFAULTS } from './dpop-proof.js';
export type { DpopRequest, DpopVerifier, DpopVerifierOptions, VerifiedDpopProof } from './dpop-proof.js';
export { createDpopNonces, MIN_NONCE_SECRET_BYTES } from './dpop-nonce.js';
export type { DpopNonceOptions, DpopNonces } from './dpop-nonce.js';
export type { ReplayStore } from './replay-store.js';
export { createMemoryReplayStore, ReplayStoreFullError } from './memory-replay-store.js';
export type { MemoryReplayStore, MemoryReplayStoreOptions } from './memory-replay-store.js';
export { readTokenBinding } from './token-binding.js';
export type { TokenBinding } from './token-binding.js';
export { certificateThumbprint, verifyCertificateBinding } from './certificate-binding.js';
export type { ClientCertificate } from './certificate-binding.js';
export { jwkThumbprint } from './jwk-thumbprint.js';
export { normalizeHttpUri } from './htu.js';
export {
  isSenderConstraintError,
  SENDER_CONSTRAINT_ERROR_CODES,
  SenderConstraintError,
} from './sender-constraint-error.js';
export type { SenderConstraintCheck, SenderConstraintErrorCode } from './sender-constraint-error.js';
