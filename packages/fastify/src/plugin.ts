import { ConfigError, type Verifier, type VerifierOptions } from '@scopeguard/core';
import { createGuard, type GuardOptions, hasEnvConfig, verifierFromEnv } from '@scopeguard/http';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { authenticateFastifyRequest } from './authenticate.js';
import { notConfigured } from './env.js';
import { AUTH, SETTINGS } from './request-state.js';
import { isMetadataRoute, serveResourceMetadata } from './resource-metadata.js';
import { compileRouteConfig } from './route-config.js';
import type { AdapterOptions } from './types.js';

/**
 * Options of the plugin: the core's verifier options (`issuer`, `audience`, …; a verifier is built once,
 * when the plugin loads), or `{ verifier }` to share an existing one, plus the adapter options
 * (`optional`, `realm`, `errorBody`, `allowQueryToken`, `allowBodyToken`, `retryAfter`,
 * `exposeErrorDetails`). With neither `issuer`, `audience` nor `verifier`, the verifier comes from the
 * environment (`SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, …), read when the plugin loads.
 */
export type ScopeguardOptions = GuardOptions<FastifyRequest> | EnvScopeguardOptions;

/** {@link ScopeguardOptions} without verifier options: the verifier is configured by `SCOPEGUARD_*`. */
export type EnvScopeguardOptions = AdapterOptions & {
  issuer?: undefined;
  audience?: undefined;
  verifier?: undefined;
};

function guardOptions(options: ScopeguardOptions): GuardOptions<FastifyRequest> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'fastify.register(scopeguard, options) needs an options object');
  }
  const given = options as Partial<VerifierOptions> & { verifier?: Verifier };
  if (given.verifier !== undefined || given.issuer !== undefined || given.audience !== undefined) {
    return options as GuardOptions<FastifyRequest>;
  }
  if (!hasEnvConfig()) throw notConfigured('scopeguard was registered without options');
  return { ...options, verifier: verifierFromEnv() };
}

const plugin: FastifyPluginCallback<ScopeguardOptions> = (fastify, options, done) => {
  let guard: ReturnType<typeof createGuard<FastifyRequest>>;
  try {
    if (fastify.hasRequestDecorator(SETTINGS)) {
      throw new ConfigError(
        'register',
        'scopeguard is already registered in this context or an enclosing one; register it once per ' +
          'route tree (to use other options for some routes, register each tree in its own sibling context)',
      );
    }
    guard = createGuard<FastifyRequest>(guardOptions(options));
  } catch (error) {
    done(error as Error);
    return;
  }
  const { verifier, settings } = guard;

  fastify.decorateRequest('auth', null);
  fastify.decorateRequest(SETTINGS, null);
  fastify.decorateRequest(AUTH, null);
  fastify.addHook('onRoute', compileRouteConfig);

  function scopeguardAuthenticate(
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
    next: HookHandlerDoneFunction,
  ): void {
    authenticateFastifyRequest(verifier, settings, request, reply, next, 'route');
  }
  // The RFC 9728 metadata route is public: it is answered without a token.
  function scopeguardAuthenticateWithMetadata(
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
    next: HookHandlerDoneFunction,
  ): void {
    if (isMetadataRoute(request)) next();
    else authenticateFastifyRequest(verifier, settings, request, reply, next, 'route');
  }
  try {
    serveResourceMetadata(fastify, verifier, settings);
  } catch (error) {
    done(error as Error);
    return;
  }
  // Before the body is read, unless a form-body token must be found in it (RFC 6750 §2.2).
  fastify.addHook(
    settings.allowBodyToken ? 'preValidation' : 'onRequest',
    settings.resourceMetadata === undefined ? scopeguardAuthenticate : scopeguardAuthenticateWithMetadata,
  );
  done();
};

/**
 * The scopeguard plugin: `fastify.register(scopeguard, { issuer, audience })`. Every request to a route
 * of the context it is registered in (and of that context's child contexts) must carry a valid bearer
 * access token; `request.auth` is then the verified token (`AuthInfo`). Otherwise the request is answered
 * per RFC 6750 §3 (through `@scopeguard/http`) with `reply`, so Fastify's `onSend`/`onResponse` hooks and
 * serializers run:
 *
 * - no token: 401 with a bare `WWW-Authenticate: Bearer realm="…"` (with `optional: true`, the request
 *   continues with `request.auth` null);
 * - malformed `Authorization`, two `Authorization` headers, or a token sent two ways: 400 `invalid_request`;
 * - token refused by the verifier: 401 `invalid_token`;
 * - route `config: { scopes: [...] }` / `{ anyScopes: [...] }` not granted: 403 `insufficient_scope`;
 * - the issuer's keys cannot be fetched: 503 with `Retry-After`.
 *
 * With a `resource` (unless `resourceMetadata: false`), the plugin also serves the RFC 9728 metadata
 * document at `/.well-known/oauth-protected-resource<path of resource>` (no token needed; register the
 * plugin at the root), listing the scopes its routes require, and every challenge carries
 * `resource_metadata="…"`.
 *
 * An unexpected error goes to Fastify's error handler. Wrapped with `fastify-plugin`, so its hooks and the
 * `request.auth` decorator belong to the context that registers it: register it at the root to protect
 * every route, or inside a plugin to protect only that plugin's routes (sibling and parent contexts are
 * untouched). It authenticates in `onRequest` (in `preValidation` with `allowBodyToken`, once the body is
 * parsed). A bad configuration or scope name fails at startup (`ready()`/`listen()` reject with a
 * `ConfigError`).
 *
 * @example
 * await app.register(scopeguard, { issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * app.get('/messages', { config: { scopes: ['customScope'] } }, async (request) => ({ client: request.auth?.clientId }));
 */
export const scopeguard = fastifyPlugin(plugin, { fastify: '5.x', name: '@scopeguard/fastify' });
