import type { AuthInfo, ResolvedSettings } from '@scopeguard/http';
import type { Context } from 'hono';

/** What the adapter remembers about a request it has authenticated (or let through as optional). */
export interface RequestState {
  /** The token it verified, or undefined after an optional pass without a token. */
  readonly auth: AuthInfo | undefined;
  /** The settings of the middleware that authenticated (realm, error body, …). */
  readonly settings: ResolvedSettings<Context>;
}

// Kept on the Context under a registered symbol (every copy of this package, ESM and CJS, reads what any
// copy wrote), not in a Hono variable: `c.set('auth', …)` is open to any middleware, so requireScope trusts
// `c.get('auth')` only when it is the object recorded here.
const KEY = Symbol.for('@scopeguard/hono.request-state');
type WithState = { [KEY]?: RequestState };

/** Records that the adapter authenticated `c`. */
export function setRequestState(c: Context, state: RequestState): void {
  (c as unknown as WithState)[KEY] = state;
}

/** The adapter's record for `c`, if a `scopeguard()` (or a self-authenticating `requireScope`) ran. */
export function getRequestState(c: Context): RequestState | undefined {
  return (c as unknown as WithState)[KEY];
}
