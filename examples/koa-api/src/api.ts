import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { VerifierOptions } from '@scopeguard/core';
import { authenticate, requireScope } from '@scopeguard/koa';
import Koa from 'koa';

/** Options of {@link createApi}: the verifier's (issuer, audience, ...) plus the scopes of the routes. */
export interface ApiOptions extends VerifierOptions {
  /** Scope required by `GET /api/messages`. Default `customScope` (the scope of Okta's guides). */
  readScope?: string;
  /** Scope required by `POST /api/messages`. Default `messages:write`. */
  writeScope?: string;
  /** `realm` of the `WWW-Authenticate` challenges. Default `koa-api`. */
  realm?: string;
}

/** One stored message. */
export interface Message {
  id: number;
  text: string;
  /** Client id of the token that posted it (`system` for the first one). */
  author: string;
  createdAt: string;
}

/** Longest message text `POST /api/messages` accepts. */
export const MAX_MESSAGE_LENGTH = 280;

/**
 * The demo API's routes (`examples/demo-api/src/api.ts`) as a Koa 3 app guarded by `@scopeguard/koa`:
 *
 * - `GET /health`: public, `{ status: 'ok' }`;
 * - `GET /api/messages`: needs `readScope` (`customScope`), lists the messages;
 * - `POST /api/messages` (`{ "text": "..." }`): needs `writeScope` (`messages:write`), answers 201;
 * - `GET /api/whoami`: any valid token, the verified client.
 *
 * Every `/api` route needs a valid bearer access token; refusals are RFC 6750 answers from the adapter.
 * Anything else is 404; an unexpected error is 500, answered by the error middleware at the top.
 */
export function createApi(options: ApiOptions): Koa {
  const {
    readScope = 'customScope',
    writeScope = 'messages:write',
    realm = 'koa-api',
    ...verifier
  } = options;
  const messages: Message[] = [
    { id: 1, text: 'Hello from the Koa example', author: 'system', createdAt: new Date().toISOString() },
  ];

  const app = new Koa();
  // Koa's error handling: every error thrown below (a body parser's 4xx, anything unexpected) lands here.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        ctx.status = status;
        ctx.body = { error: 'invalid_request', error_description: 'The request body is invalid' };
        return;
      }
      ctx.app.emit('error', error, ctx);
      ctx.status = 500;
      ctx.body = { error: 'server_error', error_description: 'Internal error' };
    }
  });

  const open = new Router();
  open.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  const api = new Router({ prefix: '/api' });
  api.use(authenticate({ ...verifier, realm }));
  api.get('/messages', requireScope(readScope), (ctx) => {
    ctx.body = { messages };
  });
  api.post(
    '/messages',
    requireScope(writeScope),
    bodyParser({ enableTypes: ['json'], jsonLimit: '4kb' }),
    (ctx) => {
      const text: unknown = (ctx.request.body as { text?: unknown } | undefined)?.text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE_LENGTH) {
        ctx.status = 400;
        ctx.body = {
          error: 'invalid_message',
          error_description: `text must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
        };
        return;
      }
      const message: Message = {
        id: messages.length + 1,
        text: text.trim(),
        author: ctx.state.auth?.clientId ?? 'unknown',
        createdAt: new Date().toISOString(),
      };
      messages.push(message);
      ctx.status = 201;
      ctx.body = { message };
    },
  );
  api.get('/whoami', (ctx) => {
    const auth = ctx.state.auth!;
    ctx.body = {
      clientId: auth.clientId ?? null,
      subject: auth.subject ?? null,
      scopes: auth.scopes,
      expiresAt: auth.expiresAt.toISOString(),
    };
  });

  app.use(open.routes());
  app.use(api.routes()).use(api.allowedMethods());
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'No such route' };
  });
  return app;
}
