/**
 * `@scopeguard/nestjs`: NestJS integration of scopeguard, a thin adapter over the framework-neutral
 * `@scopeguard/http` layer. `ScopeguardModule.forRoot` / `forRootAsync` configure the verifier,
 * `ScopeguardGuard` (global or `@UseGuards`) authenticates HTTP requests on Nest's Express and Fastify
 * platforms, `@RequireScope` / `@RequireAnyScope` / `@Public()` say what each route needs, and `@Auth()`
 * hands the verified token to a handler. Refusals go through Nest's exception layer as
 * `ScopeguardException`s carrying the layer's RFC 6750 answer. Replaces `@nestjs/passport` +
 * `passport-jwt` + `jwks-rsa`.
 *
 * @packageDocumentation
 */

export {
  Auth,
  type AuthDecorator,
  type ClassOrMethodDecorator,
  Public,
  RequireAnyScope,
  RequireScope,
} from './decorators.js';
export { ScopeguardException } from './exception.js';
export { ScopeguardExceptionFilter } from './exception-filter.js';
export { ScopeguardGuard } from './guard.js';
export {
  ScopeguardModule,
  type ScopeguardModuleAsyncOptions,
  type ScopeguardModuleOptions,
  type ScopeguardRegistration,
} from './module.js';
export type {
  EnvironmentConfigured,
  ScopeguardConfig,
  ScopeguardOptions,
  ScopeguardSettings,
} from './options.js';
export { SCOPEGUARD_CONFIG, SCOPEGUARD_OPTIONS } from './tokens.js';
export type { AuthErrorCode, AuthFailure, AuthInfo, HttpAnswer, ScopeguardRequest } from './types.js';
export type { ScopeRequirement } from '@scopeguard/http';
