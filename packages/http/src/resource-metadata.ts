import { ConfigError, isLoopbackHost, type Verifier } from '@scopeguard/core';
import { isValidRealm, isValidScopeToken } from './rfc6750.js';
import type { ResolvedSettings } from './settings.js';
import type { ResponseHeaders } from './types.js';

/**
 * RFC 9728 (OAuth 2.0 Protected Resource Metadata): where the metadata document of this API lives, what
 * it says, and the `resource_metadata` parameter every challenge carries. A client that knows only the
 * API's URL gets a 401, reads `resource_metadata`, fetches the document and finds the authorization
 * server to ask. The document advertises only what the user chose (or what routes require): never
 * audiences, client ids, algorithms or key URLs.
 */

/** The well-known URI suffix RFC 9728 §3 registers. */
export const RESOURCE_METADATA_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** Default `Cache-Control: max-age` of the document, in seconds. */
export const DEFAULT_RESOURCE_METADATA_MAX_AGE = 3600;

/** The object form of the `resourceMetadata` option: what the document advertises. */
export interface ResourceMetadataOptions {
  /**
   * `authorization_servers`: the issuers a client may ask for a token. Default: the verifier's static
   * trusted issuers (none with an `issuers` function: dynamic tenants are never listed unless named here).
   */
  authorizationServers?: readonly string[];
  /** `scopes_supported`. Default: the scopes that the routes' scope rules require, collected by the adapter. */
  scopesSupported?: readonly string[];
  /** `resource_name`: a human-readable name of this API. */
  resourceName?: string;
  /** `resource_documentation`: an `https:` (or loopback `http:`) URL of the API's documentation. */
  resourceDocumentation?: string;
  /** `Cache-Control: max-age` of the document, in seconds. Default 3600. */
  maxAge?: number;
}

/** The `resourceMetadata` option: on by default when the verifier has a `resource`; `false` turns it off. */
export type ResourceMetadataOption = boolean | ResourceMetadataOptions;

/** The resolved metadata settings of a guard: the resource, its metadata URL and what the document says. */
export interface ResolvedResourceMetadata {
  /** The resource identifier (the document's `resource`), as the verifier has it. */
  readonly resource: string;
  /** The metadata URL (RFC 9728 §3.1), sent as `resource_metadata="…"`. */
  readonly url: string;
  /** The path of {@link url}: where the adapter serves the document. */
  readonly path: string;
  /**
   * Other request paths answered with the document: the path with the resource's terminating slash
   * kept (`/api/` → also `/.well-known/oauth-protected-resource/api/`), as some clients build it.
   */
  readonly aliases: readonly string[];
  readonly authorizationServers: readonly string[] | undefined;
  readonly scopesSupported: readonly string[] | undefined;
  readonly resourceName: string | undefined;
  readonly resourceDocumentation: string | undefined;
  readonly maxAge: number;
}

function parseResource(resource: unknown, option: string): URL {
  if (typeof resource !== 'string' || !URL.canParse(resource)) {
    throw new ConfigError(option, 'must be an absolute URL (the resource identifier)');
  }
  const url = new URL(resource);
  if (url.hash !== '' || resource.includes('#')) {
    throw new ConfigError(option, 'must not have a fragment (RFC 9728 §1.2)');
  }
  if (url.search !== '' || resource.includes('?')) {
    throw new ConfigError(
      option,
      'must not have a query to publish protected resource metadata (set resourceMetadata: false, or drop the query)',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(option, 'must not carry credentials');
  }
  return url;
}

/**
 * The metadata URL of a resource (RFC 9728 §3.1): the well-known string inserted between the host and
 * the path, the path's terminating slash removed: `https://api.example.com/v1/` →
 * `https://api.example.com/.well-known/oauth-protected-resource/v1`, `https://api.example.com` →
 * `https://api.example.com/.well-known/oauth-protected-resource`. Throws `ConfigError` for a resource
 * that is not an absolute URL, or that has a query or a fragment.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = parseResource(resource, 'resource');
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return `${url.origin}${RESOURCE_METADATA_WELL_KNOWN}${path}`;
}

function checkAdvertisedUrl(option: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new ConfigError(option, 'must be an absolute URL');
  }
  const url = new URL(value);
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!secure) {
    throw new ConfigError(option, 'must be an https: URL (plain http: only on a loopback host)');
  }
  if (url.hash !== '') throw new ConfigError(option, 'must not have a fragment');
  return value;
}

function checkStrings(
  option: string,
  values: unknown,
  check: (value: unknown) => string,
): readonly string[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values)) throw new ConfigError(option, 'must be a list of strings');
  return Object.freeze([...new Set(values.map(check))]);
}

const OBJECT_KEYS = new Set([
  'authorizationServers',
  'scopesSupported',
  'resourceName',
  'resourceDocumentation',
  'maxAge',
]);

/**
 * Resolves the `resourceMetadata` option against the verifier's resource: `undefined` when off
 * (`false`, or left unset without a resource). Throws `ConfigError` for an invalid option, or for
 * metadata asked for (`true` or an object) without a `resource`.
 */
export function resolveResourceMetadata(
  option: ResourceMetadataOption | undefined,
  resource: string | undefined,
): ResolvedResourceMetadata | undefined {
  if (option === false) return undefined;
  if (option === undefined && resource === undefined) return undefined;
  if (option !== undefined && option !== true && (typeof option !== 'object' || option === null)) {
    throw new ConfigError('resourceMetadata', 'must be true, false or an options object');
  }
  if (resource === undefined) {
    throw new ConfigError(
      'resourceMetadata',
      'needs a resource identifier: set resource (RFC 8707) on the verifier options',
    );
  }
  const config: ResourceMetadataOptions = typeof option === 'object' ? option : {};
  for (const key of Object.keys(config)) {
    if (!OBJECT_KEYS.has(key)) throw new ConfigError(`resourceMetadata.${key}`, 'is not a known option');
  }
  const url = resourceMetadataUrl(resource);
  if (!isValidRealm(url)) throw new ConfigError('resource', 'cannot be sent in a challenge parameter');
  const path = new URL(url).pathname;
  const resourcePath = new URL(resource).pathname;
  const aliases = resourcePath !== '/' && resourcePath.endsWith('/') ? [`${path}/`] : [];
  const maxAge = config.maxAge ?? DEFAULT_RESOURCE_METADATA_MAX_AGE;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new ConfigError('resourceMetadata.maxAge', 'must be a whole number of seconds, 0 or more');
  }
  const { resourceName, resourceDocumentation } = config;
  if (resourceName !== undefined && typeof resourceName !== 'string') {
    throw new ConfigError('resourceMetadata.resourceName', 'must be a string');
  }
  return Object.freeze({
    resource,
    url,
    path,
    aliases: Object.freeze(aliases),
    authorizationServers: checkStrings(
      'resourceMetadata.authorizationServers',
      config.authorizationServers,
      (value) => checkAdvertisedUrl('resourceMetadata.authorizationServers', value),
    ),
    scopesSupported: checkStrings('resourceMetadata.scopesSupported', config.scopesSupported, (value) => {
      if (typeof value !== 'string' || !isValidScopeToken(value)) {
        throw new ConfigError(
          'resourceMetadata.scopesSupported',
          `${JSON.stringify(value)} is not a scope name`,
        );
      }
      return value;
    }),
    resourceName: resourceName === '' ? undefined : resourceName,
    resourceDocumentation:
      resourceDocumentation === undefined || resourceDocumentation === ''
        ? undefined
        : checkAdvertisedUrl('resourceMetadata.resourceDocumentation', resourceDocumentation),
    maxAge,
  });
}

/**
 * What an adapter's `protectedResourceMetadata(options)` serves, checked at startup: the resolved metadata,
 * or `undefined` when the user turned it off (`resourceMetadata: false`: the middleware passes every request
 * on). Throws `ConfigError` when it is on but there is no `resource` to describe.
 */
export function metadataToServe(
  options: { readonly resourceMetadata?: ResourceMetadataOption | undefined },
  settings: { readonly resourceMetadata: ResolvedResourceMetadata | undefined },
): ResolvedResourceMetadata | undefined {
  const metadata = settings.resourceMetadata;
  if (metadata === undefined && options.resourceMetadata !== false) {
    throw new ConfigError(
      'resource',
      'is required by protectedResourceMetadata(): it names the API and where its metadata lives (RFC 9728)',
    );
  }
  return metadata;
}

/**
 * A `WWW-Authenticate` challenge with RFC 9728 §5.1's `resource_metadata="<url>"` appended, when the
 * metadata is on; the challenge unchanged otherwise.
 */
export function withResourceMetadata(
  challenge: string,
  metadata: Pick<ResolvedResourceMetadata, 'url'> | undefined,
): string {
  return metadata === undefined ? challenge : `${challenge}, resource_metadata="${metadata.url}"`;
}

function pathOf(target: string): string {
  if (target.startsWith('/')) {
    const query = target.indexOf('?');
    return query === -1 ? target : target.slice(0, query);
  }
  return URL.canParse(target) ? new URL(target).pathname : '';
}

/**
 * True when a request for `target` (`/path?query` or an absolute URL) with `method` asks for the
 * metadata document: `GET` or `HEAD` on its path. Linear in the target's length.
 */
export function isResourceMetadataRequest(
  metadata: ResolvedResourceMetadata | undefined,
  method: string,
  target: string,
): boolean {
  if (metadata === undefined || (method !== 'GET' && method !== 'HEAD')) return false;
  const path = pathOf(target);
  return path === metadata.path || metadata.aliases.includes(path);
}

/** The default `authorization_servers`: the static trusted issuers (none for an issuers function). */
function trustedIssuers(verifier: Verifier): readonly string[] {
  // An issuers function leaves `issuer` empty and `issuers` listing whichever tenants are live now:
  // never advertise those unless the user names them.
  if (verifier.issuer === '') return [];
  return verifier.issuers ?? [verifier.issuer];
}

/** The metadata document, as a ready answer: status 200, `Content-Type`, `Cache-Control` and the JSON body. */
export interface ResourceMetadataAnswer {
  readonly status: 200;
  readonly headers: ResponseHeaders;
  readonly body: string;
}

/**
 * The protected resource metadata document (RFC 9728 §2, §3.2) of a guard, or `undefined` when its
 * metadata is off: `resource`, `authorization_servers` (configured, else the verifier's static trusted
 * issuers), `scopes_supported` (configured, else `scopes`: what the routes' rules require, collected
 * by the adapter), `bearer_methods_supported` (`header`, plus `body` and `query` when enabled),
 * `resource_name` and `resource_documentation` when set. Empty values are omitted (§3.2). Sent with
 * `Content-Type: application/json` and `Cache-Control: max-age=<maxAge>`.
 */
export function protectedResourceMetadata(
  verifier: Verifier,
  settings: Pick<ResolvedSettings, 'resourceMetadata' | 'allowQueryToken' | 'allowBodyToken'> &
    Partial<Pick<ResolvedSettings, 'senderConstraints'>>,
  scopes: Iterable<string> = [],
): ResourceMetadataAnswer | undefined {
  const metadata = settings.resourceMetadata;
  if (metadata === undefined) return undefined;
  const document: Record<string, unknown> = { resource: metadata.resource };
  const servers = metadata.authorizationServers ?? trustedIssuers(verifier);
  if (servers.length > 0) document['authorization_servers'] = [...servers];
  const supported =
    metadata.scopesSupported ?? [...new Set(scopes)].filter((scope) => isValidScopeToken(scope)).sort();
  if (supported.length > 0) document['scopes_supported'] = [...supported];
  const methods = ['header'];
  if (settings.allowBodyToken) methods.push('body');
  if (settings.allowQueryToken) methods.push('query');
  document['bearer_methods_supported'] = methods;
  const sender = settings.senderConstraints;
  if (sender !== undefined && sender.mode !== 'off') {
    // RFC 9728 §2: the proof algorithms this resource accepts, and whether it takes only DPoP-bound tokens.
    document['dpop_signing_alg_values_supported'] = sender.algs.split(' ');
    if (sender.mode === 'required') document['dpop_bound_access_tokens_required'] = true;
  }
  if (metadata.resourceName !== undefined) document['resource_name'] = metadata.resourceName;
  if (metadata.resourceDocumentation !== undefined) {
    document['resource_documentation'] = metadata.resourceDocumentation;
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': `max-age=${metadata.maxAge}` },
    body: JSON.stringify(document),
  };
}
