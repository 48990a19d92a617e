import { REDACT_KEEP, redact } from './redact.js';

/** Quotes one shell word with single quotes (POSIX sh), escaping embedded quotes. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** How the client authenticates at the token endpoint, as shown in a curl line (never the secret itself). */
export type CurlClientAuth =
  | { method: 'client_secret_basic'; clientId: string; clientSecret: string }
  | { method: 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'private_key_jwt'; clientId: string; clientAssertion?: string };

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B: space as `+`). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function formData(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/**
 * The `curl` equivalent of a Client Credentials token request, formatted the way Okta's guides show
 * it, with the client secret (or the Basic credentials, or the client assertion) redacted.
 *
 * @example
 * tokenRequestCurl('https://example.okta.com/oauth2/default/v1/token', auth, 'customScope')
 * // curl --request POST --url https://example.okta.com/oauth2/default/v1/token \
 * //   --header 'accept: application/json' --header 'authorization: Basic MG9hM2Fi…' ...
 */
export function tokenRequestCurl(tokenEndpoint: string, auth: CurlClientAuth, scope?: string): string {
  const pairs: [string, string][] = [['grant_type', 'client_credentials']];
  if (scope !== undefined && scope !== '') pairs.push(['scope', formEncode(scope)]);
  const lines = [
    'curl --request POST',
    `  --url ${shellQuote(tokenEndpoint)}`,
    `  --header ${shellQuote('accept: application/json')}`,
  ];
  switch (auth.method) {
    case 'client_secret_basic': {
      // RFC 6749 §2.3.1: each part is form-encoded before base64. Only base64 characters that
      // encode the client id alone are shown: not one bit of the secret.
      const id = formEncode(auth.clientId);
      const basic = Buffer.from(`${id}:${formEncode(auth.clientSecret)}`).toString('base64');
      const keep = Math.min(REDACT_KEEP, Math.floor(Buffer.byteLength(id) / 3) * 4);
      lines.push(`  --header ${shellQuote(`authorization: Basic ${basic.slice(0, keep)}…`)}`);
      break;
    }
    case 'client_secret_post':
      pairs.push(['client_id', formEncode(auth.clientId)], ['client_secret', redact(auth.clientSecret)]);
      break;
    case 'private_key_jwt':
      pairs.push(
        ['client_id', formEncode(auth.clientId)],
        ['client_assertion_type', formEncode('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')],
        [
          'client_assertion',
          auth.clientAssertion === undefined ? '<signed JWT>' : redact(auth.clientAssertion),
        ],
      );
      break;
  }
  lines.push(
    `  --header ${shellQuote('content-type: application/x-www-form-urlencoded')}`,
    `  --data ${shellQuote(formData(pairs))}`,
  );
  return lines.join(' \\\n');
}

/** What {@link apiRequestCurl} prints. */
export interface CurlApiRequest {
  method: string;
  url: string;
  /** Access token; printed redacted. */
  token?: string | undefined;
  /** How the token is sent: `Bearer` (default) or `DPoP` (RFC 9449). */
  scheme?: 'Bearer' | 'DPoP' | undefined;
  /** The `DPoP` proof header, if any; printed redacted. */
  dpop?: string | undefined;
  /** JSON body, if any. */
  body?: unknown;
}

/** The `curl` equivalent of a call to the API, with the access token and the DPoP proof redacted. */
export function apiRequestCurl(request: CurlApiRequest): string {
  const lines = [`curl --request ${request.method}`, `  --url ${shellQuote(request.url)}`];
  lines.push(`  --header ${shellQuote('accept: application/json')}`);
  if (request.token !== undefined) {
    lines.push(
      `  --header ${shellQuote(`authorization: ${request.scheme ?? 'Bearer'} ${redact(request.token)}`)}`,
    );
  }
  if (request.dpop !== undefined) lines.push(`  --header ${shellQuote(`dpop: ${redact(request.dpop)}`)}`);
  if (request.body !== undefined) {
    lines.push(
      `  --header ${shellQuote('content-type: application/json')}`,
      `  --data ${shellQuote(JSON.stringify(request.body))}`,
    );
  }
  return lines.join(' \\\n');
}
