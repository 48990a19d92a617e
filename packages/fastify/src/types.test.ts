import type { VerifiedToken, Verifier } from '@scopeguard/core';
import {
  type AuthInfo,
  requireAnyScope,
  requireScope,
  type ScopeguardOptions,
  type ScopeHook,
  scopeguard,
} from '@scopeguard/fastify';
import Fastify, { type FastifyRequest, type RouteShorthandOptions } from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';

// Type-level checks: this file must compile under the root `tsc` (strict); the runtime part is trivial.
describe('types', () => {
  it('merges request.auth into FastifyRequest', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthInfo | null>();
    expectTypeOf<NonNullable<FastifyRequest['auth']>['scopes']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<NonNullable<FastifyRequest['auth']>['token']>().toEqualTypeOf<string>();
    expectTypeOf<AuthInfo>().toExtend<VerifiedToken>();
  });

  it('types config.scopes and config.anyScopes on routes', () => {
    const options: RouteShorthandOptions = { config: { scopes: ['a'], anyScopes: ['b', 'c'] } };
    // @ts-expect-error scopes are strings
    const wrong: RouteShorthandOptions = { config: { scopes: [1] } };
    expect([options, wrong]).toHaveLength(2);
  });

  it('accepts requireScope as a preHandler, also on routes with typed params, body and querystring', () => {
    const app = Fastify();
    const verifier = {} as Verifier;
    app.register(scopeguard, { verifier, optional: true });
    app.register(scopeguard);
    app.register(scopeguard, {
      issuer: 'https://example.okta.com/oauth2/default',
      audience: 'api://default',
    });
    // @ts-expect-error an issuer needs an audience
    const incomplete: ScopeguardOptions = { issuer: 'https://example.okta.com/oauth2/default' };
    expect(incomplete).toBeDefined();
    const hooks: ScopeHook[] = [
      requireScope('a'),
      requireScope({ anyOf: ['a'], realm: 'r' }),
      requireAnyScope('b'),
    ];
    app.post<{ Params: { id: string }; Body: { text: string }; Querystring: { q?: string } }>(
      '/items/:id',
      { preHandler: hooks, config: { scopes: ['items:write'] } },
      async (request) => {
        expectTypeOf(request.params.id).toEqualTypeOf<string>();
        const auth = request.auth;
        expectTypeOf(auth?.clientId).toEqualTypeOf<string | undefined>();
        return { client: auth?.clientId ?? null, text: request.body.text };
      },
    );
    app.get('/one', { preHandler: requireScope('a') }, async (request) => request.auth?.scopes);
  });
});
