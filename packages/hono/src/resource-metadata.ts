import { ConfigError } from '@scopeguard/core';
import {
  collectScopes,
  configuresVerifier,
  type GuardOptions,
  isResourceMetadataRequest,
  metadataToServe,
  protectedResourceMetadata as metadataDocument,
  type ResolvedSettings,
  resolveSettings,
  verifierFromOptions,
} from '@scopeguard/http';
import type { Context, MiddlewareHandler } from 'hono';
import { respond } from './respond.js';
import type { ScopeguardOptions } from './types.js';

/** What {@link protectedResourceMetadata} reads of a Hono app: its public route table. */
export interface RoutesSource {
  readonly routes: readonly { readonly handler: unknown }[];
}

/**
 * Hono middleware that serves this API's OAuth 2.0 protected resource metadata (RFC 9728): answers `GET`
 * and `HEAD` at `/.well-known/oauth-protected-resource<path of resource>` with the JSON document, and
 * calls `next()` for every other request. Give it the options of `scopeguard(...)`: the `resource` names
 * the API and the metadata path, `resourceMetadata` chooses what the document says. Pass the app as
 * `routes` to have `scopes_supported` default to the scopes its `requireScope`/`requireAnyScope` handlers
 * require (read from `app.routes` at each metadata request, so routes added later count); without it,
 * only `resourceMetadata.scopesSupported` is advertised. Mount it before `scopeguard(...)` (the document
 * is public). Throws `ConfigError` at startup without a `resource` (unless `resourceMetadata: false`,
 * which passes every request on).
 *
 * @example
 * const options = { issuer: 'https://example.okta.com/oauth2/default', resource: 'https://api.example.com' };
 * app.use(protectedResourceMetadata(options, app));
 * app.use('/api/*', scopeguard(options));
 */
export function protectedResourceMetadata(
  options: ScopeguardOptions,
  routes?: RoutesSource,
): MiddlewareHandler {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'protectedResourceMetadata() needs verifier options or { verifier }');
  }
  const settings: ResolvedSettings<Context> = resolveSettings(options);
  const metadata = metadataToServe(options, settings);
  if (metadata === undefined) return async (_c, next) => next(); // resourceMetadata: false
  // A resource is there, so verifier options (or { verifier }) are too.
  if (!configuresVerifier(options)) throw new ConfigError('issuer', 'is required with a resource');
  const verifier = verifierFromOptions(options as GuardOptions<never>);
  return async function scopeguardResourceMetadata(c, next) {
    if (!isResourceMetadataRequest(metadata, c.req.method, c.req.url)) return next();
    const scopes = collectScopes((routes?.routes ?? []).map((route) => route.handler));
    const answer = metadataDocument(verifier, settings, scopes);
    if (answer === undefined) return next();
    return respond(c, answer);
  };
}
