import { ConfigError } from '@scopeguard/core';
import { ENV_VARIABLES } from '@scopeguard/http';

/** The error of a route that needs the environment's verifier when no `SCOPEGUARD_*` variable is set. */
export function notConfigured(where: string): ConfigError {
  return new ConfigError(
    ENV_VARIABLES.issuer,
    `is not set and ${where}: pass { issuer, audience } (or { verifier }) to fastify.register(scopeguard, { ... }), ` +
      `or set ${ENV_VARIABLES.issuer} and ${ENV_VARIABLES.audience}`,
  );
}
