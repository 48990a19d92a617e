import type { AuthInfo, ErrorBodyFormatter as HttpErrorBodyFormatter, HttpOptions } from '@scopeguard/http';
import type { FastifyRequest } from 'fastify';

export type { AuthErrorCode, AuthFailure, AuthInfo } from '@scopeguard/http';

declare module 'fastify' {
  // Declaration merging with Fastify's own interfaces, so `request.auth.scopes` and
  // `config: { scopes: [...] }` type-check in an application without any cast.
  interface FastifyRequest {
    /**
     * Set by `@scopeguard/fastify` once the bearer token has been verified: `null` before that, and when
     * the plugin is registered with `optional: true` and the request carried no token. Decorated (as
     * `null`) in the context where the plugin is registered, and its children.
     */
    auth: AuthInfo | null;
  }

  interface FastifyContextConfig {
    /**
     * Scopes the route requires, every one of them (checked by `@scopeguard/fastify` right after it
     * authenticates the request; validated when the route is declared).
     */
    scopes?: readonly string[];
    /** Scopes of which the route requires at least one (with `scopes`, both must hold). */
    anyScopes?: readonly string[];
  }
}

/**
 * Shapes the body of a failure response. Status and headers are set by the plugin and cannot be
 * changed here. Return an object (sent as JSON through Fastify's serializer), a string (sent as
 * `text/plain`), `null` (empty body) or `undefined` (the default `{ error, error_description }` body).
 */
export type ErrorBodyFormatter = HttpErrorBodyFormatter<FastifyRequest>;

/**
 * Options of the HTTP adapter itself (as opposed to the verifier's): `optional`, `realm`, `errorBody`,
 * `allowQueryToken`, `allowBodyToken`, `retryAfter`, `exposeErrorDetails`; see `HttpOptions` in
 * `@scopeguard/http`, where they are implemented once for every framework.
 */
export type AdapterOptions = HttpOptions<FastifyRequest>;
