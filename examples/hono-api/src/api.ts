import { requireScope, type ScopeguardOptions, scopeguard } from '@scopeguard/hono';
import { Hono } from 'hono';

/**
 * Options of {@link createApi}: `@scopeguard/hono`'s (verifier options, or none to read `SCOPEGUARD_*`),
 * plus the scopes of the routes.
 */
export type ApiOptions = ScopeguardOptions & {
  /** Scope required by `GET /api/messages`. Default `customScope` (the scope of Okta's guides). */
  readScope?: string;
  /** Scope required by `POST /api/messages`. Default `messages:write`. */
  writeScope?: string;
};

/** One stored message. */
export interface Message {
  id: number;
  text: string;
  /** Client id of the token that posted it (`system` for the initial one). */
  author: string;
  createdAt: string;
}

/** Longest message text `POST /api/messages` accepts. */
export const MAX_MESSAGE_LENGTH = 280;

/**
 * The demo API's routes on Hono, guarded by scopeguard:
 *
 * - `GET /health`: public, `{ status: 'ok' }`;
 * - `GET /api/messages`: needs `readScope`, lists the messages;
 * - `POST /api/messages` (`{ "text": "..." }`): needs `writeScope`, answers 201;
 * - `GET /api/whoami`: any valid token, the verified client.
 *
 * Every `/api` route needs a valid bearer token; refusals are the RFC 6750 answers of `@scopeguard/hono`.
 * The realm defaults to `hono-api`.
 */
export function createApi(options: ApiOptions = {}): Hono {
  const { readScope = 'customScope', writeScope = 'messages:write', ...guard } = options;
  const messages: Message[] = [
    {
      id: 1,
      text: 'Hello from the scopeguard Hono API',
      author: 'system',
      createdAt: new Date().toISOString(),
    },
  ];

  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.use('/api/*', scopeguard({ realm: 'hono-api', ...guard }));

  app.get('/api/messages', requireScope(readScope), (c) => c.json({ messages }));

  app.post('/api/messages', requireScope(writeScope), async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const text = (body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE_LENGTH) {
      return c.json(
        {
          error: 'invalid_message',
          error_description: `text must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
        },
        400,
      );
    }
    const message: Message = {
      id: messages.length + 1,
      text: text.trim(),
      author: c.get('auth').clientId ?? 'unknown',
      createdAt: new Date().toISOString(),
    };
    messages.push(message);
    return c.json({ message }, 201);
  });

  app.get('/api/whoami', (c) => {
    const auth = c.get('auth');
    if (auth === undefined) return c.json({ error: 'unauthorized' }, 401); // unreachable: scopeguard() ran
    return c.json({
      clientId: auth.clientId ?? null,
      subject: auth.subject ?? null,
      scopes: auth.scopes,
      expiresAt: auth.expiresAt.toISOString(),
    });
  });

  app.notFound((c) => c.json({ error: 'not_found', error_description: 'No such route' }, 404));
  app.onError((error, c) => {
    console.error('hono-api: unexpected error', error);
    return c.json({ error: 'server_error', error_description: 'Internal error' }, 500);
  });
  return app;
}
