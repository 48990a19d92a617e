import type { AuthRefused, ResponseHeaders } from '@scopeguard/http';
import type { FastifyReply, HookHandlerDoneFunction } from 'fastify';

/** Sets each header; a list is sent as one field line per entry (several challenges), a one-entry list as a plain value. */
export function setHeaders(reply: FastifyReply, headers: ResponseHeaders): void {
  for (const name in headers) {
    const value = headers[name] as string | readonly string[];
    reply.header(name, typeof value === 'string' || value.length !== 1 ? value : value[0]);
  }
}

/**
 * Sends a layer refusal through Fastify's own reply (`reply.code(...).header(...).send(...)`), so the
 * `onSend` and `onResponse` hooks run and a JSON body goes through the route's serializer like any other
 * reply. When the reply has already been sent, the refusal's cause goes to Fastify's error handling.
 */
export function sendRefusal(reply: FastifyReply, refused: AuthRefused, done: HookHandlerDoneFunction): void {
  if (reply.sent) {
    done(toError(refused.failure.cause, refused.failure.description));
    return;
  }
  const { status, headers, body } = refused.answer;
  reply.code(status);
  setHeaders(reply, headers);
  if (body === undefined) {
    reply.send();
    return;
  }
  const type = headers['Content-Type'];
  // The layer renders the body as text; a JSON body is handed to Fastify as a value, so that the
  // route's serializer (a response schema for the status, `setReplySerializer`) applies as it does to
  // every other reply. Text bodies go out as they are.
  reply.send(typeof type === 'string' && type.startsWith('application/json') ? JSON.parse(body) : body);
}

function toError(cause: unknown, description: string): Error {
  return cause instanceof Error ? cause : new Error(description);
}
