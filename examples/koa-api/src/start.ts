/**
 * `pnpm --filter @scopeguard/koa-api start`: the dev authorization server of `@scopeguard/testing` and
 * the Koa API, on free 127.0.0.1 ports, until Ctrl-C. Prints a curl command that gets a token with the
 * client-credentials grant and one that calls the API with it.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevAuthorizationServer } from '@scopeguard/testing';
import { createApi } from './api.js';

const secret = randomBytes(18).toString('base64url');
const authServer = await createDevAuthorizationServer({
  clients: [{ client_id: 'koa-example', client_secret: secret, scopes: ['customScope', 'messages:write'] }],
});
const server = createServer(
  createApi({ issuer: authServer.issuer, audience: authServer.audience }).callback(),
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

console.log(`Koa API on ${api}, tokens from ${authServer.tokenEndpoint}`);
console.log(
  `  TOKEN=$(curl -s -u koa-example:${secret} -d grant_type=client_credentials -d scope=customScope ${authServer.tokenEndpoint} | node -p 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
);
console.log(`  curl -i -H "Authorization: Bearer $TOKEN" ${api}/api/messages`);

const stop = () => {
  server.closeAllConnections();
  server.close();
  void authServer.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
