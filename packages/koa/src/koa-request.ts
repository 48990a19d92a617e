import { type HttpRequest, nodeRequest } from '@scopeguard/http';
import type { Context } from 'koa';

/**
 * Describes a Koa request for the layer: Node's `IncomingMessage` (`ctx.req`) read through
 * `nodeRequest`, so a repeated `Authorization` header is seen in `rawHeaders` (Koa's `ctx.headers` keeps
 * only the first). The parsed body is handed over only when `allowBodyToken` is on: it is where
 * `@koa/bodyparser` and `koa-bodyparser` put it, `ctx.request.body`, not on `ctx.req`.
 */
export function koaRequest(ctx: Context, withBody: boolean): HttpRequest {
  if (!withBody) return nodeRequest(ctx.req);
  return nodeRequest(ctx.req, { body: (ctx.request as { body?: unknown }).body });
}
