import { ConfigError } from '@scopeguard/core';
import {
  collectScopes,
  createGuard,
  isResourceMetadataRequest,
  metadataToServe,
  nodeRequest,
  protectedResourceMetadata as metadataDocument,
} from '@scopeguard/http';
import type { AuthenticateOptions } from './authenticate.js';
import { sendAnswer } from './send-answer.js';
import type { Middleware, ScopeguardRequest } from './types.js';

/** Options of {@link protectedResourceMetadata}: the same as `authenticate(...)`'s. */
export type ProtectedResourceMetadataOptions = AuthenticateOptions;

/** The parts of Express's (4 or 5) router this walks: layers, each a route or a middleware (maybe a router). */
interface Layer {
  readonly route?: { readonly stack?: readonly Layer[] } | undefined;
  readonly handle?: unknown;
}

/**
 * Express 4 keeps the app's router at `app._router` (its `app.router` is a getter that throws), Express 5
 * at `app.router`.
 */
function stackOf(app: unknown): readonly Layer[] | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null) return undefined;
  let router = (app as { _router?: { stack?: unknown } })._router;
  if (router === undefined) {
    try {
      router = (app as { router?: { stack?: unknown } }).router;
    } catch {
      return undefined;
    }
  }
  const stack = router?.stack;
  return Array.isArray(stack) ? stack : undefined;
}

/**
 * The scopes that the app's `requireScope`/`requireAnyScope` handlers require: every route and router
 * mounted on `req.app`, walked once per metadata request (a rare, cacheable request). Sub-apps mounted
 * with `app.use(subApp)` are out of reach; list their scopes in `resourceMetadata.scopesSupported`.
 */
function routeScopes(req: ScopeguardRequest): Set<string> {
  const scopes = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (stack: readonly Layer[] | undefined) => {
    if (stack === undefined || seen.has(stack)) return;
    seen.add(stack);
    for (const layer of stack) {
      if (layer.route !== undefined) {
        collectScopes(
          (layer.route.stack ?? []).map((inner) => inner.handle),
          scopes,
        );
        continue;
      }
      collectScopes([layer.handle], scopes);
      const nested = (layer.handle as { stack?: unknown } | undefined)?.stack;
      if (Array.isArray(nested)) walk(nested);
    }
  };
  walk(stackOf((req as { app?: unknown }).app));
  return scopes;
}

/**
 * Middleware that serves this API's OAuth 2.0 protected resource metadata (RFC 9728): answers `GET` and
 * `HEAD` at `/.well-known/oauth-protected-resource<path of resource>` with the JSON document, and calls
 * `next()` for every other request. Give it the same options as `authenticate(...)` (or `{ verifier }`
 * plus the layer's options): the `resource` names the API and the metadata path, `resourceMetadata`
 * chooses what the document says. `scopes_supported` defaults to the scopes that the app's
 * `requireScope`/`requireAnyScope` routes require. Mount it before `authenticate` (the document is
 * public). Throws `ConfigError` at startup when there is no `resource` (unless `resourceMetadata` is
 * `false`, which makes it pass every request on).
 *
 * @example
 * const options = { issuer: 'https://example.okta.com/oauth2/default', resource: 'https://api.example.com' };
 * app.use(protectedResourceMetadata(options));
 * app.use(authenticate(options));
 */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): Middleware {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'protectedResourceMetadata() needs verifier options or { verifier }');
  }
  const { verifier, settings } = createGuard(options);
  const metadata = metadataToServe(options, settings);
  return function scopeguardResourceMetadata(req, res, next) {
    if (!isResourceMetadataRequest(metadata, req.method ?? 'GET', nodeRequest(req).target)) {
      next();
      return;
    }
    const answer = metadataDocument(verifier, settings, routeScopes(req));
    if (answer === undefined) next();
    else sendAnswer(res, answer);
  };
}
