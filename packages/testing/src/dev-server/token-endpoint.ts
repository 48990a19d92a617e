import type { AccessTokenProfile } from '../access-token.js';
import type { TestIssuer } from '../create-test-issuer.js';
import { authenticateClient } from './authenticate-client.js';
import type { DevClient } from './dev-clients.js';
import { checkTokenEndpointProof } from './dpop-proof.js';
import { grantAudience } from './grant-resources.js';
import { grantScopes } from './grant-scopes.js';
import { OAuthError } from './oauth-error.js';
import { ReplayCache } from './replay-cache.js';

/** Configuration of the token endpoint. */
export interface TokenEndpointConfig {
  clients: readonly DevClient[];
  /** Lifetime of issued tokens in seconds. */
  tokenLifetime: number;
  /** Shape of issued tokens. */
  profile: AccessTokenProfile;
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const contentType = request.headers.get('content-type') ?? '';
  if (contentType.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded.');
  }
  const form = new URLSearchParams(await request.text());
  for (const name of new Set(form.keys())) {
    // RFC 8707 §2: `resource` may be repeated, to ask for a token usable at several resources.
    if (name !== 'resource' && form.getAll(name).length > 1)
      throw new OAuthError('invalid_request', `Parameter ${name} is repeated.`);
  }
  return form;
}

/**
 * Builds the handler of `POST ${issuer}/v1/token`: the client-credentials grant (RFC 6749 §4.4) with client
 * authentication, scope decisions and RFC 6749 §5.1/§5.2 responses; tokens are minted by the issuer.
 * Resource indicators (RFC 8707): each `resource` parameter the client may use goes into `aud`; another
 * one is refused with `invalid_target`.
 * With a valid `DPoP` proof (RFC 9449 §5) the token is DPoP-bound: `cnf.jkt` is the proof key's
 * thumbprint and `token_type` is `DPoP`; an invalid proof is refused with 400 `invalid_dpop_proof`.
 */
export function createTokenEndpoint(
  config: TokenEndpointConfig,
): (request: Request, issuer: TestIssuer) => Promise<Response> {
  const clients = new Map(config.clients.map((client) => [client.client_id, client]));
  const replays = new ReplayCache();
  return async (request, issuer) => {
    try {
      const form = await readForm(request);
      const grantType = form.get('grant_type');
      if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
      if (grantType !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported.`);
      }
      const client = await authenticateClient(
        { authorization: request.headers.get('authorization'), form },
        { clients, issuer: issuer.issuer, tokenEndpoint: issuer.tokenEndpoint, replays },
      );
      if (!client.grant_types.includes(grantType)) {
        throw new OAuthError('unauthorized_client', `The client may not use the ${grantType} grant.`);
      }
      const scopes = grantScopes(client, form.get('scope'));
      const aud = grantAudience(client, form.getAll('resource'), issuer.audience);
      const proof = request.headers.get('dpop');
      const jkt =
        proof === null
          ? undefined
          : await checkTokenEndpointProof(proof, { tokenEndpoint: issuer.tokenEndpoint, replays });
      const clientClaim = config.profile === 'rfc9068' ? 'client_id' : 'cid';
      const accessToken = await issuer.mint(
        { [clientClaim]: client.client_id, aud, ...(jkt === undefined ? {} : { cnf: { jkt } }) },
        { scopes, expiresIn: config.tokenLifetime, profile: config.profile },
      );
      const body = {
        access_token: accessToken,
        token_type: jkt === undefined ? 'Bearer' : 'DPoP',
        expires_in: config.tokenLifetime,
        scope: scopes.join(' '),
      };
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
      });
    } catch (error) {
      if (error instanceof OAuthError) return error.toResponse();
      throw error;
    }
  };
}
