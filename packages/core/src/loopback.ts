/** True for `localhost`, `127.0.0.0/8` and `::1` (the hosts where plain `http:` is allowed). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return (
    /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host) && host.split('.').every((o) => Number(o) <= 255)
  );
}

/**
 * The one transport rule for everything scopeguard trusts (issuer, `jwks_uri`, where a fetch ends up):
 * `https:`, or plain `http:` only on a loopback host (development and tests).
 */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
