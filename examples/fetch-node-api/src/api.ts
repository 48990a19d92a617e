import { createGuard, type FetchGuardOptions, type ScopeCheck } from '@scopeguard/fetch';

/** Options of {@link createHandler}: `createGuard`'s, plus the scopes of the routes. */
export type ApiOptions = FetchGuardOptions & {
  /** Scope required by `GET /api/messages`. Default `customScope`. */
  readScope?: string;
  /** Scope required by `POST /api/messages`. Default `messages:write`. */
  writeScope?: string;
};

/** One stored message. */
export interface Message {
  id: number;
  text: string;
  author: string;
  createdAt: string;
}

/** Longest message text `POST /api/messages` accepts. */
export const MAX_MESSAGE_LENGTH = 280;

const json = (body: unknown, status = 200) => Response.json(body, { status });

/**
 * The demo API's routes as one fetch-style handler, `(request: Request) => Promise<Response>`, guarded
 * by `@scopeguard/fetch`: what a Next.js route handler, `Deno.serve` or `Bun.serve` would run. Nothing here
 * knows about Node; `node.ts` puts it behind `node:http`.
 *
 * - `GET /health`: public;
 * - `GET /api/messages`: needs `readScope`;
 * - `POST /api/messages` (`{ "text": "..." }`): needs `writeScope`, answers 201;
 * - `GET /api/whoami`: any valid token.
 */
export function createHandler(options: ApiOptions = {}): (request: Request) => Promise<Response> {
  const { readScope = 'customScope', writeScope = 'messages:write', ...guardOptions } = options;
  const guard = createGuard({ realm: 'fetch-api', ...guardOptions });
  const messages: Message[] = [
    {
      id: 1,
      text: 'Hello from the scopeguard fetch API',
      author: 'system',
      createdAt: new Date().toISOString(),
    },
  ];
  const routes: Record<string, ScopeCheck | undefined> = {
    'GET /api/messages': { scopes: [readScope] },
    'POST /api/messages': { scopes: [writeScope] },
    'GET /api/whoami': undefined,
  };

  return async function handle(request) {
    const { pathname } = new URL(request.url);
    const route = `${request.method} ${pathname}`;
    if (route === 'GET /health') return json({ status: 'ok' });
    if (!(route in routes)) return json({ error: 'not_found', error_description: 'No such route' }, 404);

    const result = await guard(request, routes[route]);
    if (result instanceof Response) return result;
    const auth = result.auth;
    if (auth === undefined) return json({ error: 'unauthorized' }, 401); // unreachable: not optional

    if (route === 'GET /api/messages') return json({ messages });
    if (route === 'GET /api/whoami') {
      return json({
        clientId: auth.clientId ?? null,
        subject: auth.subject ?? null,
        scopes: auth.scopes,
        expiresAt: auth.expiresAt.toISOString(),
      });
    }
    const body: unknown = await request.json().catch(() => undefined);
    const text = (body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE_LENGTH) {
      return json(
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
      author: auth.clientId ?? 'unknown',
      createdAt: new Date().toISOString(),
    };
    messages.push(message);
    return json({ message }, 201);
  };
}
