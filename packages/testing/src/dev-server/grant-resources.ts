import { type DevClient, isResourceIndicator } from './dev-clients.js';
import { OAuthError } from './oauth-error.js';

/**
 * Decides the audience of a token from the request's `resource` parameters (RFC 8707 §2; one or more,
 * repeated): none → the server's default `audience`; otherwise each must be an absolute URI without
 * fragment and one this client may use (listed in its `resources`, or the default audience itself), and
 * the token's `aud` is that resource (an array for several). Anything else is refused with
 * `invalid_target` (HTTP 400): "the requested resource is invalid, missing, unknown, or malformed".
 */
export function grantAudience(
  client: DevClient,
  requested: readonly string[],
  defaultAudience: string,
): string | string[] {
  if (requested.length === 0) return defaultAudience;
  const resources = [...new Set(requested)];
  for (const resource of resources) {
    if (!isResourceIndicator(resource)) {
      throw new OAuthError(
        'invalid_target',
        'The resource parameter must be an absolute URI without a fragment (RFC 8707).',
      );
    }
    if (resource !== defaultAudience && !(client.resources ?? []).includes(resource)) {
      throw new OAuthError('invalid_target', `The client may not request a token for ${resource}.`);
    }
  }
  return resources.length === 1 ? (resources[0] as string) : resources;
}
