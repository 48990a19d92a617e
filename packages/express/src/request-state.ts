import type { ResolvedSettings } from './settings.js';
import type { AuthInfo } from './types.js';

/** What the adapter remembers about a request it has authenticated (or let through as optional). */
export interface RequestState {
  /** The token it verified, or undefined after an optional pass without a token. */
  readonly auth: AuthInfo | undefined;
  /** The settings of the middleware that authenticated (realm, error body, …). */
  readonly settings: ResolvedSettings;
}

// One registry per process, shared by every copy of this package (ESM and CJS builds loaded side by
// side), so that `requireScope` recognises a request authenticated by any copy of `authenticate`.
const KEY = Symbol.for('@scopeguard/express.request-state');
const holder = globalThis as unknown as Record<symbol, WeakMap<object, RequestState> | undefined>;
const registry: WeakMap<object, RequestState> = holder[KEY] ?? new WeakMap();
holder[KEY] = registry;

/** Records that the adapter authenticated `req`. */
export function setRequestState(req: object, state: RequestState): void {
  registry.set(req, state);
}

/** The adapter's record for `req`, if an `authenticate` (or a self-authenticating `requireScope`) ran. */
export function getRequestState(req: object): RequestState | undefined {
  return registry.get(req);
}
