import type { AuthInfo } from '@scopeguard/http';
import type { ScopeguardSettings } from './options.js';

/** What the guard remembers about a request it authenticated (or let through as `optional`). */
export interface RequestState {
  /** The token it verified, or undefined after an optional pass without a token. */
  readonly auth: AuthInfo | undefined;
  /** The settings it authenticated with (realm, error body, …), used for the scope answers. */
  readonly settings: ScopeguardSettings;
}

// A registered symbol on the request object, so that every copy of this package (ESM and CJS builds
// loaded side by side) reads what any copy of the guard wrote, and a guard that runs twice for one request
// (global and per controller) verifies the token once. Never readable from the client's input.
const KEY = Symbol.for('@scopeguard/nestjs.request-state');
type WithState = { [KEY]?: RequestState };

/** Records that the guard authenticated `request`. */
export function setRequestState(request: object, state: RequestState): void {
  (request as WithState)[KEY] = state;
}

/** The guard's record for `request`, if a `ScopeguardGuard` authenticated it. */
export function getRequestState(request: object): RequestState | undefined {
  return (request as WithState)[KEY];
}
