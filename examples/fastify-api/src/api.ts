import { type ScopeguardOptions, scopeguard } from '@scopeguard/fastify';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';

/**
 * Options of {@link createApi}: the plugin's (`issuer`, `audience`, …, or none at all to read
 * `SCOPEGUARD_*`) plus the scopes of the routes.
 */
export type ApiOptions = ScopeguardOptions & {
  /** Scope required by `GET /api/messages`. Default `customScope` (the scope of Okta's guides). */
  readScope?: string;
  /** Scope required by `POST /api/messages`. Default `messages:write`. */
  writeScope?: string;
  /** Messages the store starts with. Default: one welcome message. */
  initialMessages?: readonly string[];
};

/** One stored message. */
export interface Message {
  id: number;
  text: string;
  /** Client id of the token that posted it (`system` for the initial ones). */
  author: string;
  createdAt: string;
}

/** What `GET /api/whoami` answers: the verified client behind the bearer token. */
export interface WhoAmI {
  clientId: string | null;
  subject: string | null;
  scopes: readonly string[];
  /** ISO 8601 expiry of the token. */
  expiresAt: string;
}

/** Longest message text `POST /api/messages` accepts. */
export const MAX_MESSAGE_LENGTH = 280;

const messageBody = {
  type: 'object',
  required: ['text'],
  properties: { text: { type: 'string', minLength: 1, maxLength: MAX_MESSAGE_LENGTH } },
} as const;

/**
 * Builds the demo API's routes on Fastify 5, guarded by `@scopeguard/fastify`:
 *
 * - `GET /health`: public, `{ status: 'ok' }`;
 * - `GET /api/messages`: needs `readScope` (`customScope`), lists the messages;
 * - `POST /api/messages` (`{ "text": "..." }`): needs `writeScope` (`messages:write`), answers 201;
 * - `GET /api/whoami`: any valid token, the verified client ({@link WhoAmI}).
 *
 * The plugin is registered inside the `/api` plugin, so it guards `/api/*` and nothing else; the scopes are
 * route config, checked right after the token and before the body is read. Refusals are RFC 6750 answers
 * (401/403/503 with `WWW-Authenticate` and `{ error, error_description }`); a bad configuration or scope
 * name makes this promise reject with a `ConfigError`.
 *
 * @example
 * const app = await createApi({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * await app.listen({ port: 3000, host: '127.0.0.1' });
 */
export async function createApi(options: ApiOptions = {}): Promise<FastifyInstance> {
  const {
    readScope = 'customScope',
    writeScope = 'messages:write',
    initialMessages = ['Hello from the scopeguard Fastify example'],
    realm = 'fastify-api',
    ...guard
  } = options;

  const messages: Message[] = initialMessages.map((text, index) => ({
    id: index + 1,
    text,
    author: 'system',
    createdAt: new Date().toISOString(),
  }));

  const app = Fastify();

  // Before the /api plugin: a child context takes its parent's error handler when it is created.
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: 'not_found', error_description: 'No such route' });
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation !== undefined) {
      reply.code(400).send({
        error: 'invalid_message',
        error_description: `text must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
      });
      return;
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Body parser errors (malformed JSON, too large): the client's fault, no details echoed.
      reply
        .code(error.statusCode)
        .send({ error: 'invalid_request', error_description: 'The request body is invalid' });
      return;
    }
    console.error('fastify-api: unexpected error', error);
    reply.code(500).send({ error: 'server_error', error_description: 'Internal error' });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  await app.register(
    async (api) => {
      await api.register(scopeguard, { ...guard, realm } as ScopeguardOptions);

      api.get('/messages', { config: { scopes: [readScope] } }, async () => ({ messages }));

      api.post<{ Body: { text: string } }>(
        '/messages',
        { config: { scopes: [writeScope] }, bodyLimit: 4096, schema: { body: messageBody } },
        async (request, reply) => {
          const text = request.body.text.trim();
          if (text === '') {
            return reply.code(400).send({
              error: 'invalid_message',
              error_description: `text must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
            });
          }
          const message: Message = {
            id: messages.length + 1,
            text,
            author: request.auth?.clientId ?? 'unknown',
            createdAt: new Date().toISOString(),
          };
          messages.push(message);
          return reply.code(201).send({ message });
        },
      );

      api.get('/whoami', async (request): Promise<WhoAmI> => {
        const auth = request.auth!;
        return {
          clientId: auth.clientId ?? null,
          subject: auth.subject ?? null,
          scopes: auth.scopes,
          expiresAt: auth.expiresAt.toISOString(),
        };
      });
    },
    { prefix: '/api' },
  );

  return app;
}
