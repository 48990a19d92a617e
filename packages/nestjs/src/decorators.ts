import {
  type CustomDecorator,
  createParamDecorator,
  type ExecutionContext,
  type PipeTransform,
  SetMetadata,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type ScopeRequirement, type ScopeRule, scopeRuleFromArguments } from '@scopeguard/http';
import { ScopeguardGuard } from './guard.js';
import { getRequestState } from './request-state.js';
import { PUBLIC_METADATA, SCOPES_METADATA } from './tokens.js';
import type { AuthInfo, ScopeguardRequest } from './types.js';

/** A decorator usable on a controller class or on a route handler. */
export type ClassOrMethodDecorator = ClassDecorator & MethodDecorator;

// `reflect-metadata`'s API, which Nest loads; declared here so that this package needs no types of its own.
const metadata = Reflect as unknown as {
  getMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
};

/**
 * Adds a rule to the list on a class or handler, and puts `ScopeguardGuard` on it, so that a route that
 * requires a scope is never served unchecked, even without a global guard or `@UseGuards`. Every rule
 * applies: several decorators on one handler, and those of the controller class with those of the handler
 * (class rules first). A class also keeps the rules of the class it extends. When the guard runs more than
 * once for a request (global and here), the token is verified once.
 */
function addScopeRule(rule: ScopeRule): ClassOrMethodDecorator {
  const guarded = UseGuards(ScopeguardGuard);
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder: object = descriptor === undefined ? target : (descriptor.value as object);
    const rules = (metadata.getMetadata(SCOPES_METADATA, holder) as readonly ScopeRule[] | undefined) ?? [];
    metadata.defineMetadata(SCOPES_METADATA, Object.freeze([...rules, rule]), holder);
    if (descriptor === undefined) (guarded as ClassDecorator)(target as Type);
    else (guarded as MethodDecorator)(target, key as string | symbol, descriptor);
  }) as ClassOrMethodDecorator;
}

/**
 * Requires every listed scope (`@RequireScope('orders:read', 'orders:write')`), or `{ allOf, anyOf }`. On
 * a controller class it applies to each of its routes, on a handler to that route; all the rules of the
 * class and of the handler must hold. A token without them gets 403 `insufficient_scope` with
 * `scope="…"` listing what the route needs and an `error_description` that says "all of these scopes".
 *
 * Read by `ScopeguardGuard`, which this decorator also applies (as `@UseGuards(ScopeguardGuard)` would), so
 * the route is checked even where no global guard runs. Invalid scope names throw a
 * `ConfigError` when the class is defined; `@RequireScope('read write')` suggests
 * `@RequireScope('read', 'write')`.
 *
 * @example
 * @Get('messages')
 * @RequireScope('customScope')
 * list(@Auth() auth: AuthInfo) { return { client: auth.clientId }; }
 */
export function RequireScope(...scopes: string[]): ClassOrMethodDecorator;
export function RequireScope(requirement: ScopeRequirement): ClassOrMethodDecorator;
export function RequireScope(...args: unknown[]): ClassOrMethodDecorator {
  return addScopeRule(scopeRuleFromArguments(args, 'allOf', '@RequireScope').rule);
}

/**
 * Like {@link RequireScope}, but one of the listed scopes is enough
 * (`@RequireAnyScope('orders:read', 'orders:admin')`); the 403's `error_description` reads "This resource
 * requires one of these scopes: orders:read, orders:admin".
 */
export function RequireAnyScope(...scopes: string[]): ClassOrMethodDecorator {
  return addScopeRule(scopeRuleFromArguments(scopes, 'anyOf', '@RequireAnyScope').rule);
}

/**
 * Opts a route, or every route of a controller, out of `ScopeguardGuard`: no token is read or needed,
 * and `@Auth()` gives `undefined` there. For health checks and public endpoints under a global guard.
 */
export function Public(): CustomDecorator<string> {
  return SetMetadata(PUBLIC_METADATA, true);
}

let reflector: Reflector | undefined;

/** True when the route of `context` is marked `@Public()`, on its handler or its class. */
export function isPublicRoute(context: ExecutionContext): boolean {
  reflector ??= new Reflector();
  return (
    reflector.getAllAndOverride<boolean | undefined>(PUBLIC_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]) === true
  );
}

/** `@Auth()` and `@Auth('clientId')`: see {@link Auth}. */
export type AuthDecorator = (
  property?: keyof AuthInfo,
  ...pipes: (Type<PipeTransform> | PipeTransform)[]
) => ParameterDecorator;

/**
 * A handler parameter holding the request's verified token, as `ScopeguardGuard` verified it:
 * `@Auth() auth: AuthInfo` (`{ claims, header, scopes, clientId, subject, expiresAt, token }`), or one of
 * its properties, `@Auth('clientId') client: string | undefined`. It is `undefined` when the module's
 * `optional` mode let a request without a token through, and on `@Public()` routes.
 *
 * On a route that no `ScopeguardGuard` protects (neither global nor `@UseGuards`) and that is not
 * `@Public()`, it throws (a 500), so a forgotten guard cannot pass for an anonymous request.
 */
export const Auth: AuthDecorator = createParamDecorator(
  (property: keyof AuthInfo | undefined, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<ScopeguardRequest>();
    const state = getRequestState(request);
    if (state === undefined) {
      if (isPublicRoute(context)) return undefined;
      throw new Error(
        `@Auth() is used on ${context.getClass().name}.${context.getHandler().name}, which no ScopeguardGuard ` +
          'authenticated: register it globally (ScopeguardModule.forRoot({ globalGuard: true, ... }) or an ' +
          'APP_GUARD provider), or add @UseGuards(ScopeguardGuard) to the controller or route',
      );
    }
    const auth = state.auth;
    return property === undefined || auth === undefined ? auth : auth[property];
  },
);
