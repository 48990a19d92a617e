import type { Verifier } from '@scopeguard/core';
import {
  type AuthInfo,
  authenticateRequestCallback,
  authorizeRequest,
  type HttpRequest,
  nodeRequest,
  type ResolvedSettings,
  type ScopeRule,
} from '@scopeguard/http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { setRequestState } from './request-state.js';
import { ruleOfRoute } from './route-config.js';
import { sendRefusal, setHeaders } from './send-answer.js';

/**
 * The layer's view of a Fastify request: Node's request (`request.raw`, whose `rawHeaders` show a
 * repeated `Authorization` header; `request.headers` keeps only the first), plus Fastify's parsed body
 * when form-body tokens are enabled (the plugin then authenticates in `preValidation`, after parsing).
 */
export function fastifyRequest(
  request: FastifyRequest,
  settings: ResolvedSettings<FastifyRequest>,
): HttpRequest {
  return settings.allowBodyToken
    ? nodeRequest(request.raw, { body: request.body })
    : nodeRequest(request.raw);
}

/**
 * The scopes a request needs once its token is verified: a rule, `'route'` for those of the route's
 * `config` (`scopes`, `anyScopes`), or none.
 */
export type ScopeSource = ScopeRule | 'route' | undefined;

/**
 * Authenticates one Fastify request through the HTTP layer, then checks `scopes`. On success sets
 * `request.auth`, records the request as authenticated and calls `done()`. A refusal is answered through
 * `reply`; an unexpected (non-`TokenError`) error, or a route config that is not valid, goes to
 * `done(error)`, that is to Fastify's error handler. Never throws, never leaves a promise unhandled, and
 * creates no closure of its own per request beyond the layer's callbacks.
 */
export function authenticateFastifyRequest(
  verifier: Verifier,
  settings: ResolvedSettings<FastifyRequest>,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  scopes: ScopeSource,
): void {
  authenticateRequestCallback(
    verifier,
    settings,
    fastifyRequest(request, settings),
    request,
    (outcome) => {
      let rule: ScopeRule | undefined;
      try {
        if (!outcome.ok) {
          sendRefusal(reply, outcome, done);
          return;
        }
        // Headers the layer adds to the application's response (none yet; a DPoP-Nonce later).
        setHeaders(reply, outcome.headers);
        setRequestState(request, outcome.auth, settings);
        rule = scopes === 'route' ? ruleOfRoute(request) : scopes;
      } catch (error) {
        done(error as Error);
        return;
      }
      // Outside the try: what runs next (Fastify's next hooks, the handler) has its own error handling.
      if (rule === undefined) done();
      else checkScopes(rule, outcome.auth, settings, request, reply, done);
    },
    done as (error: unknown) => void,
  );
}

/**
 * Checks the scopes of `rule` for an authenticated request and continues (`done()`), or answers 401
 * (an `optional` pass without a token) or 403 `insufficient_scope` through `reply`. Never throws.
 */
export function checkScopes(
  rule: ScopeRule,
  auth: AuthInfo | undefined,
  settings: ResolvedSettings<FastifyRequest>,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  try {
    const refused = authorizeRequest(auth, rule, settings, request);
    if (refused !== undefined) {
      sendRefusal(reply, refused, done);
      return;
    }
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}
