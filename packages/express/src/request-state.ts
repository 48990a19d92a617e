import type { AuthInfo, ResolvedSettings } from '@scopeguard/http';
import type { ScopeguardRequest } from './types.js';

/** What the adapter remembers about a request it has authenticated (or let through as optional). */
export interface RequestState {
  /** The token it verified, or undefined after an optional pass without a token. */
  readonly auth: AuthInfo | undefined;
  /** The settings of the middleware that authenticated (realm, error body, …). */
  readonly settings: ResolvedSettings<ScopeguardRequest>;
}

// Kept on the request under a registered symbol, so every copy of this package (ESM and CJS builds loaded
// side by side) reads what any copy of `authenticate` wrote. A property rather than a WeakMap: a WeakMap
// entry per request cost about 2 µs and extra GC work on every authenticated request (bench/README.md).
const KEY = Symbol.for('@scopeguard/express.request-state');
type WithState = { [KEY]?: RequestState };

/** Records that the adapter authenticated `req`. */
export function setRequestState(req: object, state: RequestState): void {
  (req as WithState)[KEY] = state;
}

/** The adapter's record for `req`, if an `authenticate` (or a self-authenticating `requireScope`) ran. */
export function getRequestState(req: object): RequestState | undefined {
  return (req as WithState)[KEY];
}
