import { ConfigError, createVerifier, type Verifier, type VerifierOptions } from '@scopeguard/core';

/** The environment variables read by {@link verifierOptionsFromEnv}, by verifier option. */
export const ENV_VARIABLES = Object.freeze({
  issuer: 'SCOPEGUARD_ISSUER',
  audience: 'SCOPEGUARD_AUDIENCE',
  clientIds: 'SCOPEGUARD_CLIENT_IDS',
  jwksUri: 'SCOPEGUARD_JWKS_URI',
} as const);

/** An environment: `process.env` or any record of strings. */
export type Environment = Readonly<Record<string, string | undefined>>;

function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** True when any `SCOPEGUARD_*` verifier variable is set (the app means to configure from the env). */
export function hasEnvConfig(env: Environment = process.env): boolean {
  return Object.values(ENV_VARIABLES).some((name) => read(env, name) !== undefined);
}

/**
 * Verifier options from the environment: `SCOPEGUARD_ISSUER` (required), `SCOPEGUARD_AUDIENCE`
 * (required, comma-separated list of accepted audiences), `SCOPEGUARD_CLIENT_IDS` (optional,
 * comma-separated allowlist) and `SCOPEGUARD_JWKS_URI` (optional). Throws a `ConfigError` whose
 * `option` is the name of the missing variable.
 */
export function verifierOptionsFromEnv(env: Environment = process.env): VerifierOptions {
  const issuer = read(env, ENV_VARIABLES.issuer);
  if (issuer === undefined) {
    throw new ConfigError(
      ENV_VARIABLES.issuer,
      'is not set (the expected token issuer, e.g. https://example.okta.com/oauth2/default)',
    );
  }
  const audience = list(read(env, ENV_VARIABLES.audience));
  if (audience.length === 0) {
    throw new ConfigError(
      ENV_VARIABLES.audience,
      'is not set (the accepted audience(s), comma-separated, e.g. api://default)',
    );
  }
  const options: VerifierOptions = { issuer, audience };
  const clientIds = list(read(env, ENV_VARIABLES.clientIds));
  if (clientIds.length > 0) options.clientIds = clientIds;
  const jwksUri = read(env, ENV_VARIABLES.jwksUri);
  if (jwksUri !== undefined) options.jwksUri = jwksUri;
  return options;
}

const shared = new Map<string, Verifier>();

/**
 * The verifier configured by the environment (see {@link verifierOptionsFromEnv}), built once per
 * distinct configuration and shared by every caller. A `ConfigError` from the core names the
 * variable at fault (e.g. `SCOPEGUARD_ISSUER: ...` for a non-https issuer).
 */
export function verifierFromEnv(env: Environment = process.env): Verifier {
  const options = verifierOptionsFromEnv(env);
  const key = JSON.stringify([
    options.issuer,
    options.audience,
    options.clientIds ?? null,
    options.jwksUri ?? null,
  ]);
  let verifier = shared.get(key);
  if (verifier === undefined) {
    try {
      verifier = createVerifier(options);
    } catch (error) {
      if (error instanceof ConfigError && Object.hasOwn(ENV_VARIABLES, error.option)) {
        const name = ENV_VARIABLES[error.option as keyof typeof ENV_VARIABLES];
        const prefix = `${error.option}: `;
        const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
        throw new ConfigError(name, detail);
      }
      throw error;
    }
    shared.set(key, verifier);
  }
  return verifier;
}

/** Where an env-configured guard gets its verifier: see {@link envVerifierSource}. */
export interface EnvVerifierSource {
  /**
   * The verifier: the one built at creation, or built now from the environment as it is at this
   * request. Throws the `ConfigError` of an incomplete or invalid environment (and reports it once
   * through `process.emitWarning`, code `SCOPEGUARD_CONFIG`); the next call reads the environment again.
   */
  get(): Verifier;
}

/** Warning code of configuration problems found at a request rather than at startup. */
export const CONFIG_WARNING_CODE = 'SCOPEGUARD_CONFIG';

const reported = new Set<string>();

function reportOnce(error: ConfigError): void {
  if (reported.has(error.message)) return;
  reported.add(error.message);
  process.emitWarning(`scopeguard: ${error.message}`, {
    code: CONFIG_WARNING_CODE,
    type: 'ScopeguardWarning',
  });
}

/** Options of {@link envVerifierSource}. */
export interface EnvVerifierSourceOptions {
  /** The environment; default `process.env`, read live. */
  env?: Environment;
  /**
   * The error for a request that finds no `SCOPEGUARD_*` variable at all, in the adapter's words
   * (e.g. "mount authenticate() first, or set SCOPEGUARD_ISSUER…"). Default: the missing variable's error.
   */
  unconfigured?: () => ConfigError;
}

/**
 * The environment-configured verifier, for guards that may run without an explicit configuration
 * (`app.use(requireScope('x'))` alone).
 *
 * - When any `SCOPEGUARD_*` variable is set at creation, the environment is validated now: a missing
 *   or invalid variable throws its `ConfigError` at startup, as any other configuration mistake.
 * - Otherwise nothing is read yet, so that `import app` followed by `dotenv.config()` works: the
 *   environment is read at the first request that needs it. If it is still incomplete or invalid
 *   then, that request fails with the `ConfigError` (adapters pass it to the framework's error
 *   handling, usually a 500), the error is reported once with `process.emitWarning` (code
 *   `SCOPEGUARD_CONFIG`), and the next request tries again. Once a verifier is built it is kept;
 *   later changes to the environment are not read.
 */
export function envVerifierSource(options: EnvVerifierSourceOptions = {}): EnvVerifierSource {
  const env = options.env ?? process.env;
  let verifier = hasEnvConfig(env) ? verifierFromEnv(env) : undefined;
  return {
    get() {
      if (verifier !== undefined) return verifier;
      try {
        if (options.unconfigured !== undefined && !hasEnvConfig(env)) throw options.unconfigured();
        verifier = verifierFromEnv(env);
      } catch (error) {
        if (error instanceof ConfigError) reportOnce(error);
        throw error;
      }
      return verifier;
    },
  };
}
