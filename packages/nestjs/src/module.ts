import {
  type DynamicModule,
  type FactoryProvider,
  Module,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ScopeguardExceptionFilter } from './exception-filter.js';
import { ScopeguardGuard } from './guard.js';
import { createScopeguardConfig, type ScopeguardOptions } from './options.js';
import { ResourceMetadataRoute } from './resource-metadata.js';
import { SCOPEGUARD_CONFIG, SCOPEGUARD_OPTIONS } from './tokens.js';

/** How the module registers itself, next to the options. */
export interface ScopeguardRegistration {
  /**
   * Register `ScopeguardGuard` as a global guard (`APP_GUARD`): every HTTP route needs a valid token unless
   * it is `@Public()`. Default false: add `@UseGuards(ScopeguardGuard)` where needed.
   */
  globalGuard?: boolean;
}

/** Options of {@link ScopeguardModule.forRoot}: {@link ScopeguardOptions} plus {@link ScopeguardRegistration}. */
export type ScopeguardModuleOptions = ScopeguardOptions & ScopeguardRegistration;

/**
 * Options of {@link ScopeguardModule.forRootAsync}: a factory of {@link ScopeguardOptions} (typically from
 * `ConfigService`), the providers it injects and the modules that export them.
 */
export interface ScopeguardModuleAsyncOptions
  extends ScopeguardRegistration,
    Pick<ModuleMetadata, 'imports'> {
  /** Providers handed to `useFactory`, in order (e.g. `[ConfigService]`). */
  inject?: FactoryProvider['inject'];
  /** Builds the options; may be async. */
  useFactory: (...args: never[]) => ScopeguardOptions | Promise<ScopeguardOptions>;
}

function dynamicModule(
  options: Provider,
  imports: ModuleMetadata['imports'],
  globalGuard: boolean | undefined,
): DynamicModule {
  const providers: Provider[] = [
    options,
    { provide: SCOPEGUARD_CONFIG, useFactory: createScopeguardConfig, inject: [SCOPEGUARD_OPTIONS] },
    ScopeguardGuard,
    { provide: APP_FILTER, useClass: ScopeguardExceptionFilter },
    // RFC 9728: serves the protected resource metadata when the settings have it on.
    ResourceMetadataRoute,
  ];
  if (globalGuard === true) providers.push({ provide: APP_GUARD, useExisting: ScopeguardGuard });
  return {
    module: ScopeguardModule,
    global: true,
    imports: imports ?? [],
    providers,
    exports: [SCOPEGUARD_CONFIG, ScopeguardGuard],
  };
}

/**
 * The scopeguard module: configures the verifier once for the application (a global module, so
 * `@UseGuards(ScopeguardGuard)` works in every module), registers the exception filter that sends the
 * exact RFC 6750 answers, and optionally the global guard.
 *
 * @example
 * @Module({
 *   imports: [ScopeguardModule.forRoot({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default', globalGuard: true })],
 *   controllers: [MessagesController],
 * })
 * export class AppModule {}
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with static forRoot methods
export class ScopeguardModule {
  /**
   * Configures scopeguard with `options`: verifier options (`issuer`, `audience`, …) or `{ verifier }`,
   * the HTTP layer's options (`optional`, `realm`, `errorBody`, …) and `globalGuard`. With no verifier
   * option, the `SCOPEGUARD_*` environment variables configure the verifier. A bad configuration throws a
   * `ConfigError` when the application is created.
   */
  static forRoot(options: ScopeguardModuleOptions = {}): DynamicModule {
    const { globalGuard, ...rest } = options;
    return dynamicModule({ provide: SCOPEGUARD_OPTIONS, useValue: rest }, [], globalGuard);
  }

  /**
   * Configures scopeguard with options built by `useFactory` from injected providers.
   *
   * @example
   * ScopeguardModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     issuer: config.getOrThrow<string>('OKTA_ISSUER'),
   *     audience: config.getOrThrow<string>('OKTA_AUDIENCE'),
   *   }),
   *   globalGuard: true,
   * })
   */
  static forRootAsync(options: ScopeguardModuleAsyncOptions): DynamicModule {
    const provider: FactoryProvider = {
      provide: SCOPEGUARD_OPTIONS,
      useFactory: options.useFactory as FactoryProvider['useFactory'],
      inject: options.inject ?? [],
    };
    return dynamicModule(provider, options.imports, options.globalGuard);
  }
}
