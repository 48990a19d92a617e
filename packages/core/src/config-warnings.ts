/** The `code` of every warning scopeguard emits through `process.emitWarning`. */
export const CONFIG_WARNING_CODE = 'SCOPEGUARD_CONFIG';

/** Distinct causes remembered per verifier; past it, nothing more is warned (causes come from config). */
const MAX_CAUSES = 64;

/**
 * Builds the function a verifier calls when key loading fails in a way that looks like configuration:
 * it emits one `process.emitWarning(message, { code: 'SCOPEGUARD_CONFIG' })` per distinct cause, even
 * without `NODE_DEBUG`, so a wrong issuer or JWKS URL is visible in the logs instead of a bare 503.
 * With `enabled: false` it does nothing (the events still carry everything).
 */
export function createConfigWarner(
  enabled: boolean,
  issuer: string,
): (cause: string, message: string) => void {
  const warned = new Set<string>();
  return (cause, message) => {
    if (!enabled || warned.has(cause) || warned.size >= MAX_CAUSES) return;
    warned.add(cause);
    if (typeof process === 'undefined' || typeof process.emitWarning !== 'function') return;
    process.emitWarning(`scopeguard cannot verify tokens from ${issuer}: ${message}`, {
      code: CONFIG_WARNING_CODE,
    });
  };
}
