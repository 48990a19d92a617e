import type { DevClient } from './dev-clients.js';
import { OAuthError } from './oauth-error.js';

/**
 * Decides the scopes of a client-credentials grant: the requested ones (space-delimited) when all are
 * allowed to the client, its default scopes when none are requested. Throws `invalid_scope` otherwise.
 */
export function grantScopes(client: DevClient, requested: string | null): string[] {
  const wanted = [...new Set((requested ?? '').split(' ').filter((scope) => scope !== ''))];
  if (wanted.length === 0) {
    if (client.default_scopes.length === 0) {
      throw new OAuthError('invalid_scope', 'No scope was requested and the client has no default scopes.');
    }
    return [...client.default_scopes];
  }
  const refused = wanted.filter((scope) => !client.scopes.includes(scope));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `The client may not request: ${refused.join(' ')}.`);
  }
  return wanted;
}
