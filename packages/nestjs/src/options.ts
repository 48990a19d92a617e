import { type AnyVerifierOptions, ConfigError, type Verifier, type VerifierOptions } from '@scopeguard/core';
import {
  createGuard,
  ENV_VARIABLES,
  envVerifierSource,
  type GuardOptions,
  HTTP_OPTION_KEYS,
  type HttpOptions,
  type ResolvedSettings,
  resolveSettings,
} from '@scopeguard/http';
import type { ScopeguardRequest } from './types.js';

/** No verifier option at all: the verifier is configured by the `SCOPEGUARD_*` environment variables. */
export type EnvironmentConfigured = { [K in keyof VerifierOptions]?: undefined } & { verifier?: undefined };

/**
 * What `ScopeguardModule.forRoot` (or the factory of `forRootAsync`) is given: the core's verifier options
 * (`issuer`, `audience`, …), or `{ verifier }` to share an existing one, or none of them to read the
 * `SCOPEGUARD_*` environment variables; plus the HTTP layer's options (`optional`, `realm`, `errorBody`,
 * `allowQueryToken`, `allowBodyToken`, `retryAfter`, `exposeErrorDetails`), the same for every adapter.
 */
export type ScopeguardOptions = (AnyVerifierOptions | { verifier: Verifier } | EnvironmentConfigured) &
  HttpOptions<ScopeguardRequest>;

/** The layer's settings, resolved once per module (realm, error body, …). */
export type ScopeguardSettings = ResolvedSettings<ScopeguardRequest>;

/** What the guard holds: where its verifier comes from, and the layer's settings. */
export interface ScopeguardConfig {
  /**
   * The verifier: built at startup from explicit options, or from the environment. An environment still
   * incomplete at a request throws its `ConfigError` (a 500 through Nest's exception layer), reported once
   * with `process.emitWarning` (code `SCOPEGUARD_CONFIG`); the next request reads the environment again.
   */
  verifier(): Verifier;
  readonly settings: ScopeguardSettings;
}

/** Keys of the module's own registration options, never handed to the verifier. */
const MODULE_KEYS = ['globalGuard'] as const;

function namesAVerifier(options: Record<string, unknown>): boolean {
  const ignored: readonly string[] = [...HTTP_OPTION_KEYS, ...MODULE_KEYS];
  return Object.keys(options).some((key) => !ignored.includes(key) && options[key] !== undefined);
}

function unconfigured(): ConfigError {
  return new ConfigError(
    ENV_VARIABLES.issuer,
    'is not set and ScopeguardModule got no verifier options: pass { issuer, audience } (or { verifier }) ' +
      `to ScopeguardModule.forRoot / forRootAsync, or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}

/**
 * Validates the options once, at startup, and builds the verifier (a bad configuration throws a
 * `ConfigError` then). Without any verifier option, the verifier comes from the environment: validated
 * now when a `SCOPEGUARD_*` variable is set, otherwise read at the first request (so `dotenv` may run
 * after the module is built).
 */
export function createScopeguardConfig(options: ScopeguardOptions = {}): ScopeguardConfig {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'ScopeguardModule needs verifier options, { verifier } or {}');
  }
  const own: Record<string, unknown> = { ...options };
  for (const key of MODULE_KEYS) delete own[key];
  if (namesAVerifier(own)) {
    const guard = createGuard<ScopeguardRequest>(own as unknown as GuardOptions<ScopeguardRequest>);
    const verifier = guard.verifier;
    return Object.freeze({ verifier: () => verifier, settings: guard.settings });
  }
  const settings = resolveSettings<ScopeguardRequest>(own as HttpOptions<ScopeguardRequest>);
  const env = envVerifierSource({ unconfigured });
  return Object.freeze({ verifier: () => env.get(), settings });
}
