import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import { requireAnyScope, type ScopeguardOptions, scopeguard } from '@scopeguard/fastify';
import Fastify from 'fastify';
import { type ContractTarget, meBody } from '../harness.js';

/**
 * The contract app on Fastify 5, built as `packages/fastify/README.md` shows it: `/health` at the root,
 * the plugin registered in a child context that holds the guarded routes, `config: { scopes }` and a
 * `requireAnyScope` preHandler, form bodies parsed by `@fastify/formbody`, unexpected errors answered by
 * Fastify's error handler.
 */
export const target: ContractTarget = {
  name: 'fastify',
  async start(config) {
    const app = Fastify();
    app.setErrorHandler((_error, _request, reply) => {
      reply.code(500).send({ error: 'server_error' });
    });
    app.get('/health', async () => ({ ok: true }));
    await app.register(async (api) => {
      await api.register(formbody);
      await api.register(scopeguard, config as ScopeguardOptions);
      api.get('/me', async (request) => meBody(request.auth));
      api.post('/me', async (request) => meBody(request.auth));
      api.get('/scoped', { config: { scopes: ['customScope'] } }, async (request) => meBody(request.auth));
      api.get('/any-scope', { preHandler: requireAnyScope('read', 'write') }, async (request) =>
        meBody(request.auth),
      );
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => app.close(),
    };
  },
};
