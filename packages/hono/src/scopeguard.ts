import { ConfigError, type Verifier } from '@scopeguard/core';
import {
  configuresVerifier,
  ENV_VARIABLES,
  type GuardOptions,
  type ResolvedSettings,
  resolveSettings,
  verifierFromOptions,
} from '@scopeguard/http';
import type { Context, MiddlewareHandler } from 'hono';
import { authenticateContext, grant } from './authenticate.js';
import { contextVerifierSource } from './env-source.js';
import { respond } from './respond.js';
import type { OptionalScopeguardEnv, ScopeguardEnv, ScopeguardOptions } from './types.js';

function unconfigured(): ConfigError {
  return new ConfigError(
    ENV_VARIABLES.issuer,
    `is not set and scopeguard() got no issuer: pass scopeguard({ issuer, audience }), or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}

/** The verifier of `options`, built now; or, without verifier options, the environment's. */
export function verifierSourceOf(
  options: ScopeguardOptions,
  onUnconfigured: () => ConfigError,
): (c: Context) => Verifier {
  if (!configuresVerifier(options)) return contextVerifierSource(onUnconfigured);
  const verifier = verifierFromOptions(options as GuardOptions<never>);
  return () => verifier;
}

/**
 * Hono middleware that requires a valid bearer access token: verifies it with the core and sets
 * `c.get('auth')` (`AuthInfo`), or returns the layer's RFC 6750 answer as the `Response`, through
 * `c.body` (so headers other middleware set are kept):
 *
 * - no token: 401, `WWW-Authenticate: Bearer realm="…"` without error code (with `optional: true`, the
 *   request goes on with `c.get('auth')` undefined);
 * - malformed `Authorization`, two `Authorization` headers, or a token sent by more than one method: 400
 *   `invalid_request`;
 * - token refused: 401 `invalid_token`, whose `error_description` says what is wrong with the token and
 *   never this API's configuration;
 * - the issuer's keys cannot be fetched: 503 with `Retry-After`.
 *
 * With verifier options (`issuer`, `audience`, … or `{ verifier }`) the verifier is built now: a bad
 * configuration throws `ConfigError` at startup. Without them (`scopeguard()`, `scopeguard({ optional:
 * true })`), it comes from `SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, `SCOPEGUARD_CLIENT_IDS` and
 * `SCOPEGUARD_JWKS_URI`: validated now when `process.env` sets any of them, otherwise read at the first
 * request from `c.env` (a worker's bindings) or the runtime's environment (`process.env`, `Deno.env`); an unexpected
 * error or a still missing configuration goes to Hono's `onError`.
 *
 * With `allowBodyToken`, a form body is read with `c.req.parseBody()`, which Hono caches for the handler;
 * put `bodyLimit()` before it to bound the body.
 *
 * @example
 * const app = new Hono();
 * app.use('/api/*', scopeguard({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
 * app.get('/api/orders', requireScope('orders:read'), (c) => c.json({ client: c.get('auth')?.clientId }));
 */
export function scopeguard(
  options: ScopeguardOptions & { optional: true },
): MiddlewareHandler<OptionalScopeguardEnv>;
export function scopeguard(
  options?: ScopeguardOptions & { optional?: false | undefined },
): MiddlewareHandler<ScopeguardEnv>;
export function scopeguard(options?: ScopeguardOptions): MiddlewareHandler<OptionalScopeguardEnv>;
export function scopeguard(
  options: ScopeguardOptions = {},
): MiddlewareHandler<OptionalScopeguardEnv> | MiddlewareHandler<ScopeguardEnv> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'scopeguard() takes verifier options, { verifier }, or nothing');
  }
  const settings: ResolvedSettings<Context> = resolveSettings(options);
  const verifierFor = verifierSourceOf(options, unconfigured);
  const middleware: MiddlewareHandler<OptionalScopeguardEnv> = async function scopeguardMiddleware(c, next) {
    const outcome = await authenticateContext(verifierFor(c), settings, c);
    if (!outcome.ok) return respond(c, outcome.answer);
    grant(c, outcome, settings);
    await next();
  };
  return middleware;
}
