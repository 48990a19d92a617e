/**
 * `@scopeguard/http`: the framework-neutral HTTP layer of scopeguard. A plain description of a request
 * in (method, target, header lists, an optional parsed body), the verified token or a ready answer out
 * (status, `WWW-Authenticate`, `Cache-Control`, `Retry-After`, `Content-Type`, body). Every RFC 6750
 * rule, the 503 mapping, the `optional` mode, scope checks and the environment-configured setup live
 * here once; each framework adapter only translates. Never imports a framework.
 *
 * @packageDocumentation
 */

export { challenges, renderAnswer } from './answer.js';
export {
  isAuthParams,
  isToken68,
  type ParsedAuthorization,
  parseAuthorization,
} from './authorization.js';
export {
  type BearerExtraction,
  type BearerLocations,
  bearerFromAuthorization,
  findBearerToken,
} from './bearer.js';
export {
  CONFIG_WARNING_CODE,
  ENV_VARIABLES,
  type Environment,
  type EnvVerifierSource,
  type EnvVerifierSourceOptions,
  envVerifierSource,
  hasEnvConfig,
  verifierFromEnv,
  verifierOptionsFromEnv,
} from './env-config.js';
export {
  authenticateRequest,
  authenticateRequestCallback,
  authorizeRequest,
  createGuard,
  type Guard,
  type GuardOptions,
  refuse,
  toAuthInfo,
  verifierFromOptions,
} from './guard.js';
export {
  type FetchRequestExtras,
  type FetchRequestLike,
  fetchRequest,
  readsFormBody,
} from './fetch-request.js';
export {
  type NodeRequestExtras,
  type NodeRequestLike,
  type NodeSocketLike,
  nodeRequest,
} from './node-request.js';
export {
  DEFAULT_RESOURCE_METADATA_MAX_AGE,
  isResourceMetadataRequest,
  metadataToServe,
  protectedResourceMetadata,
  RESOURCE_METADATA_WELL_KNOWN,
  type ResolvedResourceMetadata,
  type ResourceMetadataAnswer,
  type ResourceMetadataOption,
  type ResourceMetadataOptions,
  resolveResourceMetadata,
  resourceMetadataUrl,
  withResourceMetadata,
} from './resource-metadata.js';
export {
  challenge,
  type DescriptionOptions,
  defaultErrorBody,
  failureFromTokenError,
  invalidRequest,
  isValidRealm,
  isValidScopeToken,
  noCredentials,
  sanitizeDescription,
} from './rfc6750.js';
export { collectScopes, markScopeRule, scopeRuleOf } from './scope-collection.js';
export {
  type ScopeRequirement,
  type ScopeRule,
  type ScopeRuleSource,
  scopeFailure,
  scopeRule,
  scopeRuleFromArguments,
} from './scope-rule.js';
export { certificateFromHeaderValue, clientCertificateOf } from './client-certificate.js';
export { type Credentials, findCredentials } from './credentials.js';
export { dpopChallenges } from './dpop-challenge.js';
export {
  checkSenderConstraints,
  dpopRequestUri,
  failureFromSenderConstraintError,
} from './sender-constraint.js';
export {
  type CertificateSource,
  type ClientCertificateOption,
  DEFAULT_SENDER_CONSTRAINTS,
  type DpopOption,
  type DpopSettings,
  resolveSenderConstraints,
  type SenderConstraintSettings,
} from './sender-options.js';
export { type ScopeSettings, scopeSettings } from './scope-settings.js';
export { DEFAULT_SETTINGS, HTTP_OPTION_KEYS, type ResolvedSettings, resolveSettings } from './settings.js';
export { describeTokenError } from './token-error-description.js';
export { configuresVerifier } from './verifier-options.js';
export type {
  AuthErrorCode,
  AuthFailure,
  AuthGranted,
  AuthInfo,
  AuthOutcome,
  AuthRefused,
  ErrorBodyFormatter,
  HeaderValue,
  HttpAnswer,
  HttpOptions,
  HttpRequest,
  ResponseHeaders,
} from './types.js';
