/**
 * `@scopeguard/express`: Express 4 and 5 middleware over `@scopeguard/core`, a thin adapter over the
 * framework-neutral `@scopeguard/http` layer. Bearer token in (RFC 6750 §2), `req.auth` or an RFC 6750
 * §3 answer out, scopes per route. The adapter never decodes a token nor touches a key, and holds no
 * HTTP rule of its own: it translates Express's request in and the layer's answer out.
 *
 * @packageDocumentation
 */

export { type AuthenticateOptions, authenticate } from './authenticate.js';
export { type BearerExtraction, type BearerLocations, extractBearerToken } from './bearer.js';
export { type RequireScopeOptions, requireAnyScope, requireScope } from './require-scope.js';
export {
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
} from './resource-metadata.js';
export type {
  AdapterOptions,
  AuthErrorCode,
  AuthFailure,
  AuthInfo,
  ErrorBodyFormatter,
  Middleware,
  NextFunction,
  ScopeguardRequest,
  ScopeguardResponse,
} from './types.js';
// Implemented once in the HTTP layer; re-exported so that code written against earlier versions of this
// package keeps working.
export {
  challenge,
  defaultErrorBody,
  ENV_VARIABLES,
  type Environment,
  type ResourceMetadataOptions,
  resourceMetadataUrl,
  failureFromTokenError,
  sanitizeDescription,
  verifierFromEnv,
  verifierOptionsFromEnv,
} from '@scopeguard/http';
