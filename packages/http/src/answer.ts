import { dpopChallenges } from './dpop-challenge.js';
import { withResourceMetadata } from './resource-metadata.js';
import { challenge, defaultErrorBody } from './rfc6750.js';
import type { ResolvedSettings } from './settings.js';
import type { AuthFailure, ErrorBodyFormatter, HttpAnswer } from './types.js';

/**
 * A failure becomes an answer: status, challenges, `Retry-After`, `Cache-Control: no-store`, and a
 * body. Adapters send it as it is; nothing else in scopeguard writes a failure response.
 */

/** `Cache-Control: no-store` on every failure (RFC 6750 §5.3 asks it of token responses; a refusal must not be cached either). */
const NO_STORE = 'no-store';
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * The `WWW-Authenticate` challenges for a failure, one entry per challenge: today the `Bearer`
 * challenge (none for 503), with RFC 9728's `resource_metadata="<url>"` when the metadata is on. Later
 * rules add here, for every adapter at once: a second `DPoP algs="…"` challenge (RFC 9449 §7.1).
 */
export function challenges(
  failure: AuthFailure,
  settings: Pick<ResolvedSettings, 'realm'> &
    Partial<Pick<ResolvedSettings, 'resourceMetadata' | 'senderConstraints'>>,
): readonly string[] {
  const sender = settings.senderConstraints;
  if (sender !== undefined && sender.mode !== 'off') {
    // RFC 9728 §5.1 and ROUND3: the DPoP challenge carries resource_metadata too.
    return dpopChallenges(failure, settings.realm, sender).map((entry) =>
      withResourceMetadata(entry, settings.resourceMetadata),
    );
  }
  const bearer = challenge(failure, settings.realm);
  return bearer === undefined ? [] : [withResourceMetadata(bearer, settings.resourceMetadata)];
}

function renderBody<R>(
  failure: AuthFailure,
  request: R,
  errorBody: ErrorBodyFormatter<R> | undefined,
): { type: string; text: string } | undefined {
  let body: unknown;
  if (errorBody) {
    try {
      body = errorBody(failure, request);
    } catch {
      // A broken formatter must not turn a 401 into a 500 nor lose the challenge: use the default.
      body = undefined;
    }
  }
  if (body === null) return undefined;
  if (typeof body === 'string') return { type: TEXT_TYPE, text: body };
  let text: string | undefined;
  if (body !== undefined) {
    try {
      text = JSON.stringify(body);
    } catch {
      text = undefined;
    }
  }
  return { type: JSON_TYPE, text: text ?? JSON.stringify(defaultErrorBody(failure)) };
}

/**
 * The answer to `failure`: status, `WWW-Authenticate` (400/401/403), `Retry-After` (503),
 * `Cache-Control: no-store`, and the body shaped by `settings.errorBody(failure, request)` (JSON
 * `{ error, error_description }` by default). `request` is the adapter's own request object, passed
 * to `errorBody` untouched.
 */
export function renderAnswer<R>(failure: AuthFailure, settings: ResolvedSettings<R>, request: R): HttpAnswer {
  const headers: Record<string, string | readonly string[]> = {};
  const list = challenges(failure, settings);
  if (list.length > 0) headers['WWW-Authenticate'] = list;
  if (failure.status === 503) headers['Retry-After'] = String(failure.retryAfter ?? settings.retryAfter);
  if (failure.dpopNonce !== undefined) headers['DPoP-Nonce'] = failure.dpopNonce;
  headers['Cache-Control'] = NO_STORE;
  const body = renderBody(failure, request, settings.errorBody);
  if (body !== undefined) headers['Content-Type'] = body.type;
  return { status: failure.status, headers, body: body?.text };
}
