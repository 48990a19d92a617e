/** Client credentials carried in an `Authorization: Basic` header. */
export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Parses `Basic base64(urlencode(client_id) ":" urlencode(client_secret))` per RFC 6749 §2.3.1.
 * Returns `null` when the header is not Basic or is malformed.
 */
export function parseBasicCredentials(authorization: string): BasicCredentials | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    return clientId === '' ? null : { clientId, clientSecret };
  } catch {
    return null;
  }
}
