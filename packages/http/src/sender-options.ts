import {
  type Algorithm,
  ConfigError,
  createDpopNonces,
  createDpopVerifier,
  type DpopNonceOptions,
  type DpopVerifier,
  type ReplayStore,
} from '@scopeguard/core';

/**
 * The options of sender-constrained tokens at the HTTP layer (DPoP, RFC 9449; mutual-TLS binding,
 * RFC 8705), resolved once per guard: the DPoP proof checker (with its replay store and nonces) is built
 * here, at startup, so that every request of one guard shares them.
 */

/** `dpop` as an object: the mode plus the proof check's settings. */
export interface DpopSettings {
  /** `'allowed'`: Bearer and DPoP; `'required'`: DPoP only. */
  mode: 'allowed' | 'required';
  /** Proof algorithms (asymmetric only). Default the core's `DEFAULT_DPOP_ALGORITHMS` (ES256 first). */
  algorithms?: readonly Algorithm[];
  /** Seconds a proof stays acceptable after its `iat` (RFC 9449 §11.1). Default `DPOP_DEFAULTS.maxAge` (60). */
  maxProofAge?: number;
  /** Seconds of clock leeway on `iat`, both ways. Default `DPOP_DEFAULTS.clockTolerance` (5). */
  clockTolerance?: number;
  /**
   * Server nonces (RFC 9449 §9), stateless (HMAC over a time window): give every instance the same
   * `secret` (at least 32 bytes). Off by default. When on, a proof without the current nonce is refused
   * with 401 `use_dpop_nonce` and a `DPoP-Nonce` header, and a fresh nonce rides on every DPoP 200.
   */
  nonce?: DpopNonceOptions;
  /**
   * Where accepted proofs are remembered (each is accepted once, RFC 9449 §11.1). Default: a bounded
   * in-memory store per guard (one process). Behind a load balancer use a shared one
   * (`createRedisReplayStore` from `@scopeguard/redis`). A store that cannot answer means 503, never an accept.
   */
  replayStore?: ReplayStore;
}

/** The `dpop` option: `false` (default), `'allowed'`, `'required'`, or {@link DpopSettings}. */
export type DpopOption = false | 'allowed' | 'required' | DpopSettings;

/**
 * The `clientCertificate` option: where a certificate-bound token's client certificate comes from.
 * - `'socket'` (default): the TLS connection's peer certificate (`nodeRequest` reads
 *   `socket.getPeerCertificate(true)`); fetch-style adapters have none.
 * - `false`: nowhere; certificate-bound tokens are then always refused.
 * - `{ header, encoding }`: a header set by a TLS-terminating proxy. **Only behind a proxy you trust that
 *   overwrites (or strips) the header on every request**: otherwise any caller can claim any certificate.
 *   `encoding` is `'pem-urlencoded'` (default; nginx `$ssl_client_escaped_cert`, AWS ALB) or `'base64-der'`
 *   (the DER bytes in base64, also as an RFC 9440 `:…:` byte sequence).
 */
export type ClientCertificateOption =
  | 'socket'
  | false
  | { header: string; encoding?: 'pem-urlencoded' | 'base64-der' };

/** Where the client certificate is read, resolved. */
export type CertificateSource =
  | { readonly kind: 'socket' }
  | { readonly kind: 'none' }
  | { readonly kind: 'header'; readonly header: string; readonly encoding: 'pem-urlencoded' | 'base64-der' };

/** The sender-constraint part of the resolved settings. */
export interface SenderConstraintSettings {
  /** `'off'`: Bearer only; `'allowed'`: both schemes; `'required'`: DPoP only. */
  readonly mode: 'off' | 'allowed' | 'required';
  /** The proof checker, when DPoP is on. */
  readonly dpop: DpopVerifier | undefined;
  /** The origin `htu` is built from (`publicOrigin`, or the origin of `resource`), when DPoP is on. */
  readonly origin: string | undefined;
  /** The `algs` of the `DPoP` challenge: the allowed algorithms, space-separated. */
  readonly algs: string;
  /** Where a client certificate comes from. */
  readonly certificate: CertificateSource;
}

/** The defaults: DPoP off, certificates from the socket. */
export const DEFAULT_SENDER_CONSTRAINTS: SenderConstraintSettings = Object.freeze({
  mode: 'off',
  dpop: undefined,
  origin: undefined,
  algs: '',
  certificate: Object.freeze({ kind: 'socket' }),
});

/** The options it reads: the layer's own, and where a `resource` may be found. */
interface SenderOptionSource {
  dpop?: unknown;
  publicOrigin?: unknown;
  clientCertificate?: unknown;
  resource?: unknown;
  verifier?: unknown;
}

/** `https://host[:port]` (or `http:`), with nothing after it but an optional `/`. */
function checkOrigin(value: unknown): string {
  if (typeof value !== 'string') {
    throw new ConfigError(
      'publicOrigin',
      `must be a string such as "https://api.example.com", found ${typeof value}`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      'publicOrigin',
      'must be an absolute http(s) origin such as "https://api.example.com"',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('publicOrigin', `must be an http(s) origin, found the scheme ${url.protocol}`);
  }
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.pathname !== '/'
  ) {
    throw new ConfigError(
      'publicOrigin',
      'must be an origin only (scheme, host, port): no path, query, fragment or user info',
    );
  }
  return url.origin;
}

function resourceOf(options: SenderOptionSource): string | undefined {
  if (typeof options.resource === 'string') return options.resource;
  const verifier = options.verifier as { resource?: unknown } | undefined;
  if (typeof verifier === 'object' && verifier !== null && typeof verifier.resource === 'string') {
    return verifier.resource;
  }
  return undefined;
}

function dpopSettings(value: unknown): DpopSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === 'allowed' || value === 'required') return { mode: value };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const mode = (value as { mode?: unknown }).mode;
    if (mode === 'allowed' || mode === 'required') return value as DpopSettings;
    throw new ConfigError('dpop.mode', `must be "allowed" or "required", found ${JSON.stringify(mode)}`);
  }
  throw new ConfigError('dpop', 'must be false, "allowed", "required" or { mode, ... }');
}

function certificateSource(value: unknown): CertificateSource {
  if (value === undefined || value === 'socket') return DEFAULT_SENDER_CONSTRAINTS.certificate;
  if (value === false) return Object.freeze({ kind: 'none' });
  if (typeof value === 'object' && value !== null) {
    const { header, encoding = 'pem-urlencoded' } = value as { header?: unknown; encoding?: unknown };
    if (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) {
      throw new ConfigError('clientCertificate.header', 'must be a header name, e.g. "x-client-cert"');
    }
    if (encoding !== 'pem-urlencoded' && encoding !== 'base64-der') {
      throw new ConfigError('clientCertificate.encoding', 'must be "pem-urlencoded" or "base64-der"');
    }
    return Object.freeze({ kind: 'header', header: header.toLowerCase(), encoding });
  }
  throw new ConfigError('clientCertificate', 'must be "socket", false, or { header, encoding }');
}

/**
 * Resolves `dpop`, `publicOrigin` and `clientCertificate` over `base` (what an earlier resolution gave:
 * options that do not mention them keep base's, and so share its replay store). Throws `ConfigError` at
 * startup for a bad value, and when DPoP is on but neither `publicOrigin` nor a `resource` says which URI
 * the proofs' `htu` must name (it is never taken from the request's `Host`).
 */
export function resolveSenderConstraints(
  options: SenderOptionSource,
  base: SenderConstraintSettings = DEFAULT_SENDER_CONSTRAINTS,
): SenderConstraintSettings {
  const certificate =
    options.clientCertificate === undefined ? base.certificate : certificateSource(options.clientCertificate);
  if (options.dpop === undefined) {
    // Not mentioned: base's checker (and replay store) stays; a new publicOrigin applies to it.
    let origin = base.origin;
    if (options.publicOrigin !== undefined) {
      const checked = checkOrigin(options.publicOrigin);
      if (base.mode !== 'off') origin = checked;
    }
    if (origin === base.origin && certificate === base.certificate) return base;
    return Object.freeze({ ...base, origin, certificate });
  }
  const settings = dpopSettings(options.dpop);
  if (settings === undefined) {
    if (options.publicOrigin !== undefined) checkOrigin(options.publicOrigin);
    return Object.freeze({ ...DEFAULT_SENDER_CONSTRAINTS, certificate });
  }
  let origin: string | undefined;
  if (options.publicOrigin !== undefined) origin = checkOrigin(options.publicOrigin);
  else {
    const resource = resourceOf(options);
    if (resource !== undefined) origin = new URL(resource).origin;
  }
  if (origin === undefined) {
    throw new ConfigError(
      'publicOrigin',
      'is required with dpop: set publicOrigin (e.g. "https://api.example.com") or the verifier\'s resource, so that ' +
        "a DPoP proof's htu is checked against this API's own URI (never the request's Host header)",
    );
  }
  const dpop = createDpopVerifier({
    ...(settings.algorithms === undefined ? {} : { algorithms: settings.algorithms }),
    ...(settings.maxProofAge === undefined ? {} : { maxAge: settings.maxProofAge }),
    ...(settings.clockTolerance === undefined ? {} : { clockTolerance: settings.clockTolerance }),
    ...(settings.replayStore === undefined ? {} : { replayStore: settings.replayStore }),
    ...(settings.nonce === undefined ? {} : { nonces: createDpopNonces(settings.nonce) }),
  });
  return Object.freeze({
    mode: settings.mode,
    dpop,
    origin,
    algs: dpop.algorithms.join(' '),
    certificate,
  });
}
