import { ConfigError, type Verifier } from '@scopeguard/core';
import {
  collectScopes,
  protectedResourceMetadata,
  type ResolvedSettings,
  scopeRuleOf,
} from '@scopeguard/http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { routeScopeRule } from './route-config.js';
import { setHeaders } from './send-answer.js';

/**
 * RFC 9728 for Fastify: when the plugin's `resourceMetadata` is on, it declares the metadata route
 * itself (`GET`, and the `HEAD` Fastify adds), unauthenticated, and collects the scopes its context's
 * routes require (`config.scopes`/`anyScopes`, `requireScope(...)` hooks) for `scopes_supported`.
 */

/** Route config flag of the metadata route: the plugin's authentication hook lets it through. */
export const METADATA_ROUTE = Symbol.for('@scopeguard/fastify.resource-metadata');

/** True for a request to the metadata route (no token is asked for it). */
export function isMetadataRoute(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { [METADATA_ROUTE]?: boolean } | undefined;
  return config?.[METADATA_ROUTE] === true;
}

function hooksOf(value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Serves the metadata of `settings` on `fastify` (the plugin's context) when it is on. Must be called
 * before the application declares its routes (the plugin does it when it loads), so `onRoute` sees them.
 */
export function serveResourceMetadata(
  fastify: FastifyInstance,
  verifier: Verifier,
  settings: ResolvedSettings<FastifyRequest>,
): void {
  const metadata = settings.resourceMetadata;
  if (metadata === undefined) return;
  if (fastify.prefix !== '') {
    throw new ConfigError(
      'resourceMetadata',
      `must be served at ${metadata.path}, outside the prefix ${fastify.prefix} of the context scopeguard is ` +
        'registered in: register scopeguard at the root, or pass resourceMetadata: false here',
    );
  }
  const scopes = new Set<string>();
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config as { scopes?: unknown; anyScopes?: unknown } | undefined;
    const rule = config === undefined ? undefined : routeScopeRule(config, String(route.url));
    if (rule !== undefined) for (const scope of rule.scopes) scopes.add(scope);
    collectScopes(
      [...hooksOf(route.onRequest), ...hooksOf(route.preValidation), ...hooksOf(route.preHandler)].filter(
        (hook) => scopeRuleOf(hook) !== undefined,
      ),
      scopes,
    );
  });
  const handler = (_request: FastifyRequest, reply: FastifyReply) => {
    const answer = protectedResourceMetadata(verifier, settings, scopes);
    if (answer === undefined) return reply.callNotFound();
    reply.code(answer.status);
    setHeaders(reply, answer.headers);
    return reply.send(answer.body);
  };
  for (const path of [metadata.path, ...metadata.aliases]) {
    const config = { [METADATA_ROUTE]: true } as RouteOptions['config'];
    fastify.route({ method: 'GET', url: path, config, handler });
  }
}
