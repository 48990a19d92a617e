import { type AnyVerifierOptions, createVerifier, type Verifier } from '@scopeguard/core';
import {
  type AdapterOptions,
  type AuthFailure,
  authenticate,
  protectedResourceMetadata,
  requireScope,
  type ScopeguardRequest,
} from '@scopeguard/express';
import { HTTP_OPTION_KEYS } from '@scopeguard/http';
import express, { type ErrorRequestHandler, type Express } from 'express';

/** What {@link ApiSettings.onRefusal} is told about a refused request (never the token). */
export interface ApiRefusal {
  method: string;
  path: string;
  status: AuthFailure['status'];
  /** The answer's `error` (`invalid_token`, `insufficient_scope`, ...). */
  error: AuthFailure['error'];
  /** The core's reason (`issuer_invalid`, `token_expired`, ...) when a `TokenError` caused it. */
  code: AuthFailure['code'];
}

/** The demo's own settings, next to the verifier's. */
export interface ApiSettings {
  /** Scope required by `GET /api/messages`. Default `customScope` (the scope of Okta's guides). */
  readScope?: string;
  /** Scope required by `POST /api/messages`. Default `messages:write`. */
  writeScope?: string;
  /** `realm` of the `WWW-Authenticate` challenges. Default `demo-api`. */
  realm?: string;
  /** Messages the store starts with. Default: one welcome message. */
  initialMessages?: readonly string[];
  /**
   * The API's log of refused requests: called once per refusal with the status, the answer's error and
   * the core's reason (the full story stays server-side; the caller only sees `error_description`).
   */
  onRefusal?: (refusal: ApiRefusal) => void;
}

/**
 * Options of {@link createApi}: the verifier's (`{ issuer, audience }`, `{ issuers: [...], audience }`,
 * `{ issuer, resource }`, ...) or a ready `{ verifier }`, plus the demo's settings and the HTTP
 * layer's options (`realm`, `exposeErrorDetails`, ...).
 */
export type ApiOptions = ApiSettings &
  Omit<AdapterOptions, 'errorBody' | 'realm'> &
  (AnyVerifierOptions | { verifier: Verifier });

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
  /** The trusted issuer that verified the token (`req.auth.issuer`): tells several issuers apart. */
  issuer: string;
  /** How the token was presented (`req.auth.scheme`): `Bearer`, or `DPoP` (RFC 9449) when DPoP is on. */
  scheme: 'Bearer' | 'DPoP';
  clientId: string | null;
  subject: string | null;
  scopes: readonly string[];
  /** ISO 8601 expiry of the token. */
  expiresAt: string;
}

/** Longest message text `POST /api/messages` accepts. */
export const MAX_MESSAGE_LENGTH = 280;

/**
 * Builds the demo API, an Express 5 app guarded by scopeguard:
 *
 * - `GET /health`: public, `{ status: 'ok' }`;
 * - `GET /api/messages`: needs `readScope` (`customScope`), lists the messages;
 * - `POST /api/messages` (`{ "text": "..." }`): needs `writeScope` (`messages:write`), answers 201;
 * - `GET /api/whoami`: any valid token, the verified client ({@link WhoAmI}).
 *
 * Every `/api` route needs a valid bearer access token for `issuer`/`audience`; refusals are RFC 6750
 * answers (401/403/503 with `WWW-Authenticate` and `{ error, error_description }`). The verifier is
 * built here, once; a bad configuration throws a `ConfigError` now rather than per request.
 *
 * @example
 * const app = createApi({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' });
 * app.listen(3000, '127.0.0.1');
 */
export function createApi(options: ApiOptions): Express {
  const { readScope, writeScope, realm, initialMessages, onRefusal, verifier, httpOptions } =
    splitOptions(options);

  const messages: Message[] = initialMessages.map((text, index) => ({
    id: index + 1,
    text,
    author: 'system',
    createdAt: new Date().toISOString(),
  }));

  const app = express();
  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // RFC 9728: with a `resource`, the metadata document is public, at
  // /.well-known/oauth-protected-resource<path of resource>, and every challenge points at it.
  if (verifier.resource !== undefined && httpOptions.resourceMetadata !== false) {
    app.use(protectedResourceMetadata({ ...httpOptions, verifier, realm }));
  }

  const api = express.Router();
  api.use(
    authenticate({
      ...httpOptions,
      verifier,
      realm,
      errorBody: (failure: AuthFailure, req: ScopeguardRequest) => {
        onRefusal?.({
          method: req.method ?? 'GET',
          path: (req.originalUrl ?? req.url ?? '/').split('?')[0] ?? '/',
          status: failure.status,
          error: failure.error,
          code: failure.code,
        });
        return undefined; // the default { error, error_description } body
      },
    }),
  );

  api.get('/messages', requireScope(readScope), (_req, res) => {
    res.json({ messages });
  });

  api.post('/messages', requireScope(writeScope), express.json({ limit: '4kb' }), (req, res) => {
    const text: unknown = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE_LENGTH) {
      res.status(400).json({
        error: 'invalid_message',
        error_description: `text must be a non-empty string of at most ${MAX_MESSAGE_LENGTH} characters`,
      });
      return;
    }
    const message: Message = {
      id: messages.length + 1,
      text: text.trim(),
      author: req.auth?.clientId ?? 'unknown',
      createdAt: new Date().toISOString(),
    };
    messages.push(message);
    res.status(201).json({ message });
  });

  api.get('/whoami', (req, res) => {
    const auth = req.auth!;
    const body: WhoAmI = {
      issuer: auth.issuer,
      scheme: auth.scheme ?? 'Bearer',
      clientId: auth.clientId ?? null,
      subject: auth.subject ?? null,
      scopes: auth.scopes,
      expiresAt: auth.expiresAt.toISOString(),
    };
    res.json(body);
  });

  app.use('/api', api);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'No such route' });
  });

  const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Body parser errors (malformed JSON, too large): the client's fault, no details echoed.
      res.status(status).json({ error: 'invalid_request', error_description: 'The request body is invalid' });
      return;
    }
    console.error('demo-api: unexpected error', error);
    res.status(500).json({ error: 'server_error', error_description: 'Internal error' });
  };
  app.use(onError);
  return app;
}

/** Separates the demo's settings, the HTTP layer's options and the verifier (built here, once). */
function splitOptions(options: ApiOptions) {
  const {
    readScope = 'customScope',
    writeScope = 'messages:write',
    realm = 'demo-api',
    initialMessages = ['Hello from the scopeguard demo API'],
    onRefusal,
    ...rest
  } = options;
  const httpOptions: Record<string, unknown> = {};
  const verifierOptions: Record<string, unknown> = { ...rest };
  for (const name of HTTP_OPTION_KEYS) {
    if (name in verifierOptions) {
      httpOptions[name] = verifierOptions[name];
      delete verifierOptions[name];
    }
  }
  const verifier =
    'verifier' in rest && rest.verifier !== undefined
      ? rest.verifier
      : createVerifier(verifierOptions as unknown as AnyVerifierOptions);
  return {
    readScope,
    writeScope,
    realm,
    initialMessages,
    onRefusal,
    verifier,
    httpOptions: httpOptions as Omit<AdapterOptions, 'errorBody' | 'realm'>,
  };
}
