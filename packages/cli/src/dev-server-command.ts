import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { isLoopbackHost } from '@scopeguard/core';
import {
  createDevAuthorizationServer,
  DEFAULT_SCOPES,
  type DevAuthorizationServer,
  type DevClient,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  validateDevClients,
} from '@scopeguard/testing';
import { type SecretDisplay, tokenCurl } from './curl.js';
import { DEV_SERVER_HELP } from './dev-server-help.js';
import { EXIT, UsageError } from './exit-codes.js';
import { type Io, Printer, sanitize, wantsColor } from './output.js';
import { quote, shellQuote } from './text.js';

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  clients: { type: 'string' },
  audience: { type: 'string' },
  alg: { type: 'string' },
  profile: { type: 'string' },
  'token-lifetime': { type: 'string' },
  'no-secrets': { type: 'boolean' },
  quiet: { type: 'boolean' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Largest request body the bridge reads (token requests are a few hundred bytes). */
const MAX_BODY_BYTES = 64 * 1024;

function integer(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > max)
    throw new UsageError(`--${flag} must be an integer from 0 to ${max}, found ${quote(value)}`);
  return number;
}

/** Clients from a file: each private_key_jwt client without a public key is skipped (and reported). */
async function clientsFromFile(path: string): Promise<{ clients: DevClient[]; skipped: string[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--clients ${path}: ${(error as Error).message}`);
  }
  const list = (parsed as { clients?: unknown } | null)?.clients ?? parsed;
  if (!Array.isArray(list)) throw new UsageError(`--clients ${path}: expected { "clients": [ ... ] }`);
  const skipped: string[] = [];
  const kept = list.filter((entry: unknown) => {
    const client = entry as Record<string, unknown> | null;
    const keyless =
      typeof client === 'object' &&
      client !== null &&
      client['token_endpoint_auth_method'] === 'private_key_jwt' &&
      client['jwk'] === undefined &&
      client['jwks'] === undefined;
    if (keyless) skipped.push(String(client['client_id']));
    return !keyless;
  });
  try {
    return { clients: validateDevClients(kept), skipped };
  } catch (error) {
    throw new UsageError(`--clients ${path}: ${(error as Error).message}`);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Serves one HTTP request through the dev server's in-process fetch (the same routes it serves itself). */
async function bridge(
  req: IncomingMessage,
  res: ServerResponse,
  server: Promise<DevAuthorizationServer>,
  origin: string,
  log: (line: string) => void,
): Promise<void> {
  const aborted = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) aborted.abort(new Error('client went away'));
  });
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', origin);
  try {
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: 'invalid_request', error_description: 'request body too large' }));
        log(`${method} ${url.pathname} → 413`);
        return;
      }
    }
    const request = new Request(url, { method, headers, body, signal: aborted.signal });
    const response = await (await server).fetch(request);
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(payload);
    log(`${method} ${url.pathname} → ${response.status}`);
  } catch {
    req.socket.destroy(); // dropped on purpose, or the client went away
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `scopeguard dev-server`: runs until SIGINT or SIGTERM; returns the exit code. */
export async function devServerCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true });
  const out = new Printer(
    io.stdout,
    wantsColor(io.stdout, io.env, values['no-color'] ? false : values.color),
  );
  if (values.help) {
    out.line(DEV_SERVER_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`dev-server takes no arguments, found ${quote(positionals[0])}`);
  const port = integer('port', values.port, 0, 65_535);
  const lifetime = integer('token-lifetime', values['token-lifetime'], 3600, 10 * 365 * 86_400);
  if (lifetime === 0) throw new UsageError('--token-lifetime must be at least 1 second');
  const host = values.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) || host.startsWith('[')) {
    throw new UsageError(
      `--host must be a loopback address (127.0.0.1, ::1 or localhost), found ${quote(host)}: a dev authorization server must not be reachable from other machines`,
    );
  }
  const algorithm = (values.alg ?? 'RS256') as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(algorithm)) {
    throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}, found ${quote(values.alg)}`);
  }
  const profile = values.profile ?? 'okta';
  if (profile !== 'okta' && profile !== 'rfc9068')
    throw new UsageError(`--profile must be okta or rfc9068, found ${quote(profile)}`);
  const audience = values.audience ?? 'api://default';

  let clients: DevClient[];
  let skipped: string[] = [];
  let generated = false;
  if (values.clients !== undefined) {
    ({ clients, skipped } = await clientsFromFile(values.clients));
    if (clients.length === 0) throw new UsageError(`--clients ${values.clients}: no usable client`);
  } else {
    generated = true;
    clients = validateDevClients([
      {
        client_id: 'dev-client',
        client_secret: randomBytes(24).toString('base64url'),
        token_endpoint_auth_method: 'client_secret_basic',
        scopes: [...DEFAULT_SCOPES],
      },
    ]);
  }

  // Handle Ctrl-C before anything is printed: a caller that reacts to the ready line with SIGINT must never
  // meet Node's default action (killed by the signal, no clean stop).
  const stopped = new Promise<string>((resolve) => {
    const stop = (name: string) => () => resolve(name);
    process.once('SIGINT', stop('SIGINT'));
    process.once('SIGTERM', stop('SIGTERM'));
  });

  const log = values.quiet ? () => {} : (line: string) => out.line(out.style(`  ${sanitize(line)}`, 'dim'));
  let resolveServer: (server: DevAuthorizationServer) => void = () => {};
  const ready = new Promise<DevAuthorizationServer>((resolve) => {
    resolveServer = resolve;
  });
  let origin = '';
  const http = createServer((req, res) => void bridge(req, res, ready, origin, log));
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error) =>
      reject(new UsageError(`cannot listen on ${host}:${port}: ${error.message}`)),
    );
    http.listen(port, host, () => resolve());
  });
  const actualPort = (http.address() as AddressInfo).port;
  origin = `http://${hostForUrl(host)}:${actualPort}`;
  const server = await createDevAuthorizationServer({
    clients,
    listen: false,
    origin,
    audience,
    algorithm,
    tokenProfile: profile,
    tokenLifetime: lifetime,
  });
  resolveServer(server);

  const secrets: SecretDisplay = values['no-secrets'] ? 'placeholder' : 'print';
  const b = (text: string) => out.style(text, 'bold');
  out.line(
    `${b('scopeguard dev-server')}: a development authorization server (never trust it, or its tokens, in production)`,
  );
  out.line();
  out.line(`  issuer    ${server.issuer}`);
  out.line(`  port      ${actualPort}`);
  out.line(`  metadata  ${server.metadataUrl}`);
  out.line(`  token     ${server.tokenEndpoint}`);
  out.line(`  jwks      ${server.jwksUri}`);
  out.line();
  out.line(b('Configure an API:'));
  out.line(`  SCOPEGUARD_ISSUER=${shellQuote(server.issuer)} SCOPEGUARD_AUDIENCE=${shellQuote(audience)}`);
  out.line();
  out.line(b('Get a token (client credentials):'));
  for (const client of clients) {
    const about = `${client.client_id}: ${client.token_endpoint_auth_method}, scopes ${client.default_scopes.join(' ') || '(none)'}${generated ? ', secret generated for this run' : ''}`;
    out.line(out.style(`  # ${sanitize(about)}`, 'dim'));
    if (client.token_endpoint_auth_method === 'private_key_jwt') {
      out.line(
        out.style(
          `  # CLIENT_ASSERTION: a JWT signed with ${sanitize(client.client_id)}'s private key, iss = sub = client_id, aud = the token URL, exp, jti (RFC 7523)`,
          'dim',
        ),
      );
    }
    out.line(`  ${sanitize(tokenCurl(server.tokenEndpoint, client, secrets))}`);
  }
  for (const id of skipped) {
    out.line(
      out.style(
        `  # skipped ${sanitize(id)}: private_key_jwt without a public key (add "jwk" or "jwks" to the clients file)`,
        'yellow',
      ),
    );
  }
  out.line();
  out.line(b('Check a token:'));
  out.line(
    `  scopeguard explain - --issuer ${shellQuote(server.issuer)} --audience ${shellQuote(audience)} < token.txt`,
  );
  out.line();
  out.line(`Listening on ${origin}. Ctrl-C stops the server.`);

  const signal = await stopped;
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  await server.close();
  out.line(`stopped (${signal})`);
  return EXIT.ok;
}
