/** True for `localhost`, `127.0.0.0/8` and `::1` (the hosts where plain `http:` is allowed). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return (
    /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host) && host.split('.').every((o) => Number(o) <= 255)
  );
}

/**
 * The one transport rule for everything scopeguard trusts (issuer, `jwks_uri`, every URL a fetch is sent
 * to): `https:`, or plain `http:` only on a loopback host (development and tests). Always judged on a
 * parsed `URL`, never on the text: `HTTPS://`, ` https://` and `ht\ttps://` are all `https:` once parsed.
 */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Why a redirect from `from` to `to` must not be followed, or `undefined` when it may be. Checked for each
 * hop before anything is sent to it: never to a scheme other than `http:`/`https:`, never from `https:` to
 * `http:` (a TLS downgrade, even to a loopback host), never from a loopback host to another host (a local
 * development endpoint must not hand key trust to the network), and never to plain `http:` off loopback.
 */
export function redirectRefusal(from: URL, to: URL): string | undefined {
  if (to.protocol !== 'https:' && to.protocol !== 'http:') {
    return `${to.protocol} is not http: or https:`;
  }
  if (from.protocol === 'https:' && to.protocol !== 'https:') {
    return 'a redirect from https: to http: would drop TLS';
  }
  if (isLoopbackHost(from.hostname) && !isLoopbackHost(to.hostname)) {
    return 'a loopback URL may only redirect to a loopback host';
  }
  if (!isSecureOrLoopback(to)) return 'plain http: is allowed only on a loopback host';
  return undefined;
}
