import type { DevClient } from '@scopeguard/testing';
import { shellQuote } from './text.js';

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** What to show for a client's credentials in its `curl` line. */
export type SecretDisplay = 'print' | 'placeholder';

/**
 * A ready `curl` (one line) asking the dev token endpoint for a client-credentials token as `client`,
 * with its default scopes. `secrets: 'print'` writes the client's secret (only for clients from the
 * user's own dev clients file, or generated for this run); otherwise `$CLIENT_SECRET`. A
 * `private_key_jwt` client gets a placeholder for its signed assertion: its private key is never here.
 */
export function tokenCurl(tokenEndpoint: string, client: DevClient, secrets: SecretDisplay): string {
  const words = ['curl', '--silent', '--request', 'POST', '--url', shellQuote(tokenEndpoint)];
  const data = ['grant_type=client_credentials'];
  if (client.default_scopes.length > 0) data.push(`scope=${formEncode(client.default_scopes.join(' '))}`);
  const secret =
    secrets === 'print' && client.client_secret !== undefined ? client.client_secret : '$CLIENT_SECRET';
  // The placeholder is left to the shell to expand: `--user id:"$CLIENT_SECRET"`.
  const withSecret = (prefix: string) =>
    secret === '$CLIENT_SECRET' ? `${shellQuote(prefix)}"$CLIENT_SECRET"` : shellQuote(`${prefix}${secret}`);
  switch (client.token_endpoint_auth_method) {
    case 'client_secret_basic': {
      // RFC 6749 §2.3.1: id and secret are form-encoded before Basic; curl's --user does not encode.
      const id = formEncode(client.client_id);
      // With the placeholder the Basic value cannot be precomputed: --user it is.
      const plain = secret === '$CLIENT_SECRET' || (id === client.client_id && formEncode(secret) === secret);
      if (plain) {
        words.push('--user', withSecret(`${client.client_id}:`));
      } else {
        const basic = Buffer.from(`${id}:${formEncode(secret)}`).toString('base64');
        words.push('--header', shellQuote(`authorization: Basic ${basic}`));
      }
      break;
    }
    case 'client_secret_post':
      data.push(`client_id=${formEncode(client.client_id)}`);
      words.push('--data', shellQuote(data.join('&')));
      words.push('--data-urlencode', withSecret('client_secret='));
      return words.join(' ');
    case 'private_key_jwt':
      data.push(
        `client_id=${formEncode(client.client_id)}`,
        `client_assertion_type=${formEncode('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}`,
      );
      words.push('--data', shellQuote(data.join('&')));
      words.push('--data', '"client_assertion=$CLIENT_ASSERTION"');
      return words.join(' ');
  }
  words.push('--data', shellQuote(data.join('&')));
  return words.join(' ');
}
