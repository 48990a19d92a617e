import {
  type AnyVerifierOptions,
  cachedVerification,
  ConfigError,
  createVerifier,
  isSenderConstraintError,
  isTokenError,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from '@scopeguard/core';
import { renderAnswer } from './answer.js';
import { findCredentials } from './credentials.js';
import { failureFromTokenError, invalidRequest, noCredentials } from './rfc6750.js';
import {
  checkSenderConstraints,
  dpopRequired,
  failureFromSenderConstraintError,
  missingProof,
} from './sender-constraint.js';
import { type ScopeRule, scopeFailure } from './scope-rule.js';
import { HTTP_OPTION_KEYS, type ResolvedSettings, resolveSettings } from './settings.js';
import type {
  AuthFailure,
  AuthGranted,
  AuthInfo,
  AuthOutcome,
  AuthRefused,
  HttpOptions,
  HttpRequest,
  ResponseHeaders,
} from './types.js';

/**
 * Options of {@link createGuard}: either the core's verifier options (a verifier is built once, now),
 * or `{ verifier }` to share an existing one; plus the layer's own options.
 */
export type GuardOptions<R = unknown> = (AnyVerifierOptions | { verifier: Verifier }) & HttpOptions<R>;

const NO_HEADERS: ResponseHeaders = Object.freeze({});
const ANONYMOUS: AuthGranted = Object.freeze({ ok: true, auth: undefined, headers: NO_HEADERS });

/** A copy of the verified token plus the raw token and its scheme (the core may hand one cached result to several requests). */
export function toAuthInfo(
  verified: VerifiedToken,
  token: string,
  scheme: 'Bearer' | 'DPoP' = 'Bearer',
): AuthInfo {
  return Object.freeze({
    claims: verified.claims,
    header: verified.header,
    scopes: verified.scopes,
    clientId: verified.clientId,
    subject: verified.subject,
    expiresAt: verified.expiresAt,
    issuer: verified.issuer,
    token,
    scheme,
  });
}

/** The refusal of a request for `failure`, with its ready answer. */
export function refuse<R>(failure: AuthFailure, settings: ResolvedSettings<R>, request: R): AuthRefused {
  return { ok: false, failure, answer: renderAnswer(failure, settings, request) };
}

/** What the synchronous part of authentication found: an outcome already, or a verification under way. */
type Started =
  | { readonly outcome: AuthOutcome }
  | {
      readonly token: string;
      /** The DPoP proof, for a DPoP request; undefined for a Bearer one. */
      readonly proof: string | undefined;
      readonly pending: Promise<VerifiedToken>;
    };

/**
 * The common request, answered without re-reading its header: a single `Authorization: Bearer <token>`
 * whose token the verifier's cache holds (every re-check of a hit passing now). What the cache holds was
 * accepted by `verify` (and a verifier whose `verify` was replaced has no cache here: see
 * `cachedVerification`), so it is a compact JWS (three base64url segments joined by dots), a well-formed
 * RFC 6750 b64token: the full syntax check (a regular expression over the whole header, ~2 µs for an
 * 800-character token) would find exactly this token. Only where the header is the one place a token may
 * come from (no query or form token to weigh against it, DPoP off); anything else, or a miss, takes the
 * full path.
 */
function cachedBearer<R>(
  verifier: Verifier,
  settings: ResolvedSettings<R>,
  request: HttpRequest,
): { token: string; verified: VerifiedToken } | undefined {
  if (settings.allowQueryToken || settings.allowBodyToken || settings.senderConstraints.mode !== 'off') {
    return undefined;
  }
  const header = request.header('authorization');
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
  const token = header.slice(7);
  const verified = cachedVerification(verifier, token);
  return verified === undefined ? undefined : { token, verified };
}

function start<R>(
  verifier: Verifier,
  settings: ResolvedSettings<R>,
  request: HttpRequest,
  context: R,
): Started {
  const hit = cachedBearer(verifier, settings, request);
  if (hit !== undefined) {
    // No `cnf`: nothing binds the token to a sender, so it is granted at once (the usual case). A bound
    // token takes the usual path, whose sender checks refuse or accept it.
    if (hit.verified.claims.cnf === undefined) return { outcome: granted(hit.verified, hit.token) };
    return { token: hit.token, proof: undefined, pending: Promise.resolve(hit.verified) };
  }
  const found = findCredentials(request, settings);
  let proof: string | undefined;
  switch (found.kind) {
    case 'malformed':
      return { outcome: refuse(invalidRequest(found.description), settings, context) };
    case 'dpop-malformed':
      return {
        outcome: refuse({ ...invalidRequest(found.description), scheme: 'DPoP' }, settings, context),
      };
    case 'none':
      return { outcome: settings.optional ? ANONYMOUS : refuse(noCredentials(), settings, context) };
    case 'no-proof':
      return { outcome: refuse(missingProof(), settings, context) };
    case 'dpop':
      proof = found.proof;
      break;
    default:
      if (settings.senderConstraints.mode === 'required') {
        return { outcome: refuse(dpopRequired(), settings, context) };
      }
  }
  const token = found.token;
  let pending: Promise<VerifiedToken>;
  try {
    pending = verifier.verify(token);
  } catch (error) {
    pending = Promise.reject(error);
  }
  return { token, proof, pending };
}

function granted(verified: VerifiedToken, token: string): AuthOutcome {
  return { ok: true, auth: toAuthInfo(verified, token), headers: NO_HEADERS };
}

/** The outcome for a verification error, or undefined when it is not a `TokenError` nor a `SenderConstraintError` (unexpected). */
function refusedFor<R>(
  error: unknown,
  token: string,
  proof: string | undefined,
  settings: ResolvedSettings<R>,
  context: R,
): AuthOutcome | undefined {
  const scheme = proof === undefined ? 'Bearer' : 'DPoP';
  if (isSenderConstraintError(error)) {
    return refuse(failureFromSenderConstraintError(error, scheme, settings, token), settings, context);
  }
  if (!isTokenError(error)) return undefined;
  const failure = failureFromTokenError(error, settings.retryAfter, token, settings);
  return refuse(proof === undefined ? failure : { ...failure, scheme }, settings, context);
}

/**
 * After the token verified: the sender-constraint checks (`cnf` against the scheme, the certificate, the
 * DPoP proof). The outcome at once for an unbound Bearer token (the usual case: no extra promise), else a
 * promise of it; throws (synchronously) a `SenderConstraintError` a check refused.
 */
function afterVerify<R>(
  verified: VerifiedToken,
  token: string,
  proof: string | undefined,
  request: HttpRequest,
  settings: ResolvedSettings<R>,
): AuthOutcome | Promise<AuthOutcome> {
  const checking = checkSenderConstraints(verified, token, proof, request, settings.senderConstraints);
  if (checking === undefined) return granted(verified, token);
  return checking.then((headers) => ({
    ok: true,
    auth: toAuthInfo(verified, token, proof === undefined ? 'Bearer' : 'DPoP'),
    headers,
  }));
}

/**
 * Authenticates one request: finds its bearer token (RFC 6750 §2; a repeated `Authorization` header
 * or a token sent two ways is 400), verifies it with the core, and resolves with
 * `{ ok: true, auth }` or with `{ ok: false, failure, answer }`:
 *
 * - no token: 401 with a bare challenge, or, with `optional`, `{ ok: true, auth: undefined }`;
 * - malformed request: 400 `invalid_request`;
 * - token refused: 401 `invalid_token`, described by what is wrong with the token;
 * - keys unavailable: 503 with `Retry-After`.
 *
 * `context` is the adapter's own request object, handed to `errorBody`. Rejects only with an
 * unexpected (non-`TokenError`) error, which adapters pass to their framework's error handling.
 */
export function authenticateRequest<R>(
  verifier: Verifier,
  settings: ResolvedSettings<R>,
  request: HttpRequest,
  context: R,
): Promise<AuthOutcome> {
  const started = start(verifier, settings, request, context);
  if ('outcome' in started) return Promise.resolve(started.outcome);
  const { token, proof, pending } = started;
  const onError = (error: unknown) => {
    const outcome = refusedFor(error, token, proof, settings, context);
    if (outcome === undefined) throw error;
    return outcome;
  };
  return pending.then((verified) => {
    let next: AuthOutcome | Promise<AuthOutcome>;
    try {
      next = afterVerify(verified, token, proof, request, settings);
    } catch (error) {
      return onError(error);
    }
    return next instanceof Promise ? next.catch(onError) : next;
  }, onError);
}

/**
 * {@link authenticateRequest} for callback-style frameworks (Express, Connect): the same outcomes, given
 * to `onOutcome` (at once when no verification is needed, as a missing or malformed header), and an
 * unexpected error to `onError`. One promise hop fewer per request than chaining on the promise form.
 */
export function authenticateRequestCallback<R>(
  verifier: Verifier,
  settings: ResolvedSettings<R>,
  request: HttpRequest,
  context: R,
  onOutcome: (outcome: AuthOutcome) => void,
  onError: (error: unknown) => void,
): void {
  const started = start(verifier, settings, request, context);
  if ('outcome' in started) {
    onOutcome(started.outcome);
    return;
  }
  const { token, proof, pending } = started;
  const refused = (error: unknown) => {
    const outcome = refusedFor(error, token, proof, settings, context);
    if (outcome === undefined) onError(error);
    else onOutcome(outcome);
  };
  pending.then((verified) => {
    let outcome: AuthOutcome | Promise<AuthOutcome>;
    try {
      outcome = afterVerify(verified, token, proof, request, settings);
    } catch (error) {
      refused(error);
      return;
    }
    // Outside the try: an exception thrown by what runs next belongs to the framework, and must not be
    // mistaken for a verification failure.
    if (!(outcome instanceof Promise)) onOutcome(outcome);
    else outcome.then(onOutcome, refused);
  }, refused);
}

/**
 * Checks a request's scopes. Returns undefined when the request may go on; otherwise the refusal:
 * `auth` undefined (an `optional` pass without a token) is 401 with a bare challenge, and a token
 * without the scopes of `rule` is 403 `insufficient_scope` with `scope="…"`.
 */
export function authorizeRequest<R>(
  auth: AuthInfo | undefined,
  rule: ScopeRule,
  settings: ResolvedSettings<R>,
  context: R,
): AuthRefused | undefined {
  if (auth === undefined) return refuse(noCredentials(), settings, context);
  const failure = scopeFailure(auth, rule, settings);
  if (failure === undefined) return undefined;
  // A DPoP request's 403 goes in the DPoP challenge (RFC 9449 §7.1).
  return refuse(auth.scheme === 'DPoP' ? { ...failure, scheme: 'DPoP' } : failure, settings, context);
}

function isVerifier(value: unknown): value is Verifier {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === 'function'
  );
}

/**
 * Builds (or takes) the verifier of guard options; throws `ConfigError` on a bad configuration. The
 * layer's own options are removed first; an adapter removes its own options before calling this.
 */
export function verifierFromOptions(options: GuardOptions<never>): Verifier {
  if ('verifier' in options && options.verifier !== undefined) {
    if (!isVerifier(options.verifier))
      throw new ConfigError('verifier', 'must be a Verifier (from createVerifier)');
    if ('issuer' in options && options.issuer !== undefined) {
      throw new ConfigError(
        'verifier',
        'pass either a verifier or verifier options (issuer, audience, ...), not both',
      );
    }
    return options.verifier;
  }
  const verifierOptions: Record<string, unknown> = { ...options };
  for (const key of HTTP_OPTION_KEYS) delete verifierOptions[key];
  delete verifierOptions['verifier'];
  return createVerifier(verifierOptions as unknown as VerifierOptions);
}

/** A verifier and the layer's settings, joined: what an adapter holds per `authenticate(...)` call. */
export interface Guard<R = unknown> {
  readonly verifier: Verifier;
  readonly settings: ResolvedSettings<R>;
  /** See {@link authenticateRequest}. */
  authenticate(request: HttpRequest, context: R): Promise<AuthOutcome>;
  /** See {@link authorizeRequest}. */
  authorize(auth: AuthInfo | undefined, rule: ScopeRule, context: R): AuthRefused | undefined;
}

/**
 * Validates the options and builds the verifier once, now (a bad configuration throws `ConfigError`
 * at startup), and returns the guard an adapter calls per request.
 *
 * @example
 * const guard = createGuard({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * const outcome = await guard.authenticate(nodeRequest(req), req);
 * if (!outcome.ok) return send(outcome.answer);
 */
export function createGuard<R = unknown>(options: GuardOptions<R>): Guard<R> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'needs verifier options or { verifier }');
  }
  const settings = resolveSettings(options);
  const verifier = verifierFromOptions(options as GuardOptions<never>);
  return Object.freeze({
    verifier,
    settings,
    authenticate: (request: HttpRequest, context: R) =>
      authenticateRequest(verifier, settings, request, context),
    authorize: (auth: AuthInfo | undefined, rule: ScopeRule, context: R) =>
      authorizeRequest(auth, rule, settings, context),
  });
}
