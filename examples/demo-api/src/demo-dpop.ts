/**
 * The demo's DPoP steps (RFC 9449), against the API configured with `dpop: 'allowed'`: openid-client
 * gets a DPoP-bound token and calls the API (200); the same token presented as `Bearer` (a stolen token
 * without the key) is refused (401); the captured request, proof included, replayed as is, is refused (401).
 */
import type { WhoAmI } from './api.js';
import { createDpopClient, type DpopClient, type SentRequest } from './dpop-client.js';
import type { Transcript } from './transcript.js';

/** What the DPoP steps need from the demo. */
export interface DpopStepsContext {
  transcript: Transcript;
  apiUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

/** What the DPoP steps found. */
export interface DpopStepsResult {
  /** `token_type` of the token response (openid-client reports `dpop`). */
  tokenType: string | undefined;
  /** Whether the token's `cnf.jkt` is the client key's thumbprint. */
  bound: boolean;
  /** `req.auth.scheme` the API reported for the DPoP request. */
  scheme: string | undefined;
}

/** The core code at the head of an `error_description`, as in the other steps. */
function descriptionOf(body: unknown): string {
  const description = (body as { error_description?: unknown } | undefined)?.error_description;
  return typeof description === 'string' ? description : '';
}

/** Runs the three DPoP steps. */
export async function runDpopSteps(context: DpopStepsContext): Promise<DpopStepsResult> {
  const { transcript } = context;
  const { line } = transcript;
  const result: DpopStepsResult = { tokenType: undefined, bound: false, scheme: undefined };
  const url = `${context.apiUrl}/api/whoami`;
  let client: DpopClient | undefined;
  let captured: SentRequest | undefined;

  await transcript.step({
    title: 'DPoP: openid-client gets a DPoP-bound token and calls the API with a proof (RFC 9449)',
    prepare: async (t) => {
      line(
        `  token: ${context.clientId} asks for one with a DPoP proof (openid-client getDPoPHandle, ES256 key)`,
      );
      client = await createDpopClient(context, new URL(context.apiUrl).origin);
      t.secret(client.accessToken);
      result.tokenType = client.tokenType;
      result.bound = client.tokenJkt === client.jkt;
      line(`    → token_type ${client.tokenType}, cnf.jkt ${String(client.tokenJkt)}`);
      line(
        `    client key thumbprint (RFC 7638) ${client.jkt}: ${result.bound ? 'the token is bound to it' : 'MISMATCH'}`,
      );
      const session = client;
      const request = {
        method: 'GET' as const,
        url,
        token: session.accessToken,
        scheme: 'DPoP' as const,
        dpop: undefined as string | undefined,
        send: async () => {
          const response = await session.call('GET', url);
          captured = session.sent[session.sent.length - 1];
          request.dpop = captured?.dpop;
          return response;
        },
      };
      return request;
    },
    expect: {
      status: 200,
      check: ({ body }) => {
        const scheme = (body as (Partial<WhoAmI> & { scheme?: string }) | undefined)?.scheme;
        result.scheme = scheme;
        line(`  req.auth.scheme: ${String(scheme)}`);
        const problems: string[] = [];
        if (client?.tokenType.toLowerCase() !== 'dpop') problems.push(`token_type is ${client?.tokenType}`);
        if (!result.bound) problems.push('the token is not bound to the client key');
        if (scheme !== 'DPoP') problems.push(`the API saw the scheme ${String(scheme)}`);
        if (captured?.dpop === undefined || !captured.authorization?.startsWith('DPoP ')) {
          problems.push('openid-client did not send Authorization: DPoP with a proof');
        }
        return problems.length === 0 ? undefined : problems.join('; ');
      },
    },
  });

  await transcript.step({
    title: 'The same DPoP-bound token sent as Bearer (a stolen token without the key)',
    prepare: () => {
      if (client === undefined) throw new Error('no DPoP-bound token (the previous step failed)');
      return { method: 'GET', url, token: client.accessToken };
    },
    expect: {
      status: 401,
      error: 'invalid_token',
      check: ({ body }) => {
        line(`  error_description: ${descriptionOf(body)}`);
        return undefined;
      },
    },
  });

  await transcript.step({
    title: 'The captured DPoP request replayed as is (same token, same proof)',
    prepare: () => {
      if (captured?.dpop === undefined || client === undefined) {
        throw new Error('no captured DPoP request (the first DPoP step failed)');
      }
      line('  the exact Authorization and DPoP headers openid-client sent in the DPoP step, sent again');
      return {
        method: captured.method as 'GET',
        url: captured.url,
        token: client.accessToken,
        scheme: 'DPoP',
        dpop: captured.dpop,
      };
    },
    expect: {
      status: 401,
      error: 'invalid_dpop_proof',
      check: ({ body }) => {
        line(`  error_description: ${descriptionOf(body)}`);
        return undefined;
      },
    },
  });
  return result;
}
