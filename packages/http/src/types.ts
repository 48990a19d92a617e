import type {
  ClientCertificate,
  SenderConstraintErrorCode,
  TokenErrorCode,
  VerifiedToken,
} from '@scopeguard/core';
import type { ResourceMetadataOption } from './resource-metadata.js';
import type { ClientCertificateOption, DpopOption } from './sender-options.js';

/**
 * What a successful authentication yields: the verified token (claims, header, scopes, client id,
 * subject, expiry, and `issuer`: the trusted issuer it was verified for, which tells several issuers
 * apart) plus the raw bearer string it came from. Adapters expose it as `req.auth`, `request.auth`,
 * `ctx.state.auth`, `c.get('auth')`, ….
 */
export interface AuthInfo extends VerifiedToken {
  /** The raw access token, as the client sent it (for forwarding to downstream APIs; never log it). */
  readonly token: string;
  /**
   * How it was presented: `Bearer` (RFC 6750), or `DPoP` (RFC 9449: with a proof this layer verified). A
   * `DPoP` token forwarded downstream needs a fresh proof of its own. Always set by this layer (optional
   * in the type only so that hand-made `AuthInfo` values in tests keep compiling).
   */
  readonly scheme?: 'Bearer' | 'DPoP';
}

/**
 * The values of one request header: a list with one entry per field line received (so that a
 * repeated header is visible), or a plain string for a header received once, or `undefined` (or an
 * empty list) when it is absent. A source that can only give one comma-joined value (WHATWG
 * `Headers.get`) passes that string: the parsers refuse the joined form of a repeated `Authorization`.
 */
export type HeaderValue = string | readonly string[] | undefined;

/**
 * A plain description of an HTTP request, as an adapter sees it. The layer reads only what a rule
 * needs, and only when it needs it: adapters may implement the members as getters over their own
 * request object (see `nodeRequest`), so nothing is copied per request.
 *
 * Later rules read more of it without breaking adapters: DPoP (RFC 9449) reads `method`, `url` and the
 * `dpop` header; certificate-bound tokens (RFC 8705) will read an optional client certificate member.
 */
export interface HttpRequest {
  /** The request method as received, e.g. `GET`. */
  readonly method: string;
  /** The request target as received (`/path?query`, or an absolute URL); its query is read only when `allowQueryToken` is on. */
  readonly target: string;
  /**
   * The absolute URL of the request as the adapter knows it from configuration or a trusted proxy
   * setting (never built from `Host` alone). Optional today; read by the DPoP `htu` check later.
   */
  readonly url?: string | undefined;
  /** The values of the header named `name` (lower case), see {@link HeaderValue}. */
  header(name: string): HeaderValue;
  /** A parsed form body (an object of fields); read only when `allowBodyToken` is on. */
  readonly body?: unknown;
  /**
   * The client certificate of a mutual-TLS connection (RFC 8705), read only for a certificate-bound token
   * with `clientCertificate: 'socket'`: `nodeRequest` gives `socket.getPeerCertificate(true)` when the
   * socket is TLS. Undefined (or `{}`) when there is none.
   */
  readonly clientCertificate?: ClientCertificate;
}

/** The `error` value of a failure response body (and, where RFC 6750 defines it, of the challenge). */
export type AuthErrorCode =
  /** No bearer token at all (the challenge then carries no error code, per RFC 6750 §3.1). */
  | 'unauthorized'
  /** Malformed request: bad `Authorization` header, a repeated one, or a token sent by more than one method. */
  | 'invalid_request'
  /** The token was refused (expired, bad signature, wrong audience, …). */
  | 'invalid_token'
  /** The token is valid but lacks a required scope. */
  | 'insufficient_scope'
  /** The issuer's keys (or the DPoP replay store) could not be reached: the request could not be checked at all. */
  | 'temporarily_unavailable'
  /** The DPoP proof was refused (RFC 9449 §7.1; sent in the `DPoP` challenge). */
  | 'invalid_dpop_proof'
  /** The DPoP proof lacks the server's current nonce; a `DPoP-Nonce` header carries it (RFC 9449 §9). */
  | 'use_dpop_nonce';

/**
 * A refused request, as the layer is about to answer it. Status, `WWW-Authenticate` and
 * `Retry-After` are derived from it; `errorBody` may only change the body.
 */
export interface AuthFailure {
  /** 400 malformed request, 401 no or bad token, 403 missing scope, 503 keys unavailable. */
  readonly status: 400 | 401 | 403 | 503;
  /** The error code of the body (and of the `WWW-Authenticate` challenge for 400/401/403). */
  readonly error: AuthErrorCode;
  /**
   * A short explanation restricted to the characters RFC 6750 allows. It says what is wrong with the
   * token or the request, never this API's configuration (unless `exposeErrorDetails` is on).
   */
  readonly description: string;
  /** The core's reason, when the failure came from a `TokenError` or a `SenderConstraintError`. */
  readonly code?: TokenErrorCode | SenderConstraintErrorCode | undefined;
  /**
   * The scheme the request used, when it matters for the challenge: with DPoP on, the error goes in the
   * `DPoP` challenge for `'DPoP'` and in the `Bearer` one otherwise (RFC 9449 §7.1).
   */
  readonly scheme?: 'Bearer' | 'DPoP' | undefined;
  /** For `use_dpop_nonce`: the nonce sent in `DPoP-Nonce` (RFC 9449 §9). */
  readonly dpopNonce?: string | undefined;
  /** For 403: the scopes the route requires (the challenge's `scope` attribute). */
  readonly requiredScopes?: readonly string[] | undefined;
  /** For 503: seconds sent in `Retry-After`. */
  readonly retryAfter?: number | undefined;
  /** The underlying error (a `TokenError`), if any, with the full story. Never send it to the client as is. */
  readonly cause?: unknown;
}

/**
 * Shapes the body of a failure response. Status and headers are set by the layer and cannot be
 * changed here. Return an object (sent as JSON), a string (sent as `text/plain`), `null` (empty
 * body) or `undefined` (the default `{ error, error_description }` JSON body). `request` is the
 * adapter's own request object (Express's `req`, Fastify's `request`, a WHATWG `Request`, …).
 */
export type ErrorBodyFormatter<R = unknown> = (failure: AuthFailure, request: R) => unknown;

/** Options of the HTTP layer, which every adapter accepts next to the verifier's options. */
export interface HttpOptions<R = unknown> {
  /**
   * When true, a request without any bearer token continues without `auth`. A token that is present
   * but malformed or invalid is still refused. Default false.
   */
  optional?: boolean;
  /** The `realm` of the `WWW-Authenticate` challenge. Default `"api"`. No `"` or `\` allowed. */
  realm?: string;
  /** Shapes failure bodies; see {@link ErrorBodyFormatter}. */
  errorBody?: ErrorBodyFormatter<R>;
  /**
   * Also accept the token in the `access_token` query parameter (RFC 6750 §2.3, discouraged).
   * Default false: the parameter is then ignored.
   */
  allowQueryToken?: boolean;
  /**
   * Also accept the token in an `application/x-www-form-urlencoded` body's `access_token` field
   * (RFC 6750 §2.2; the adapter must hand over a parsed body). Default false.
   */
  allowBodyToken?: boolean;
  /** Seconds sent in `Retry-After` when the issuer's keys cannot be fetched (503). Default 10. */
  retryAfter?: number;
  /**
   * For development only: put the verifier's full reason (`TokenError.message`, which names expected
   * audiences, issuers, client ids, algorithms, key URLs) in `error_description`. Default false: a
   * caller is told what is wrong with its token, never this API's configuration.
   */
  exposeErrorDetails?: boolean;
  /**
   * RFC 9728 protected resource metadata: the document the adapter serves at
   * `/.well-known/oauth-protected-resource<path of resource>`, and `resource_metadata="<url>"` on every
   * `Bearer` challenge. On by default when the verifier has a `resource`; `false` turns it off; an object
   * chooses what the document advertises (see `ResourceMetadataOptions`).
   */
  resourceMetadata?: ResourceMetadataOption;
  /**
   * DPoP (RFC 9449): `false` (default: only Bearer, though a DPoP-bound token sent as Bearer is still
   * refused), `'allowed'` (Bearer and DPoP), `'required'` (DPoP only), or an object with `mode` and the
   * proof check's settings. See `DpopOption`.
   */
  dpop?: DpopOption;
  /**
   * The API's public origin (`https://api.example.com`), used to build the URI a DPoP proof's `htu` must
   * name: this origin plus the request path. Default: the origin of the verifier's `resource`. Never taken
   * from `Host` or `X-Forwarded-*`.
   */
  publicOrigin?: string;
  /**
   * Where the client certificate of a certificate-bound token (RFC 8705) comes from: `'socket'` (default;
   * the TLS connection), `false` (nowhere: such tokens are refused), or a header set by a TLS-terminating
   * proxy you trust (`{ header, encoding }`; only behind a proxy that overwrites it). See `ClientCertificateOption`.
   */
  clientCertificate?: ClientCertificateOption;
}

/**
 * Response headers, by name. `WWW-Authenticate` is a list with one entry per challenge (today one,
 * `Bearer …`; with DPoP enabled later, `Bearer …` and `DPoP …`), which an adapter sends as separate
 * field lines (Node's `setHeader(name, list)`, `Headers.append`) or joined with `", "`.
 */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[]>>;

/** A ready answer to a refused request. */
export interface HttpAnswer {
  /** The status to send. */
  readonly status: 400 | 401 | 403 | 503;
  /**
   * `WWW-Authenticate` (for 400/401/403, a list of challenges), `Retry-After` (503),
   * `Cache-Control: no-store`, and `Content-Type` when there is a body.
   */
  readonly headers: ResponseHeaders;
  /** The body text (per `Content-Type`), or undefined for an empty body. */
  readonly body: string | undefined;
}

/** The request may go on. */
export interface AuthGranted {
  readonly ok: true;
  /** The verified token, or undefined when `optional` let a request without credentials through. */
  readonly auth: AuthInfo | undefined;
  /**
   * Headers to add to whatever response the application sends (empty today; a fresh `DPoP-Nonce`
   * rides here once DPoP nonces exist).
   */
  readonly headers: ResponseHeaders;
}

/** The request is refused: send `answer` (or, when the response has already started, report `failure`). */
export interface AuthRefused {
  readonly ok: false;
  /** Why, for logs and for adapters whose framework builds its own error objects. */
  readonly failure: AuthFailure;
  /** What to send. */
  readonly answer: HttpAnswer;
}

/** The outcome of authenticating or authorizing one request. */
export type AuthOutcome = AuthGranted | AuthRefused;
