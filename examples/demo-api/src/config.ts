import type { VerifierOptions } from '@scopeguard/core';
import { type Environment, verifierOptionsFromEnv } from '@scopeguard/express';

/** A missing or invalid environment variable. */
export class EnvConfigError extends Error {
  /** The variable at fault. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable} ${message}`);
    this.name = 'EnvConfigError';
    this.variable = variable;
  }
}

/** Configuration of the API, from the environment (see {@link readApiConfig}). */
export interface ApiConfig {
  /** Verifier options: `SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, `SCOPEGUARD_CLIENT_IDS`, `SCOPEGUARD_JWKS_URI`. */
  verifier: VerifierOptions;
  /** `DEMO_READ_SCOPE`, default `customScope`. */
  readScope: string;
  /** `DEMO_WRITE_SCOPE`, default `messages:write`. */
  writeScope: string;
  /** `PORT`, default 3000 (0: any free port). */
  port: number;
  /** `HOST`, default `127.0.0.1`. */
  host: string;
}

/** Client Credentials settings of an Okta app integration, from the environment. */
export interface OktaClientConfig {
  /** `OKTA_CLIENT_ID` (required). */
  clientId: string;
  /** `OKTA_CLIENT_SECRET` (required). */
  clientSecret: string;
  /** `OKTA_SCOPE`: space-delimited scopes to request, default `customScope`. */
  scope: string;
  /** `OKTA_TOKEN_AUTH_METHOD`: `client_secret_basic` (default, Okta's default) or `client_secret_post`. */
  authMethod: 'client_secret_basic' | 'client_secret_post';
}

function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Environment, name: string, hint: string): string {
  const value = read(env, name);
  if (value === undefined) throw new EnvConfigError(name, `is not set (${hint})`);
  return value;
}

const SCOPE_LIST = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

function scopeVariable(env: Environment, name: string, fallback: string): string {
  const value = read(env, name) ?? fallback;
  if (!SCOPE_LIST.test(value))
    throw new EnvConfigError(name, `is not a valid scope list: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Reads the API's configuration: the verifier options from `SCOPEGUARD_ISSUER` (required),
 * `SCOPEGUARD_AUDIENCE` (required), `SCOPEGUARD_CLIENT_IDS` and `SCOPEGUARD_JWKS_URI` (optional), the
 * route scopes from `DEMO_READ_SCOPE`/`DEMO_WRITE_SCOPE`, and `PORT`/`HOST`. Throws an error naming
 * the variable at fault.
 */
export function readApiConfig(env: Environment = process.env): ApiConfig {
  const verifier = verifierOptionsFromEnv(env);
  const portText = read(env, 'PORT') ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw new EnvConfigError('PORT', `must be a port number (0-65535), found ${JSON.stringify(portText)}`);
  }
  return {
    verifier,
    readScope: scopeVariable(env, 'DEMO_READ_SCOPE', 'customScope'),
    writeScope: scopeVariable(env, 'DEMO_WRITE_SCOPE', 'messages:write'),
    port,
    host: read(env, 'HOST') ?? '127.0.0.1',
  };
}

/**
 * Reads the Okta client's settings: `OKTA_CLIENT_ID`, `OKTA_CLIENT_SECRET` (both required),
 * `OKTA_SCOPE` (default `customScope`), `OKTA_TOKEN_AUTH_METHOD` (default `client_secret_basic`).
 * Throws an {@link EnvConfigError} naming the variable at fault (never echoing the secret).
 */
export function readOktaClientConfig(env: Environment = process.env): OktaClientConfig {
  const clientId = required(env, 'OKTA_CLIENT_ID', 'the Client ID of the Okta API Services app');
  const clientSecret = required(env, 'OKTA_CLIENT_SECRET', 'the Client secret of that app');
  const method = read(env, 'OKTA_TOKEN_AUTH_METHOD') ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
    throw new EnvConfigError('OKTA_TOKEN_AUTH_METHOD', 'must be client_secret_basic or client_secret_post');
  }
  return {
    clientId,
    clientSecret,
    scope: scopeVariable(env, 'OKTA_SCOPE', 'customScope'),
    authMethod: method,
  };
}
