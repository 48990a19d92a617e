// Runs a README snippet as written, inside a throwaway project that installed the packed tarballs
// (test/packaging/consumers.test.ts copies this file there). The snippets name the issuer
// https://example.okta.com/oauth2/default and listen on port 3000, as a reader's app would; this harness
// changes the world around them, never their text:
//
// - the issuer: a `@scopeguard/testing` issuer answering in-process at exactly that URL, reached through
//   the global `fetch` (which the verifier uses by default); any other origin goes to the real `fetch`;
// - the port: every `listen(...)` is moved to 127.0.0.1 port 0;
// - then it sends three requests (no token, a token without the scope, a token with it and `cid: svc`) and
//   prints one line `SNIPPET_RESULT {...}` (statuses, challenges, bodies; never a token), and exits.
//
// Server snippets: `node --import ./snippet-harness.mjs app.mjs` (SNIPPET_PATH: the route to call).
// Route handlers (Next.js): `SNIPPET_ROUTE_HANDLER=./route.mjs node ./snippet-harness.mjs`: the harness
// plays the framework and calls the module's exported `GET` with a WHATWG `Request`.
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { createTestIssuer } from '@scopeguard/testing';

const ISSUER_ORIGIN = 'https://example.okta.com';
const path = process.env.SNIPPET_PATH ?? '/api/messages';

const issuer = await createTestIssuer({ listen: false, origin: ISSUER_ORIGIN });
const networkFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return new URL(url).origin === ISSUER_ORIGIN ? issuer.fetch(input, init) : networkFetch(input, init);
};

/** Sends the three requests through `send(token?)` and prints what came back. */
async function exercise(send) {
  const call = async (token) => {
    const response = await send(token === undefined ? {} : { authorization: `Bearer ${token}` });
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      body: await response.text(),
    };
  };
  const result = {
    none: await call(),
    otherScope: await call(await issuer.mint({ scp: ['other'], cid: 'svc' })),
    good: await call(await issuer.mint({ scp: ['customScope'], cid: 'svc' })),
  };
  process.stdout.write(`\nSNIPPET_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

function fail(error) {
  process.stderr.write(`snippet harness: ${error?.stack ?? error}\n`);
  process.exit(1);
}

// Nothing should take long; a snippet that never listens must not hang the test.
setTimeout(() => fail(new Error('the snippet did not listen within 90 s')), 90_000).unref();

const routeHandler = process.env.SNIPPET_ROUTE_HANDLER;
if (routeHandler !== undefined) {
  const module = await import(pathToFileURL(routeHandler).href);
  if (typeof module.GET !== 'function') fail(new Error(`${routeHandler} exports no GET handler`));
  exercise((headers) => module.GET(new Request(`http://localhost${path}`, { headers }))).catch(fail);
} else {
  const listen = net.Server.prototype.listen;
  let reported = false;
  net.Server.prototype.listen = function listenOnLoopback(...args) {
    const callback = args.findLast((arg) => typeof arg === 'function');
    this.once('listening', () => {
      if (reported) return; // a framework may open more than one server (Fastify on `localhost`)
      reported = true;
      const { port } = this.address();
      exercise((headers) => networkFetch(`http://127.0.0.1:${port}${path}`, { headers })).catch(fail);
    });
    return callback === undefined
      ? listen.call(this, { port: 0, host: '127.0.0.1' })
      : listen.call(this, { port: 0, host: '127.0.0.1' }, callback);
  };
}
