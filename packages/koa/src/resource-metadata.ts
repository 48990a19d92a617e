import { ConfigError } from '@scopeguard/core';
import {
  collectScopes,
  createGuard,
  isResourceMetadataRequest,
  metadataToServe,
  protectedResourceMetadata as metadataDocument,
} from '@scopeguard/http';
import type { Context, Next } from 'koa';
import type { AuthenticateOptions } from './authenticate.js';
import { sendAnswer } from './send-answer.js';
import type { ScopeguardMiddleware } from './types.js';

/** Options of {@link protectedResourceMetadata}: the same as `authenticate(...)`'s. */
export type ProtectedResourceMetadataOptions = AuthenticateOptions;

/** `@koa/router`'s `router.routes()` middleware carries its router, whose layers hold the route middleware. */
interface RouterLike {
  readonly stack?: readonly { readonly stack?: readonly unknown[] }[];
}

/**
 * The scopes that `requireScope`/`requireAnyScope` require across the app's middleware (`app.use(...)`)
 * and the routes of every `@koa/router` router mounted with `router.routes()`, nested routers included.
 * Middleware composed by hand (`koa-compose`) is out of reach; list its scopes in `scopesSupported`.
 */
function appScopes(ctx: Context): Set<string> {
  const scopes = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (middleware: readonly unknown[] | undefined) => {
    if (!Array.isArray(middleware)) return;
    for (const fn of middleware) {
      if (seen.has(fn)) continue;
      seen.add(fn);
      collectScopes([fn], scopes);
      const router = (fn as { router?: RouterLike } | null)?.router;
      for (const layer of router?.stack ?? []) walk(layer.stack);
    }
  };
  walk((ctx.app as { middleware?: unknown[] }).middleware);
  return scopes;
}

/**
 * Koa middleware that serves this API's OAuth 2.0 protected resource metadata (RFC 9728): answers `GET`
 * and `HEAD` at `/.well-known/oauth-protected-resource<path of resource>` with the JSON document, and
 * passes every other request on. Give it the same options as `authenticate(...)`: the `resource` names
 * the API and the metadata path, `resourceMetadata` chooses what the document says; `scopes_supported`
 * defaults to the scopes the app's `requireScope`/`requireAnyScope` middleware require (`app.use` and
 * `@koa/router` routes). Mount it before `authenticate` (the document is public). Throws `ConfigError`
 * at startup without a `resource` (unless `resourceMetadata: false`, which passes every request on).
 *
 * @example
 * const options = { issuer: 'https://example.okta.com/oauth2/default', resource: 'https://api.example.com' };
 * app.use(protectedResourceMetadata(options));
 * app.use(authenticate(options));
 */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ScopeguardMiddleware {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'protectedResourceMetadata() needs verifier options or { verifier }');
  }
  const { verifier, settings } = createGuard(options);
  const metadata = metadataToServe(options, settings);
  return async function scopeguardResourceMetadata(koaContext, next: Next) {
    const ctx = koaContext as Context;
    if (!isResourceMetadataRequest(metadata, ctx.method, ctx.originalUrl)) {
      await next();
      return;
    }
    const answer = metadataDocument(verifier, settings, appScopes(ctx));
    if (answer === undefined) await next();
    else sendAnswer(ctx, answer);
  };
}
