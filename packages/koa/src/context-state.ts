import type { AuthInfo, ResolvedSettings } from '@scopeguard/http';
import type { Context } from 'koa';

/** What the adapter remembers about a request it has authenticated (or let through as optional). */
export interface ContextState {
  /** The token it verified, or undefined after an optional pass without a token. */
  readonly auth: AuthInfo | undefined;
  /** The settings of the middleware that authenticated (realm, error body, …). */
  readonly settings: ResolvedSettings<Context>;
}

// Kept on the Koa context under a registered symbol, so every copy of this package (ESM and CJS builds
// loaded side by side) reads what any copy of `authenticate` wrote, and no application key in
// `ctx.state` can pose as it. A property rather than a WeakMap: one entry per request costs more
// (see the Express adapter's request-state.ts).
const KEY = Symbol.for('@scopeguard/koa.context-state');
type WithState = { [KEY]?: ContextState };

/** Records that the adapter authenticated the request of `ctx`. */
export function setContextState(ctx: object, state: ContextState): void {
  (ctx as WithState)[KEY] = state;
}

/** The adapter's record for `ctx`, if an `authenticate` (or a self-authenticating `requireScope`) ran. */
export function getContextState(ctx: object): ContextState | undefined {
  return (ctx as WithState)[KEY];
}
