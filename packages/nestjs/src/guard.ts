import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { type AuthRefused, authenticateRequest, authorizeRequest, type ScopeRule } from '@scopeguard/http';
import { scopeguardException } from './exception.js';
import { nestHttpRequest } from './nest-request.js';
import { createScopeguardConfig, type ScopeguardConfig } from './options.js';
import { getRequestState, type RequestState, setRequestState } from './request-state.js';
import { setAnswerHeaders } from './send-answer.js';
import { PUBLIC_METADATA, SCOPEGUARD_CONFIG, SCOPES_METADATA } from './tokens.js';
import type { ScopeguardRequest } from './types.js';

/** What a route asks of the guard, read once from its metadata. */
interface RoutePlan {
  readonly isPublic: boolean;
  readonly rules: readonly ScopeRule[];
}

const NO_RULES: readonly ScopeRule[] = Object.freeze([]);

/**
 * The guard (`CanActivate`) that requires a valid bearer access token on HTTP routes, on Nest's Express
 * and Fastify platforms. Per request, it:
 *
 * 1. lets `@Public()` routes through untouched;
 * 2. authenticates through `@scopeguard/http` (the `Authorization` header read from Node's `rawHeaders`, so
 *    two of them are a 400), sets `request.auth` and remembers the result for `@Auth()` and for a second
 *    `ScopeguardGuard` on the same request (global and per controller: the token is verified once);
 * 3. checks every `@RequireScope` / `@RequireAnyScope` rule of the controller class and of the handler.
 *
 * A refusal is thrown as a {@link ScopeguardException} (400, 401, 403 or 503), after setting its
 * `WWW-Authenticate`, `Retry-After` and `Cache-Control` headers on the response; an unexpected error
 * (e.g. the `ConfigError` of an incomplete environment) is thrown as it is, to Nest's exception layer.
 *
 * Use it globally (`ScopeguardModule.forRoot({ globalGuard: true, ... })`, or
 * `{ provide: APP_GUARD, useClass: ScopeguardGuard }`) or per controller or route
 * (`@UseGuards(ScopeguardGuard)`). Without `ScopeguardModule`, it reads its configuration from the
 * `SCOPEGUARD_*` environment variables. Only HTTP handlers can be guarded: in another context (RPC,
 * WebSocket, GraphQL) it throws unless the handler is `@Public()`.
 */
@Injectable()
export class ScopeguardGuard implements CanActivate {
  private readonly reflector: Reflector;
  private readonly adapterHost: HttpAdapterHost;
  private readonly config: ScopeguardConfig;
  private readonly plans = new WeakMap<object, Map<object, RoutePlan>>();

  constructor(
    @Inject(Reflector) reflector: Reflector,
    @Inject(HttpAdapterHost) adapterHost: HttpAdapterHost,
    @Optional() @Inject(SCOPEGUARD_CONFIG) config?: ScopeguardConfig,
  ) {
    this.reflector = reflector;
    this.adapterHost = adapterHost;
    this.config = config ?? createScopeguardConfig();
  }

  /** Authenticates and authorizes the request of `context`; see the class. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.planOf(context);
    if (plan.isPublic) return true;
    const type = context.getType();
    if (type !== 'http') {
      throw new Error(
        `ScopeguardGuard guards HTTP routes; ${context.getClass().name}.${context.getHandler().name} is a "${type}" handler: mark it @Public() or do not guard it`,
      );
    }
    const http = context.switchToHttp();
    const request = http.getRequest<ScopeguardRequest>();
    const response: unknown = http.getResponse();
    const known = getRequestState(request);
    if (known !== undefined) {
      this.authorize(known, plan.rules, request, response);
      return true;
    }
    const { settings } = this.config;
    const verifier = this.config.verifier();
    return authenticateRequest(verifier, settings, nestHttpRequest(request), request).then((outcome) => {
      if (!outcome.ok) throw this.refuse(outcome, response);
      setAnswerHeaders(this.adapterHost.httpAdapter, response, outcome.headers);
      const state: RequestState = { auth: outcome.auth, settings };
      request.auth = outcome.auth;
      setRequestState(request, state);
      this.authorize(state, plan.rules, request, response);
      return true;
    });
  }

  private authorize(
    state: RequestState,
    rules: readonly ScopeRule[],
    request: ScopeguardRequest,
    response: unknown,
  ): void {
    for (const rule of rules) {
      const refused = authorizeRequest(state.auth, rule, state.settings, request);
      if (refused !== undefined) throw this.refuse(refused, response);
    }
  }

  /** Puts the answer's headers on the response (so any exception filter keeps them) and builds the exception. */
  private refuse(refused: AuthRefused, response: unknown): Error {
    setAnswerHeaders(this.adapterHost.httpAdapter, response, refused.answer.headers, 'Content-Type');
    return scopeguardException(refused);
  }

  private planOf(context: ExecutionContext): RoutePlan {
    const controller = context.getClass();
    const handler = context.getHandler();
    let plans = this.plans.get(controller);
    if (plans === undefined) {
      plans = new Map();
      this.plans.set(controller, plans);
    }
    let plan = plans.get(handler);
    if (plan === undefined) {
      const isPublic =
        this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_METADATA, [handler, controller]) ===
        true;
      const fromClass = this.reflector.get<readonly ScopeRule[] | undefined>(SCOPES_METADATA, controller);
      const fromHandler = this.reflector.get<readonly ScopeRule[] | undefined>(SCOPES_METADATA, handler);
      const rules = [...(fromClass ?? []), ...(fromHandler ?? [])];
      plan = Object.freeze({ isPublic, rules: rules.length === 0 ? NO_RULES : Object.freeze(rules) });
      plans.set(handler, plan);
    }
    return plan;
  }
}
