import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { parseBasicCredentials } from './basic-credentials.js';
import type { DevClient, DevClientAuthMethod } from './dev-clients.js';
import { OAuthError } from './oauth-error.js';
import type { ReplayCache } from './replay-cache.js';
import { secretsMatch } from './secrets-match.js';

/** `client_assertion_type` of RFC 7523 client authentication. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Algorithms a `private_key_jwt` client assertion may use (asymmetric only); the metadata advertises them. */
export const ASSERTION_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** What client authentication needs to know about the server. */
export interface ClientAuthenticationContext {
  clients: ReadonlyMap<string, DevClient>;
  issuer: string;
  tokenEndpoint: string;
  replays: ReplayCache;
}

/** A token request's client authentication inputs. */
export interface ClientAuthenticationInput {
  /** The `Authorization` header, if any. */
  authorization: string | null;
  /** The form body. */
  form: URLSearchParams;
}

/** A secret-comparison target for unknown clients, so their failures cost the same as a wrong secret. */
const NO_SECRET = 'no-such-client-no-such-secret';

/**
 * Authenticates the client of a token request by `client_secret_basic`, `client_secret_post` or
 * `private_key_jwt`, holding each client to its registered method. Throws an {@link OAuthError}:
 * `invalid_request` when several methods are used at once, `invalid_client` (401; with
 * `WWW-Authenticate: Basic` when Basic was tried) when authentication fails.
 */
export async function authenticateClient(
  input: ClientAuthenticationInput,
  context: ClientAuthenticationContext,
): Promise<DevClient> {
  const { form } = input;
  const usesBasic = input.authorization !== null && /^basic(\s|$)/i.test(input.authorization);
  const usesPost = form.has('client_secret');
  const usesJwt = form.has('client_assertion') || form.has('client_assertion_type');
  const used = [usesBasic, usesPost, usesJwt].filter(Boolean).length;
  if (used > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');

  const challenge: Record<string, string> = usesBasic
    ? { 'www-authenticate': `Basic realm="${context.issuer}", charset="UTF-8"` }
    : {};
  const reject = (description: string) => new OAuthError('invalid_client', description, 401, challenge);
  const registered = (clientId: string, method: DevClientAuthMethod) => {
    const client = context.clients.get(clientId);
    if (client && client.token_endpoint_auth_method !== method) {
      throw reject(`Client is registered for ${client.token_endpoint_auth_method}, not ${method}.`);
    }
    return client;
  };

  if (used === 0) throw reject('Client authentication is required.');

  if (usesBasic || usesPost) {
    const method = usesBasic ? 'client_secret_basic' : 'client_secret_post';
    let clientId: string | null;
    let secret: string | null;
    if (usesBasic) {
      const credentials = parseBasicCredentials(input.authorization!);
      if (!credentials) throw reject('Malformed Basic credentials.');
      clientId = credentials.clientId;
      secret = credentials.clientSecret;
      const bodyClientId = form.get('client_id');
      if (bodyClientId !== null && bodyClientId !== clientId) {
        throw new OAuthError(
          'invalid_request',
          'client_id in the body differs from the authenticated client.',
        );
      }
    } else {
      clientId = form.get('client_id');
      secret = form.get('client_secret');
      if (!clientId) throw reject('client_id is required with client_secret_post.');
    }
    const client = registered(clientId, method);
    const matches = secretsMatch(secret ?? '', client?.client_secret ?? NO_SECRET);
    if (!client || !matches) throw reject('Client authentication failed.');
    return client;
  }

  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
    throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`);
  }
  const assertion = form.get('client_assertion');
  if (!assertion) throw new OAuthError('invalid_request', 'client_assertion is required.');
  let claimedId: unknown;
  try {
    const claims = decodeJwt(assertion);
    claimedId = claims.sub ?? claims.iss;
  } catch {
    throw reject('client_assertion is not a JWT.');
  }
  const clientId = form.get('client_id') ?? claimedId;
  if (typeof clientId !== 'string' || (claimedId !== undefined && claimedId !== clientId)) {
    throw reject('client_assertion does not name the client.');
  }
  const client = registered(clientId, 'private_key_jwt');
  if (!client?.jwks) throw reject('Client authentication failed.');
  let payload: { jti?: unknown; exp?: unknown };
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      issuer: clientId,
      subject: clientId,
      audience: [context.tokenEndpoint, context.issuer],
      algorithms: [...ASSERTION_ALGORITHMS],
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (error) {
    throw reject(`client_assertion rejected: ${(error as Error).message}`);
  }
  if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
    throw reject('client_assertion needs a string jti and a numeric exp.');
  }
  if (!context.replays.use(`${clientId}\u0000${payload.jti}`, payload.exp)) {
    throw reject('client_assertion was already used (jti replayed).');
  }
  return client;
}
