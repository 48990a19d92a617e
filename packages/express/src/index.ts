/**
 * `@scopeguard/express`: Express 4 and 5 middleware over `@scopeguard/core`. Bearer token in
 * (RFC 6750 §2), `req.auth` or an RFC 6750 §3 answer out, scopes per route. The adapter never decodes
 * a token nor touches a key: verification is entirely the core's.
 *
 * @packageDocumentation
 */

export { type AuthenticateOptions, authenticate } from './authenticate.js';
export { type BearerExtraction, type BearerLocations, extractBearerToken } from './bearer.js';
export {
  ENV_VARIABLES,
  type Environment,
  verifierFromEnv,
  verifierOptionsFromEnv,
} from './env-config.js';
export { type RequireScopeOptions, requireAnyScope, requireScope } from './require-scope.js';
export { challenge, defaultErrorBody, failureFromTokenError, sanitizeDescription } from './rfc6750.js';
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
