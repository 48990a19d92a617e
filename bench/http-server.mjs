// One Express 5 app variant on 127.0.0.1:0, started by bench/sections/http.mjs with child_process.fork.
// argv: <variant> <issuer> <jwksUri> <audience>. Sends { port } to the parent once listening, then serves
// GET /api until the parent disconnects or kills it. Every variant ends in the same handler.
import OktaJwtVerifier from '@okta/jwt-verifier';
import { authenticate, requireScope } from '@scopeguard/express';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { expressjwt } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import { serveParent } from './lib/forked-server.mjs';

const [variant, issuer, jwksUri, audience] = process.argv.slice(2);
const SCOPE = 'customScope';

function oktaMiddleware() {
  const warn = console.warn;
  console.warn = () => {}; // it warns about disableHttpsCheck at construction
  const verifier = new OktaJwtVerifier({ issuer, jwksUri, testing: { disableHttpsCheck: true } });
  console.warn = warn;
  return (req, res, next) => {
    const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      res.status(401).set('WWW-Authenticate', 'Bearer').end();
      return;
    }
    verifier.verifyAccessToken(match[1], audience).then(
      (jwt) => {
        const scp = jwt.claims.scp;
        if (!Array.isArray(scp) || !scp.includes(SCOPE)) {
          res
            .status(403)
            .set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${SCOPE}"`)
            .end();
          return;
        }
        req.jwt = jwt;
        next();
      },
      () => {
        res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').end();
      },
    );
  };
}

function expressJwtMiddleware() {
  const verify = expressjwt({
    secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 5 }),
    audience,
    issuer,
    algorithms: ['RS256'],
  });
  const scope = (req, res, next) => {
    const scp = req.auth?.scp;
    if (!Array.isArray(scp) || !scp.includes(SCOPE)) res.status(403).end();
    else next();
  };
  return [verify, scope];
}

const VARIANTS = {
  none: () => [],
  // The same app again: how far two identical apps' CPU per request drift apart in one run.
  'none-again': () => [],
  scopeguard: () => [authenticate({ issuer, audience, jwksUri }), requireScope(SCOPE)],
  // express-oauth2-jwt-bearer's requiredScopes reads the `scope` string claim (not Okta's `scp` array):
  // the benchmark tokens carry both.
  auth0: () => [auth({ issuer, jwksUri, audience, tokenSigningAlg: 'RS256' }), requiredScopes(SCOPE)],
  'express-jwt': expressJwtMiddleware,
  okta: () => [oktaMiddleware()],
};

if (!Object.hasOwn(VARIANTS, variant)) {
  console.error(`unknown variant ${variant}; one of ${Object.keys(VARIANTS).join(', ')}`);
  process.exit(2);
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/api', ...VARIANTS[variant](), (_req, res) => {
  res.json({ ok: true });
});
// Errors (401/403 from express-jwt and express-oauth2-jwt-bearer) end here, without a stack trace.
app.use((error, _req, res, _next) => {
  res.status(error.status ?? error.statusCode ?? 500).end();
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
server.keepAliveTimeout = 30_000;
serveParent(server, 120_000);
