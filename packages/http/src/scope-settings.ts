import { type ResolvedSettings, resolveSettings } from './settings.js';
import type { HttpOptions } from './types.js';

/**
 * The settings of one `requireScope(...)` middleware, as every adapter needs them: its own (for when it
 * authenticates by itself from the environment), and its answer options laid over the settings of the
 * `authenticate(...)` that ran before it.
 */
export interface ScopeSettings<R = unknown> {
  /** This middleware's options on their own, with `optional` off (a scope always needs a token). */
  readonly own: ResolvedSettings<R>;
  /**
   * The settings to answer with after an `authenticate(...)` whose settings are `base`: `base` itself when
   * this middleware sets no answer option, otherwise its options over `base` (remembered for the last
   * `base` seen, so a route costs one merge, not one per request).
   */
  over(base: ResolvedSettings<R>): ResolvedSettings<R>;
}

/**
 * Reads the answer options a `requireScope({ ... })` call may set (`realm`, `errorBody`,
 * `allowQueryToken`, `allowBodyToken`, `retryAfter`, `exposeErrorDetails`); the rest of the HTTP options
 * belong to `authenticate(...)`. Throws `ConfigError` at creation for an invalid one.
 */
export function scopeSettings<R = unknown>(options: HttpOptions<R>): ScopeSettings<R> {
  const explicit: HttpOptions<R> = {
    realm: options.realm,
    errorBody: options.errorBody,
    allowQueryToken: options.allowQueryToken,
    allowBodyToken: options.allowBodyToken,
    retryAfter: options.retryAfter,
    exposeErrorDetails: options.exposeErrorDetails,
  };
  const own = resolveSettings<R>({ ...explicit, optional: false });
  if (Object.values(explicit).every((value) => value === undefined)) {
    return Object.freeze({ own, over: (base: ResolvedSettings<R>) => base });
  }
  let lastBase: ResolvedSettings<R> | undefined;
  let merged: ResolvedSettings<R> = own;
  return Object.freeze({
    own,
    over(base: ResolvedSettings<R>): ResolvedSettings<R> {
      if (base !== lastBase) {
        merged = resolveSettings(explicit, base);
        lastBase = base;
      }
      return merged;
    },
  });
}
