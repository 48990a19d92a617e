import { type AnyVerifierOptions, ConfigError, type Verifier } from '@scopeguard/core';
import {
  type AuthGranted,
  type AuthOutcome,
  authenticateRequestCallback,
  authorizeRequest,
  configuresVerifier,
  type Environment,
  envVerifierSource,
  fetchRequest,
  isResourceMetadataRequest,
  protectedResourceMetadata,
  type HttpOptions,
  type ResolvedSettings,
  type ScopeRule,
  readsFormBody,
  resolveSettings,
  verifierFromOptions,
} from '@scopeguard/http';
import { readFormBody } from './form-body.js';
import { answerResponse } from './response.js';
import { createScopeChecks, type ScopeCheck } from './scope-check.js';

/** Configuration from `SCOPEGUARD_*` variables: no `issuer` and no `verifier`. */
export interface EnvGuardOptions {
  /**
   * Where `SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, `SCOPEGUARD_CLIENT_IDS` and `SCOPEGUARD_JWKS_URI`
   * are read: default `process.env` where the runtime has one (Node, Bun, Deno, Next.js), else nothing.
   * Pass a worker's bindings, `Deno.env.toObject()`, or any record of strings.
   */
  env?: Environment;
  issuer?: never;
  verifier?: never;
}

/**
 * Options of {@link createGuard}: the core's verifier options (`issuer`, `audience`, …; a verifier is
 * built once, now), or `{ verifier }` to share one, or neither to configure from the environment
 * ({@link EnvGuardOptions}); plus the layer's options (`optional`, `realm`, `errorBody`,
 * `allowQueryToken`, `allowBodyToken`, `retryAfter`, `exposeErrorDetails`), whose `errorBody` receives
 * the `Request`.
 */
export type FetchGuardOptions = (AnyVerifierOptions | { verifier: Verifier } | EnvGuardOptions) &
  HttpOptions<Request>;

/**
 * What the guard resolves with when the request may go on: the layer's granted outcome, `{ ok: true,
 * auth, headers }`. `auth` is the verified token (undefined only when `optional` let a request without
 * credentials through and no scope was required); `headers` are to be added to the response the
 * application sends (`appendHeaders(response.headers, result.headers)`; none today, a `DPoP-Nonce` later).
 */
export type Granted = AuthGranted;

/** A guard's verdict: {@link Granted}, or the `Response` to return as it is (400/401/403/503). */
export type GuardResult = Granted | Response;

/**
 * Guards one request: `await guard(request)` authenticates it, `await guard(request, { scopes: ['a']
 * })` also requires scopes (`anyScopes` for one of several). Resolves with {@link Granted} or with the
 * ready `Response` of a refusal; rejects only with a `ConfigError` (an invalid scope check, or an
 * environment configuration still missing at this request) or an unexpected verifier error.
 */
export type FetchGuard = ((request: Request, check?: ScopeCheck) => Promise<GuardResult>) & {
  /**
   * RFC 9728: the protected resource metadata document as a `Response` when `request` is a `GET` or
   * `HEAD` of `/.well-known/oauth-protected-resource<path of resource>` and the metadata is on (the
   * guard has a `resource`, and `resourceMetadata` is not `false`); `undefined` for any other request.
   * The document is public: call it before the guard. `scopes_supported` is what
   * `resourceMetadata.scopesSupported` lists (a fetch guard has no route table to collect them from).
   */
  metadata(request: Request): Response | undefined;
};

function processEnv(): Environment | undefined {
  return (globalThis as { process?: { env?: Environment } }).process?.env;
}

/**
 * Where the guard gets its verifier: the one built now, or the environment's, read at first need. The
 * environment is used only when the options hold nothing but the layer's options and `env`
 * (`configuresVerifier`): `{ verifier: undefined }` is a `ConfigError`, never a silent switch to
 * `SCOPEGUARD_*`.
 */
function verifierSource(options: FetchGuardOptions): () => Verifier {
  const env = (options as EnvGuardOptions).env;
  const explicit = configuresVerifier(options, ['env']);
  if (!explicit) {
    const source = envVerifierSource({ env: env ?? processEnv() ?? {} });
    return () => source.get();
  }
  if (env !== undefined) {
    throw new ConfigError('env', 'pass either env or verifier options (issuer, audience, ...), not both');
  }
  const rest: Record<string, unknown> = { ...options };
  delete rest['env'];
  const verifier = verifierFromOptions(rest as never);
  return () => verifier;
}

/**
 * Creates a guard for fetch-style servers: a WHATWG `Request` in, the verified token or a ready
 * `Response` out. Works wherever `Request` and `Response` exist and the core runs (Node, Bun, Deno,
 * Cloudflare Workers with `nodejs_compat`): Next.js route handlers, Hono, itty-router, `Deno.serve`,
 * `Bun.serve`, or a plain `node:http` server after converting its request. Every HTTP rule is the
 * layer's (`@scopeguard/http`):
 *
 * - no token: 401 with a bare `Bearer` challenge (with `optional`, granted without `auth`);
 * - malformed `Authorization`, two `Authorization` headers (which a fetch `Headers` joins with `", "`),
 *   or a token sent two ways: 400 `invalid_request`;
 * - token refused: 401 `invalid_token`; missing scope: 403 `insufficient_scope` with `scope="…"`;
 * - the issuer's keys unavailable: 503 with `Retry-After`.
 *
 * With verifier options the verifier is built now (a bad configuration throws `ConfigError` at
 * startup). Without them, `SCOPEGUARD_*` is read from `env` (default `process.env`): validated now
 * when any of them is set, otherwise at the first request (which rejects with the `ConfigError` while
 * they are missing).
 *
 * With `allowBodyToken`, a form body is read from `request.clone()` (at most 64 KiB), so the handler
 * can still read the request's body; any other request's body is never touched.
 *
 * @example
 * const guard = createGuard({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * export async function GET(request: Request) {
 *   const result = await guard(request, { scopes: ['customScope'] });
 *   if (result instanceof Response) return result;
 *   return Response.json({ client: result.auth?.clientId });
 * }
 */
export function createGuard(options: FetchGuardOptions = {}): FetchGuard {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'createGuard() needs verifier options, { verifier }, or nothing');
  }
  const settings: ResolvedSettings<Request> = resolveSettings(options);
  const getVerifier = verifierSource(options);
  const ruleFor = createScopeChecks();

  /** The guard's result for the layer's outcome: the outcome itself, or the refusal's `Response`. */
  const finish = (outcome: AuthOutcome, rule: ScopeRule | undefined, request: Request): GuardResult => {
    if (!outcome.ok) return answerResponse(outcome.answer);
    if (rule !== undefined) {
      const refused = authorizeRequest(outcome.auth, rule, settings, request);
      if (refused !== undefined) return answerResponse(refused.answer, outcome.headers);
    }
    return outcome;
  };

  /**
   * Authenticates (and authorizes, with a rule) once the body, if any, has been read. The layer's
   * callback form, so the result is ready in the same microtask as the verification: no promise hop of
   * our own on top of the layer's.
   */
  const run = (verifier: Verifier, request: Request, rule: ScopeRule | undefined, body: unknown) =>
    new Promise<GuardResult>((resolve, reject) => {
      authenticateRequestCallback(
        verifier,
        settings,
        fetchRequest(request, body === undefined ? undefined : { body }),
        request,
        (outcome) => {
          try {
            resolve(finish(outcome, rule, request));
          } catch (error) {
            reject(error);
          }
        },
        reject,
      );
    });

  const metadata = (request: Request): Response | undefined => {
    if (!isResourceMetadataRequest(settings.resourceMetadata, request.method, request.url)) return undefined;
    const answer = protectedResourceMetadata(getVerifier(), settings);
    if (answer === undefined) return undefined;
    return answerResponse(request.method === 'HEAD' ? { ...answer, body: undefined } : answer);
  };

  // Not an async function: no promise hop of its own per request.
  const guard = function guard(request: Request, check?: ScopeCheck): Promise<GuardResult> {
    let rule: ScopeRule | undefined;
    let verifier: Verifier;
    try {
      rule = check === undefined ? undefined : ruleFor(check);
      verifier = getVerifier();
    } catch (error) {
      return Promise.reject(error);
    }
    if (readsFormBody(request, settings)) {
      return readFormBody(request).then((body) => run(verifier, request, rule, body));
    }
    return run(verifier, request, rule, undefined);
  };
  return Object.assign(guard, { metadata });
}
