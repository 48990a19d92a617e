import type { ConfigError, Verifier } from '@scopeguard/core';
import { type Environment, type EnvVerifierSource, envVerifierSource, hasEnvConfig } from '@scopeguard/http';
import type { Context } from 'hono';

type Runtime = {
  process?: { env?: Environment };
  Deno?: { env?: { toObject(): Environment } };
};

function processEnv(): Environment | undefined {
  return (globalThis as Runtime).process?.env;
}

/**
 * The environment of a request: the bindings in `c.env` when they carry a `SCOPEGUARD_*` variable
 * (Cloudflare Workers, or `app.request(path, init, env)`), else the runtime's own: `process.env` (Node,
 * Bun, and Deno or workers with Node compatibility), then `Deno.env`. The same places Hono's `env(c)`
 * helper reads, without importing Hono at runtime. On `@hono/node-server`, `c.env` holds the Node request
 * and response, never configuration.
 */
function environmentOf(c: Context): Environment {
  const bindings: unknown = c.env;
  if (typeof bindings === 'object' && bindings !== null && hasEnvConfig(bindings as Environment)) {
    return bindings as Environment;
  }
  return processEnv() ?? (globalThis as Runtime).Deno?.env?.toObject() ?? {};
}

/**
 * The verifier configured by `SCOPEGUARD_*` for middleware created without verifier options. When the
 * process environment already sets any of them at creation, it is validated then (a `ConfigError` at
 * startup). Otherwise the request's environment ({@link environmentOf}) is read at the first request
 * that needs it (workers only have their bindings then); while it is incomplete, that request fails with
 * the `ConfigError` (Hono's `onError`, a 500 by default), reported once through `process.emitWarning`
 * where there is one. Once built, the verifier is kept.
 */
export function contextVerifierSource(unconfigured: () => ConfigError): (c: Context) => Verifier {
  const atStartup = processEnv();
  const startup: EnvVerifierSource | undefined =
    atStartup !== undefined && hasEnvConfig(atStartup) ? envVerifierSource({ env: atStartup }) : undefined;
  let verifier: Verifier | undefined;
  return (c) => {
    if (verifier === undefined) {
      const source = startup ?? envVerifierSource({ env: environmentOf(c), unconfigured });
      verifier = source.get();
    }
    return verifier;
  };
}
