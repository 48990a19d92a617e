import { HTTP_OPTION_KEYS } from './settings.js';

const LAYER_KEYS: ReadonlySet<string> = new Set(HTTP_OPTION_KEYS);

/**
 * Whether adapter options configure a verifier (`issuer`, `audience`, …, or `verifier`) rather than
 * leave it to the `SCOPEGUARD_*` environment. Any key other than the layer's options and the adapter's
 * own `adapterKeys` counts, even with an `undefined` value: `{ verifier: undefined }` (a verifier not
 * built yet) or a lone `{ jwksUri }` are mistakes to report as a `ConfigError` at startup, never a
 * silent switch to the environment.
 */
export function configuresVerifier(options: object, adapterKeys: readonly string[] = []): boolean {
  for (const key of Object.keys(options)) {
    if (!LAYER_KEYS.has(key) && !adapterKeys.includes(key)) return true;
  }
  return false;
}
