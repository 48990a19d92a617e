// One Fastify 5 app variant on 127.0.0.1:0, started by bench/sections/fastify.mjs with child_process.fork.
// argv: <variant> <issuer> <jwksUri> <audience>. Sends { port } to the parent once listening, then serves
// GET /api until the parent disconnects or kills it. Every variant ends in the same handler and checks the
// scope `customScope`.
import fastifyJwt from '@fastify/jwt';
import { scopeguard } from '@scopeguard/fastify';
import Fastify from 'fastify';
import buildGetJwks from 'get-jwks';
import { serveParent } from './lib/forked-server.mjs';

const [variant, issuer, jwksUri, audience] = process.argv.slice(2);
const SCOPE = 'customScope';

/**
 * The usual Fastify JWKS setup, as get-jwks's README shows it with @fastify/jwt: the key is looked up by
 * the token's `kid`, `alg` and `iss` (restricted to the one issuer, as it must be: the domain comes from
 * the unverified token), and the plugin's `onRequest` hook verifies (fast-jwt: issuer, audience, RS256),
 * then checks the scope. fast-jwt's own verified-token cache is off, as in that setup.
 */
async function fastifyJwtVariant(app) {
  const getJwks = buildGetJwks({
    issuersWhitelist: [issuer],
    jwksPath: new URL(jwksUri).pathname.slice(new URL(issuer).pathname.length),
  });
  await app.register(fastifyJwt, {
    decode: { complete: true },
    secret: (_request, token) => {
      const {
        header: { kid, alg },
        payload: { iss },
      } = token;
      return getJwks.getPublicKey({ kid, domain: iss, alg });
    },
    verify: { allowedIss: issuer, allowedAud: audience, algorithms: ['RS256'] },
  });
  app.addHook('onRequest', async (request, reply) => {
    await request.jwtVerify();
    const scp = request.user.scp;
    if (!Array.isArray(scp) || !scp.includes(SCOPE)) {
      reply.code(403).header('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${SCOPE}"`);
      return reply.send({ error: 'insufficient_scope' });
    }
  });
  app.get('/api', async () => ({ ok: true }));
}

const VARIANTS = {
  none: async (app) => {
    app.get('/api', async () => ({ ok: true }));
  },
  // The same app again: how far two identical apps' CPU per request drift apart in one run.
  'none-again': async (app) => {
    app.get('/api', async () => ({ ok: true }));
  },
  scopeguard: async (app) => {
    await app.register(scopeguard, { issuer, audience, jwksUri });
    app.get('/api', { config: { scopes: [SCOPE] } }, async () => ({ ok: true }));
  },
  'fastify-jwt': fastifyJwtVariant,
};

if (!Object.hasOwn(VARIANTS, variant)) {
  console.error(`unknown variant ${variant}; one of ${Object.keys(VARIANTS).join(', ')}`);
  process.exit(2);
}

const app = Fastify({ logger: false, keepAliveTimeout: 30_000 });
await VARIANTS[variant](app);
await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ port: app.server.address().port });

serveParent(app.server, 120_000);
