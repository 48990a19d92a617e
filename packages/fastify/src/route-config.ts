import { ConfigError } from '@scopeguard/core';
import { type ScopeRule, scopeRule } from '@scopeguard/http';
import type { FastifyRequest, RouteOptions } from 'fastify';

/**
 * Scopes declared in a route's `config` (`config: { scopes: ['a'], anyScopes: ['b', 'c'] }`), compiled
 * into the layer's `ScopeRule` once per route: at declaration through the plugin's `onRoute` hook (a bad
 * scope name fails at startup), or, for a route Fastify declared before the plugin had loaded (an
 * un-awaited `register` followed by `app.get` in the same context), at its first request. Either way a
 * scope requirement is never ignored on a route the plugin authenticates.
 */

/** The compiled rule stored in the route's config: a `ScopeRule`, or `null` for a route without scopes. */
const RULE = Symbol.for('@scopeguard/fastify.route-rule');

type RouteConfig = {
  readonly scopes?: unknown;
  readonly anyScopes?: unknown;
  readonly url?: unknown;
  readonly method?: unknown;
  [RULE]?: ScopeRule | null;
};

const CONFIG_KEYS = { allOf: 'scopes', anyOf: 'anyScopes' } as const;

/**
 * The rule of a route config, or undefined when it declares no scopes. Throws a `ConfigError` naming the
 * config key and the route (`config.scopes: "read write" is not a valid scope name …; … scopes: ['read',
 * 'write'] (route GET /admin)`).
 */
export function routeScopeRule(config: RouteConfig | undefined, route: string): ScopeRule | undefined {
  if (config === undefined || config === null) return undefined;
  const { scopes, anyScopes } = config;
  if (scopes === undefined && anyScopes === undefined) return undefined;
  try {
    return scopeRule(
      { allOf: scopes as readonly string[] | undefined, anyOf: anyScopes as readonly string[] | undefined },
      { form: 'options' },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const key = error.option === 'anyOf' ? CONFIG_KEYS.anyOf : CONFIG_KEYS.allOf;
    const detail = error.message
      .slice(error.option.length + 2)
      .replace('allOf: [', `${CONFIG_KEYS.allOf}: [`)
      .replace('anyOf: [', `${CONFIG_KEYS.anyOf}: [`);
    throw new ConfigError(`config.${key}`, `${detail} (route ${route})`);
  }
}

function describeRoute(method: unknown, url: unknown): string {
  return `${Array.isArray(method) ? method.join(',') : String(method)} ${String(url)}`;
}

/**
 * The plugin's `onRoute` hook: validates the route's scopes now and stores the compiled rule in a copy
 * of its config (the application's own config object is left untouched; Fastify copies the config,
 * symbol keys included, into the route's context).
 */
export function compileRouteConfig(routeOptions: RouteOptions): void {
  const config = routeOptions.config as RouteConfig | undefined;
  const rule = routeScopeRule(config, describeRoute(routeOptions.method, routeOptions.url));
  routeOptions.config = { ...config, [RULE]: rule ?? null } as RouteOptions['config'];
}

const lateRules = new WeakMap<object, ScopeRule | null>();

/**
 * The scope rule of the route `request` matched, or undefined. Reads the rule `onRoute` stored; a route
 * declared before the plugin loaded has none stored, and is compiled here once (a bad scope name then
 * throws its `ConfigError` at each of its requests: the route fails closed, through Fastify's error handler).
 */
export function ruleOfRoute(request: FastifyRequest): ScopeRule | undefined {
  const config = request.routeOptions.config as RouteConfig | undefined;
  if (config === undefined || config === null) return undefined;
  const stored = config[RULE];
  if (stored !== undefined) return stored ?? undefined;
  let late = lateRules.get(config);
  if (late === undefined) {
    late = routeScopeRule(config, describeRoute(config.method, config.url)) ?? null;
    lateRules.set(config, late);
  }
  return late ?? undefined;
}
