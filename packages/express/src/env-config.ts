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
