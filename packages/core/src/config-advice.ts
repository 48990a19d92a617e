import { DiscoveryError } from './discovery.js';
import { FetchJsonError } from './fetch-json.js';

/** A key-loading failure that looks like configuration rather than an outage, with the likely fix. */
export interface ConfigProblem {
  /** Identifies the cause (kind and URL): the same cause is warned about once. */
  cause: string;
  /** The likely fix, one sentence an operator can act on. */
  fix: string;
}

/** HTTP statuses that say "wrong URL or not allowed", not "try later" (408 and 429 are about load). */
function isConfigStatus(status: number | undefined): status is number {
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Which of the two spellings has the trailing slash, as a phrase. */
function slashPhrase(found: string): string {
  return found.endsWith('/') ? 'with a trailing slash' : 'without a trailing slash';
}

function issuerFix(error: DiscoveryError, issuer: string): string {
  const found = error.found;
  if (typeof found === 'string') {
    if (found === `${issuer}/` || issuer === `${found}/`) {
      return `the issuer's metadata says ${found} ${slashPhrase(found)}; configure issuer: ${JSON.stringify(found)} (it is compared exactly with each token's "iss")`;
    }
    return `the metadata at ${error.url} names the issuer ${JSON.stringify(found).slice(0, 200)}; if that is the "iss" your tokens carry, configure it as issuer; otherwise issuer points at another authorization server`;
  }
  return `${error.url} is not this issuer's metadata (no "issuer" string): check issuer, or set jwksUri`;
}

/**
 * Classifies a key-loading failure. Returns what to change when it looks like configuration: metadata
 * naming another issuer or without a usable `jwks_uri`, HTTP 4xx (but 408/429) on the JWKS (discovery
 * skips a metadata document answering 4xx, so those surface here), a 2xx answer that is not JSON (a web
 * page), a refused redirect. Returns `undefined` for transient
 * failures (timeouts, refused connections, 5xx, 429, oversized bodies): those stay quiet apart from events.
 * "Not a JWK Set" and "no usable key" are judged by the JWKS cache, which sees the document.
 */
export function configProblem(error: unknown, issuer: string): ConfigProblem | undefined {
  if (error instanceof DiscoveryError) {
    switch (error.problem) {
      case 'issuer_mismatch':
        return {
          cause: `issuer_mismatch:${error.url}:${String(error.found)}`,
          fix: issuerFix(error, issuer),
        };
      case 'jwks_uri':
        return {
          cause: `jwks_uri:${error.url}`,
          fix: `the metadata at ${error.url} has no usable https: jwks_uri; set the jwksUri option to the issuer's key URL`,
        };
      default:
        return {
          cause: `metadata:${error.url}`,
          fix: `${error.url} is not authorization server metadata: check issuer, or set jwksUri`,
        };
    }
  }
  if (!(error instanceof FetchJsonError)) return undefined;
  if (error.reason === 'status' && isConfigStatus(error.status)) {
    const fix =
      error.status === 401 || error.status === 403
        ? `a JWKS is public, yet ${error.url} answered ${error.status}: check jwksUri (or issuer), and any proxy between this server and the issuer`
        : `nothing is served at ${error.url}: check issuer (for Okta: https://{yourOktaDomain}/oauth2/default, or https://{yourOktaDomain} for the org server) or set jwksUri to the issuer's jwks_uri`;
    return { cause: `status_${error.status}:${error.url}`, fix };
  }
  if (error.reason === 'invalid_json') {
    return {
      cause: `not_json:${error.url}`,
      fix: `${error.url} does not answer with JSON (a web page?): check that jwksUri (or issuer) names the authorization server's own URL`,
    };
  }
  if (error.reason === 'redirect' || error.reason === 'insecure') {
    return {
      cause: `redirect:${error.url}`,
      fix: 'configure the final https: URL directly (jwksUri), or fix the redirect on the server',
    };
  }
  return undefined;
}
