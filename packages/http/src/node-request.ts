import type { ClientCertificate } from '@scopeguard/core';
import type { HeaderValue, HttpRequest } from './types.js';

/**
 * The parts of a Node.js `IncomingMessage` the view reads. Express and Koa requests are (or wrap)
 * one; Fastify's `request.raw` and Nest's underlying requests too.
 */
export interface NodeRequestLike {
  method?: string | undefined;
  url?: string | undefined;
  /** Express's untouched request target (preferred over `url`, which routers rewrite). */
  originalUrl?: string | undefined;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Node's `[name, value, name, value, …]` as received: the only place a repeated `Authorization` is visible. */
  rawHeaders?: readonly string[] | undefined;
  /** A parsed body, where a body parser put one. */
  body?: unknown;
  /**
   * The connection: a `tls.TLSSocket` (`encrypted: true`, see {@link NodeSocketLike}) has the client
   * certificate of mutual TLS. Typed as any object so that a plain `net.Socket` fits too.
   */
  socket?: object | null | undefined;
}

/** The parts of a `net.Socket` / `tls.TLSSocket` the view reads (RFC 8705 client certificates). */
export interface NodeSocketLike {
  /** True on a TLS socket. */
  readonly encrypted?: boolean | undefined;
  /** `tls.TLSSocket.getPeerCertificate`: `{}` when the client sent no certificate. */
  getPeerCertificate?: ((detailed?: boolean) => unknown) | undefined;
}

/** What an adapter knows beyond the Node request itself. */
export interface NodeRequestExtras {
  /** The request's absolute URL, from configuration or a trusted proxy setting. */
  url?: string | undefined;
  /** The parsed body, when the framework keeps it elsewhere (Fastify's `request.body`). */
  body?: unknown;
  /** The client certificate, when the adapter has it from elsewhere than `req.socket`. */
  clientCertificate?: ClientCertificate;
}

/** `a` equals `lower` (already lower case) ignoring ASCII case, without allocating. */
function sameName(a: string, lower: string): boolean {
  if (a.length !== lower.length) return false;
  for (let i = 0; i < a.length; i++) {
    let code = a.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}

class NodeRequestView implements HttpRequest {
  readonly #req: NodeRequestLike;
  readonly #extras: NodeRequestExtras | undefined;

  constructor(req: NodeRequestLike, extras: NodeRequestExtras | undefined) {
    this.#req = req;
    this.#extras = extras;
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  get target(): string {
    return this.#req.originalUrl ?? this.#req.url ?? '/';
  }

  get url(): string | undefined {
    return this.#extras?.url;
  }

  get body(): unknown {
    const extras = this.#extras;
    return extras !== undefined && 'body' in extras ? extras.body : this.#req.body;
  }

  get clientCertificate(): ClientCertificate {
    const extras = this.#extras;
    if (extras !== undefined && 'clientCertificate' in extras) return extras.clientCertificate;
    const socket = this.#req.socket as NodeSocketLike | null | undefined;
    if (socket?.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
    const peer = socket.getPeerCertificate(true) as { raw?: unknown } | null | undefined;
    // `{}` (no certificate) has no `raw`: no certificate.
    return peer !== null && typeof peer === 'object' && peer.raw instanceof Uint8Array
      ? (peer as { raw: Uint8Array })
      : undefined;
  }

  header(name: string): HeaderValue {
    const raw = this.#req.rawHeaders;
    // Without rawHeaders (a hand-made request object), Node's parsed headers are all there is.
    if (raw === undefined) return this.#req.headers[name];
    let first: string | undefined;
    let all: string[] | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!sameName(raw[i] as string, name)) continue;
      const value = raw[i + 1] as string;
      if (first === undefined) first = value;
      else if (all === undefined) all = [first, value];
      else all.push(value);
    }
    return all ?? first;
  }
}

/**
 * Describes a Node.js request for the layer, without copying anything: headers are read from
 * `rawHeaders` on demand, so a repeated header is seen as a list (`req.headers` keeps only the first
 * `Authorization`; RFC 9110 §5.3), and only the headers a rule reads are looked at.
 */
export function nodeRequest(req: NodeRequestLike, extras?: NodeRequestExtras): HttpRequest {
  return new NodeRequestView(req, extras);
}
