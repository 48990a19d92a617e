// Shared by this package's tests only (not exported, not bundled): the Fastify versions the adapter is
// tested on, the two ways a request reaches an app (inject and real HTTP on loopback), and echo handlers.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { AuthInfo } from '@scopeguard/http';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

const require = createRequire(import.meta.url);

/** The Fastify 5 the workspace uses, and the oldest the peer range claims (`^5.0.0`), typed as the former. */
export const FASTIFIES = [
  { name: `Fastify ${(require('fastify/package.json') as { version: string }).version}`, create: Fastify },
  { name: 'Fastify 5.0.0', create: require('fastify-5.0.0') as typeof Fastify },
];

/** One request as the tests describe it; a header given as a list is sent as one field line per value. */
export interface Call {
  method?: string;
  url: string;
  headers?: Record<string, string | string[]>;
  payload?: string;
}

/** What came back. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Send = (call: Call) => Promise<Answer>;

/** A request over a fresh TCP connection to 127.0.0.1 (no agent, so nothing is pooled between tests). */
function overHttp(port: number, call: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: call.url, method: call.method ?? 'GET', agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // An array makes Node send one field line per value: the only way to send a repeated header.
    for (const [name, value] of Object.entries(call.headers ?? {})) req.setHeader(name, value);
    req.end(call.payload);
  });
}

/** The two ways the tests reach an app: Fastify's `inject` (light-my-request) and real HTTP on loopback. */
export const TRANSPORTS = [
  {
    name: 'inject',
    async open(app: FastifyInstance): Promise<Send> {
      await app.ready();
      return async (call) => {
        const res = await app.inject({
          method: (call.method ?? 'GET') as 'GET',
          url: call.url,
          headers: call.headers ?? {},
          ...(call.payload === undefined ? {} : { payload: call.payload }),
        });
        return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: res.body };
      };
    },
  },
  {
    name: 'HTTP on 127.0.0.1',
    async open(app: FastifyInstance): Promise<Send> {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return (call) => overHttp(port, call);
    },
  },
];

/** What the echo routes answer: the request's `auth` as the handler sees it. */
export function echoBody(auth: AuthInfo | null | undefined) {
  return {
    auth:
      auth === undefined
        ? 'undefined (not decorated)'
        : auth === null
          ? null
          : {
              scopes: auth.scopes,
              clientId: auth.clientId ?? null,
              subject: auth.subject ?? null,
              token: auth.token,
              iss: auth.claims.iss,
              expiresAt: auth.expiresAt.toISOString(),
            },
  };
}

/** A handler answering {@link echoBody}. */
export async function echo(request: FastifyRequest) {
  return echoBody(request.auth);
}

/** `Bearer <token>`. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E ). */
export const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The `SCOPEGUARD_*` variables, to clear around tests. */
export const ENV_NAMES = [
  'SCOPEGUARD_ISSUER',
  'SCOPEGUARD_AUDIENCE',
  'SCOPEGUARD_CLIENT_IDS',
  'SCOPEGUARD_JWKS_URI',
] as const;
