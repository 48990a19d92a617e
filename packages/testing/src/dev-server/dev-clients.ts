import type { JSONWebKeySet, JWK } from 'jose';

/** Client authentication methods the dev authorization server implements at its token endpoint. */
export type DevClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A client registration as written in config (JSON-friendly, snake_case like RFC 7591). */
export interface DevClientConfig {
  client_id: string;
  /** Required for `client_secret_basic` and `client_secret_post`. */
  client_secret?: string;
  /** Public keys for `private_key_jwt`. */
  jwks?: JSONWebKeySet;
  /** A single public key for `private_key_jwt` (shorthand for `jwks: { keys: [jwk] }`). */
  jwk?: JWK;
  /** Scopes the client may be granted. */
  scopes: string[];
  /** Scopes granted when the client requests none; default: all of `scopes`. */
  default_scopes?: string[];
  /**
   * How the client authenticates; default `client_secret_basic` when it has a secret, else `private_key_jwt`.
   * A client must use exactly its registered method.
   */
  token_endpoint_auth_method?: DevClientAuthMethod;
  /** Grants the client may use; default `['client_credentials']`. */
  grant_types?: string[];
  /**
   * Resource indicators (RFC 8707) the client may name in the token request's `resource` parameter, each
   * an absolute URI without fragment, e.g. `["https://api.example.com/orders"]`. A token requested for
   * them carries them in `aud`; any other resource is refused with `invalid_target`. The server's own
   * `audience` may always be requested. Default: none.
   */
  resources?: string[];
}

/** A validated client registration. */
export interface DevClient {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly jwks?: JSONWebKeySet;
  readonly scopes: readonly string[];
  readonly default_scopes: readonly string[];
  readonly token_endpoint_auth_method: DevClientAuthMethod;
  readonly grant_types: readonly string[];
  /** Resource indicators (RFC 8707) the client may request (absent: none); see {@link DevClientConfig.resources}. */
  readonly resources?: readonly string[];
}

/** The shape of a clients file: `{ "clients": [ ... ] }`. */
export interface DevClientsFile {
  clients: DevClientConfig[];
}

const AUTH_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Whether `value` may be a resource indicator (RFC 8707 §2): an absolute URI (RFC 3986 §4.3: a scheme, no
 * fragment), read by the WHATWG URL parser, with no leading or trailing whitespace.
 */
export function isResourceIndicator(value: string): boolean {
  return value.trim() === value && !value.includes('#') && URL.canParse(value);
}

function fail(index: number, message: string): never {
  throw new TypeError(`Invalid dev client #${index}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, index: number, name: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    fail(index, `${name} must be an array of strings`);
  }
  return value;
}

function publicKeys(client: Record<string, unknown>, index: number): JSONWebKeySet | undefined {
  if (client['jwks'] !== undefined && client['jwk'] !== undefined)
    fail(index, 'give either jwks or jwk, not both');
  let keys: unknown;
  if (client['jwk'] !== undefined) keys = [client['jwk']];
  else if (client['jwks'] !== undefined) keys = isRecord(client['jwks']) ? client['jwks']['keys'] : undefined;
  else return undefined;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every(isRecord)) {
    fail(index, 'jwks must be { "keys": [ <JWK>, ... ] } with at least one key');
  }
  for (const key of keys) {
    if (typeof key['kty'] !== 'string') fail(index, 'every JWK needs a "kty"');
    const leaked = PRIVATE_JWK_MEMBERS.filter((member) => member in key);
    if (leaked.length > 0)
      fail(index, `register public keys only (found private members ${leaked.join(', ')})`);
  }
  return { keys: keys as JWK[] };
}

/**
 * Validates client registrations (an array, or `{ clients: [...] }` as in a clients file) and fills in
 * defaults. Throws a `TypeError` naming the offending client on any mistake.
 */
export function validateDevClients(input: unknown): DevClient[] {
  const list = isRecord(input) ? input['clients'] : input;
  if (!Array.isArray(list)) throw new TypeError('Dev clients must be an array or { "clients": [ ... ] }');
  const seen = new Set<string>();
  return list.map((entry: unknown, index): DevClient => {
    if (!isRecord(entry)) fail(index, 'must be an object');
    const clientId = entry['client_id'];
    if (typeof clientId !== 'string' || clientId === '') fail(index, 'client_id must be a non-empty string');
    if (seen.has(clientId)) fail(index, `client_id "${clientId}" is registered twice`);
    seen.add(clientId);
    const secret = entry['client_secret'];
    if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
      fail(index, 'client_secret must be a non-empty string');
    }
    const jwks = publicKeys(entry, index);
    const method =
      entry['token_endpoint_auth_method'] ??
      (secret !== undefined ? 'client_secret_basic' : 'private_key_jwt');
    if (typeof method !== 'string' || !AUTH_METHODS.includes(method)) {
      fail(index, `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
    }
    if (method === 'private_key_jwt' && !jwks) fail(index, 'private_key_jwt needs jwks or jwk');
    if (method !== 'private_key_jwt' && secret === undefined) fail(index, `${method} needs a client_secret`);
    const scopes = stringList(entry['scopes'] ?? [], index, 'scopes');
    const invalidScope = scopes.find((scope) => !SCOPE_TOKEN.test(scope));
    if (invalidScope !== undefined) fail(index, `"${invalidScope}" is not a valid scope token`);
    const defaults =
      entry['default_scopes'] === undefined
        ? scopes
        : stringList(entry['default_scopes'], index, 'default_scopes');
    const stray = defaults.find((scope) => !scopes.includes(scope));
    if (stray !== undefined) fail(index, `default scope "${stray}" is not among its scopes`);
    const grantTypes = stringList(entry['grant_types'] ?? ['client_credentials'], index, 'grant_types');
    const resources = stringList(entry['resources'] ?? [], index, 'resources');
    const badResource = resources.find((resource) => !isResourceIndicator(resource));
    if (badResource !== undefined) {
      fail(index, `resource "${badResource}" is not an absolute URI without fragment (RFC 8707 §2)`);
    }
    return {
      client_id: clientId,
      ...(secret === undefined ? {} : { client_secret: secret as string }),
      ...(jwks === undefined ? {} : { jwks }),
      scopes: [...scopes],
      default_scopes: [...defaults],
      token_endpoint_auth_method: method as DevClientAuthMethod,
      grant_types: [...grantTypes],
      ...(resources.length === 0 ? {} : { resources: [...new Set(resources)] }),
    };
  });
}
