/**
 * The demo's multi-issuer steps: the API trusts two dev authorization servers (`issuers: [...]`). A token
 * of the second one is accepted and `req.auth.issuer` names it; a token of a third, untrusted server is
 * refused with `issuer_invalid`, and the API sends that server no request at all (counted on the server).
 */
import type { DevAuthorizationServer, RequestLog } from '@scopeguard/testing';
import type { ApiRefusal, WhoAmI } from './api.js';
import type { ClientCredentialsClient } from './client.js';
import type { Transcript } from './transcript.js';

/** What the multi-issuer steps need from the demo. */
export interface IssuerStepsContext {
  transcript: Transcript;
  /** Base URL of the API. */
  apiUrl: string;
  /** The second trusted authorization server. */
  partner: DevAuthorizationServer;
  /** The authorization server the API does not trust. */
  untrusted: DevAuthorizationServer;
  /** The API's log of refusals (see `createApi({ onRefusal })`), appended to as requests are refused. */
  apiLog: readonly ApiRefusal[];
  /** A Client Credentials client of `server` (same client id and secret on every dev server). */
  clientOf(server: DevAuthorizationServer): ClientCredentialsClient;
}

/** Requests the untrusted server received, counted on the server itself. */
export interface UntrustedServerCount {
  /** Everything it received before the API got its token: the client's discovery and token request. */
  fromClient: number;
  /**
   * What it received from the moment the API was sent its token until the demo's end. Must be 0.
   * `undefined` when the step did not get that far (then the step failed).
   */
  afterApiGotToken: number | undefined;
  /** JWKS requests it ever received (the client never asks for keys; only a verifier would). Must be 0. */
  jwks: number;
}

/** The outcome of {@link runIssuerSteps}. */
export interface IssuerStepsResult {
  /** `req.auth.issuer` of the partner server's token, as the API reported it. */
  partnerIssuer: string | undefined;
  /** The core code behind the untrusted token's refusal, from `error_description` (e.g. `issuer_invalid`). */
  untrustedDescriptionCode: string | undefined;
  /** The same, from the API's log. */
  untrustedLoggedCode: string | undefined;
  /** Call after every other step: the final count (so a late request would be seen too). */
  countUntrusted(): UntrustedServerCount;
}

/** `metadata 1, token 1`: a request log, by route. */
export function describeRequests(log: RequestLog): string {
  const byRoute = new Map<string, number>();
  for (const request of log.all) byRoute.set(request.route, (byRoute.get(request.route) ?? 0) + 1);
  if (byRoute.size === 0) return 'none';
  return [...byRoute].map(([route, count]) => `${route} ${count}`).join(', ');
}

/** The core code at the head of an `error_description` (`issuer_invalid: ...` → `issuer_invalid`). */
export function descriptionCode(body: unknown): string | undefined {
  const description = (body as { error_description?: unknown } | undefined)?.error_description;
  if (typeof description !== 'string') return undefined;
  const colon = description.indexOf(':');
  return colon > 0 ? description.slice(0, colon) : undefined;
}

/** Runs the two multi-issuer steps (second trusted issuer → 200; untrusted issuer → 401 `issuer_invalid`). */
export async function runIssuerSteps(context: IssuerStepsContext): Promise<IssuerStepsResult> {
  const { transcript, partner, untrusted, apiLog } = context;
  const { line } = transcript;
  const result: IssuerStepsResult = {
    partnerIssuer: undefined,
    untrustedDescriptionCode: undefined,
    untrustedLoggedCode: undefined,
    countUntrusted: () => ({
      fromClient: untrusted.requests.total,
      afterApiGotToken: undefined,
      jwks: untrusted.requests.jwks,
    }),
  };

  await transcript.step({
    title: 'Token from the second trusted issuer (partner dev server)',
    prepare: async (t) => ({
      method: 'GET',
      url: `${context.apiUrl}/api/whoami`,
      token: await t.token(context.clientOf(partner)),
    }),
    expect: {
      status: 200,
      check: ({ body }) => {
        const issuer = (body as Partial<WhoAmI> | undefined)?.issuer;
        result.partnerIssuer = issuer;
        line(`  req.auth.issuer: ${String(issuer)}`);
        return issuer === partner.issuer
          ? undefined
          : `req.auth.issuer is ${String(issuer)}, not ${partner.issuer}`;
      },
    },
  });

  let fromClient: number | undefined;
  let logLength = 0;
  await transcript.step({
    title: 'Token from an untrusted issuer (same client id, audience and scope; only iss differs)',
    prepare: async (t) => {
      const token = await t.token(context.clientOf(untrusted));
      // Everything the untrusted server has received so far came from the client (discovery, token
      // request); from here on, only the API holds its token.
      fromClient = untrusted.requests.total;
      logLength = apiLog.length;
      line(
        `  untrusted server so far: ${fromClient} requests, all from the client (${describeRequests(untrusted.requests)})`,
      );
      return { method: 'GET', url: `${context.apiUrl}/api/messages`, token };
    },
    expect: {
      status: 401,
      error: 'invalid_token',
      check: ({ body }) => {
        const problems: string[] = [];
        const code = descriptionCode(body);
        result.untrustedDescriptionCode = code;
        line(`  error_description code: ${String(code)}`);
        if (code !== 'issuer_invalid') problems.push(`error_description code is ${String(code)}`);

        const logged = apiLog.slice(logLength);
        const entry = logged[logged.length - 1];
        result.untrustedLoggedCode = entry?.code;
        line(
          entry === undefined
            ? '  API log: nothing logged'
            : `  API log: ${entry.method} ${entry.path} → ${entry.status} ${entry.error} (core code ${String(entry.code)})`,
        );
        if (entry?.code !== 'issuer_invalid') problems.push(`the API logged ${String(entry?.code)}`);

        const during = untrusted.requests.total - (fromClient ?? 0);
        line(`  requests the untrusted server received while the API handled its token: ${during}`);
        if (during !== 0) problems.push(`the untrusted server received ${during} requests from the API`);
        return problems.length === 0 ? undefined : problems.join('; ');
      },
    },
  });

  if (fromClient !== undefined) {
    const clientRequests = fromClient;
    result.countUntrusted = () => ({
      fromClient: clientRequests,
      afterApiGotToken: untrusted.requests.total - clientRequests,
      jwks: untrusted.requests.jwks,
    });
  }
  return result;
}
