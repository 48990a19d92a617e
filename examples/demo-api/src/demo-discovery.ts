/**
 * The demo's discovery step (RFC 9728): a client that knows only the API's URL finds the authorization
 * server through the API's challenge and metadata, gets a token for that resource, and calls the API.
 */
import { type DiscoveryResult, discoverAndGetToken } from './discovery-client.js';
import type { Transcript } from './transcript.js';

/** What the discovery step needs from the demo. */
export interface DiscoveryStepContext {
  transcript: Transcript;
  /** The API's resource identifier: the one URL the client is given. */
  resource: string;
  /** The authorization server the API lists first (the one the client should find). */
  expectedAuthorizationServer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

/** Runs the step; resolves with what the client found (undefined when discovery itself failed). */
export async function runDiscoveryStep(context: DiscoveryStepContext): Promise<DiscoveryResult | undefined> {
  const { transcript, resource } = context;
  let found: DiscoveryResult | undefined;
  await transcript.step({
    title: "Discovery: the client knows only the API's URL (RFC 9728, RFC 8414, RFC 8707; oauth4webapi)",
    prepare: async (t) => {
      found = await discoverAndGetToken({
        resource,
        clientId: context.clientId,
        clientSecret: context.clientSecret,
        scope: context.scope,
        log: (text) => t.line(text),
      });
      t.secret(found.accessToken);
      return { method: 'GET', url: `${resource}/messages`, token: found.accessToken };
    },
    expect: {
      status: 200,
      check: () => {
        if (found === undefined) return 'nothing discovered';
        const problems: string[] = [];
        if (found.probeStatus !== 401) problems.push(`the request without a token got ${found.probeStatus}`);
        if (found.metadata.resource !== resource)
          problems.push(`metadata resource is ${found.metadata.resource}`);
        if (found.authorizationServer !== context.expectedAuthorizationServer) {
          problems.push(`found the authorization server ${found.authorizationServer}`);
        }
        if (found.tokenAudience !== resource) {
          problems.push(`the token's aud is ${JSON.stringify(found.tokenAudience)}, not the resource`);
        }
        return problems.length === 0 ? undefined : problems.join('; ');
      },
    },
  });
  return found;
}
