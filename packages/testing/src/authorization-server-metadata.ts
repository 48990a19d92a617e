import { ASSERTION_ALGORITHMS } from './dev-server/authenticate-client.js';
import type { SigningAlgorithm } from './signing-key.js';

/** Endpoints and capabilities an issuer's metadata describes. */
export interface MetadataInput {
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  tokenEndpointAuthMethods: readonly string[];
  signingAlgorithms: readonly SigningAlgorithm[];
  scopes?: readonly string[];
}

/**
 * Builds an RFC 8414 authorization server metadata document shaped like an Okta custom authorization
 * server's (client-credentials only, so no authorization endpoint is advertised).
 */
export function buildAuthorizationServerMetadata(input: MetadataInput): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    issuer: input.issuer,
    token_endpoint: input.tokenEndpoint,
    jwks_uri: input.jwksUri,
    response_types_supported: [],
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: [...input.tokenEndpointAuthMethods],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...input.signingAlgorithms],
  };
  if (input.tokenEndpointAuthMethods.includes('private_key_jwt')) {
    metadata['token_endpoint_auth_signing_alg_values_supported'] = [...ASSERTION_ALGORITHMS];
  }
  if (input.scopes) metadata['scopes_supported'] = [...input.scopes];
  return metadata;
}
