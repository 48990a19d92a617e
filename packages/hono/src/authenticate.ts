import type { Verifier } from '@scopeguard/core';
import {
  type AuthGranted,
  type AuthOutcome,
  authenticateRequest,
  fetchRequest,
  type ResolvedSettings,
  readsFormBody,
} from '@scopeguard/http';
import type { Context } from 'hono';
import { setRequestState } from './request-state.js';
import { addHeaders } from './respond.js';

/** The parsed form body, through Hono's own parser (cached: the handler's `c.req.parseBody()` reuses it). */
async function formBody(c: Context): Promise<unknown> {
  try {
    return await c.req.parseBody({ all: true });
  } catch {
    return undefined;
  }
}

/**
 * Authenticates one Hono request through the HTTP layer: `c.req.raw` read through `fetchRequest`
 * (headers by `headers.get`, so two `Authorization` headers arrive joined and are refused), and the
 * form body only when the layer will look at it (`allowBodyToken` and a form content type).
 */
export function authenticateContext(
  verifier: Verifier,
  settings: ResolvedSettings<Context>,
  c: Context,
): Promise<AuthOutcome> {
  const raw = c.req.raw;
  // Not async: without a body to read, the layer's promise is returned as it is (no hop of our own).
  if (!readsFormBody(raw, settings)) return authenticateRequest(verifier, settings, fetchRequest(raw), c);
  return formBody(c).then((body) => authenticateRequest(verifier, settings, fetchRequest(raw, { body }), c));
}

/** Records a granted outcome on the context: `c.set('auth', …)`, the adapter's state, and the layer's headers. */
export function grant(c: Context, outcome: AuthGranted, settings: ResolvedSettings<Context>): void {
  const auth = outcome.auth;
  c.set('auth', auth);
  setRequestState(c, { auth, settings });
  addHeaders(c, outcome.headers);
}
