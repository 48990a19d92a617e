import type { AuthInfo, ResolvedSettings } from '@scopeguard/http';
import type { FastifyRequest } from 'fastify';

// What the plugin remembers about a request it authenticated, for `requireScope` hooks further down the
// lifecycle. Registered symbols, so every copy of this package (ESM and CJS builds loaded side by side)
// reads what any copy wrote; decorated on the request (as `null`) where the plugin is registered, so the
// request objects keep one shape.

/** The settings of the plugin that authenticated the request (`null`: no plugin ran). */
export const SETTINGS = Symbol.for('@scopeguard/fastify.settings');
/** The token the plugin verified (`null` after an optional pass without a token). */
export const AUTH = Symbol.for('@scopeguard/fastify.auth');

type WithState = {
  [SETTINGS]?: ResolvedSettings<FastifyRequest> | null;
  [AUTH]?: AuthInfo | null;
};

/** Records that the adapter authenticated `request`, and exposes the token as `request.auth`. */
export function setRequestState(
  request: FastifyRequest,
  auth: AuthInfo | undefined,
  settings: ResolvedSettings<FastifyRequest>,
): void {
  const value = auth ?? null;
  request.auth = value;
  const state = request as WithState;
  state[AUTH] = value;
  state[SETTINGS] = settings;
}

/** The settings of the plugin that authenticated `request`, or undefined when none did. */
export function authenticatedWith(request: FastifyRequest): ResolvedSettings<FastifyRequest> | undefined {
  return (request as WithState)[SETTINGS] ?? undefined;
}

/** The token the adapter verified for `request` (never what application code may have put in `request.auth`). */
export function verifiedAuth(request: FastifyRequest): AuthInfo | undefined {
  return (request as WithState)[AUTH] ?? undefined;
}
