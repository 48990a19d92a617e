/**
 * `pnpm --filter @scopeguard/demo-api run okta`: the same API and client as the demo, against a real
 * Okta custom authorization server configured by the environment (see README.md): starts the API on
 * a free loopback port, gets a token with the Client Credentials flow, calls the API, prints the
 * transcript and exits 0 when every answer is the expected one (1 otherwise, 2 on bad configuration).
 */
import type { Environment } from '@scopeguard/express';
import { createApi } from './api.js';
import { createClientCredentialsClient } from './client.js';
import { readApiConfig, readOktaClientConfig } from './config.js';
import { listen, type RunningServer } from './listen.js';
import { isMainModule } from './main-module.js';
import { createTranscript, type StepResult } from './transcript.js';

/** Options of {@link runOktaCheck}. */
export interface OktaCheckOptions {
  /** Where transcript lines go. Default `console.log`. */
  write?: (line: string) => void;
}

/** The outcome of {@link runOktaCheck}; `configError` is set when the environment was unusable. */
export interface OktaCheckResult {
  ok: boolean;
  steps: readonly StepResult[];
  configError?: string;
}

/** Changes one character in the middle of the signature, so the token no longer verifies. */
export function tamperSignature(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = token.slice(dot + 1);
  const at = Math.floor(signature.length / 2);
  const replacement = signature[at] === 'A' ? 'B' : 'A';
  return `${token.slice(0, dot + 1)}${signature.slice(0, at)}${replacement}${signature.slice(at + 1)}`;
}

/** Runs the checks against the authorization server named by `env`; never throws. */
export async function runOktaCheck(
  env: Environment = process.env,
  options: OktaCheckOptions = {},
): Promise<OktaCheckResult> {
  const transcript = createTranscript({ write: options.write });
  const { line } = transcript;
  let config: ReturnType<typeof readApiConfig>;
  let clientConfig: ReturnType<typeof readOktaClientConfig>;
  try {
    config = readApiConfig({ ...env, PORT: '0' });
    clientConfig = readOktaClientConfig(env);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    line(`✗ configuration: ${message}`);
    line('  see examples/demo-api/README.md ("Against a real Okta org") for the variables to set');
    return { ok: false, steps: [], configError: message };
  }
  transcript.secret(clientConfig.clientSecret);

  let api: RunningServer | undefined;
  try {
    const { verifier, readScope, writeScope } = config;
    api = await listen(createApi({ ...verifier, readScope, writeScope }));
    const client = createClientCredentialsClient({
      issuer: verifier.issuer,
      clientId: clientConfig.clientId,
      scope: clientConfig.scope,
      auth: { method: clientConfig.authMethod, clientSecret: clientConfig.clientSecret },
    });
    const audience = Array.isArray(verifier.audience) ? verifier.audience.join(', ') : verifier.audience;
    line('scopeguard demo against a real authorization server');
    line(`  issuer    ${verifier.issuer}`);
    line(`  audience  ${audience}`);
    line(`  API       ${api.url}  (GET /api/messages needs ${readScope}, POST needs ${writeScope})`);
    line();
    line('Client Credentials token request');
    const token = await transcript.token(client);
    const granted = (await client.getToken()).scope?.split(' ') ?? [];
    const url = (path: string) => `${api!.url}${path}`;
    const expectFor = (scope: string) =>
      granted.includes(scope) ? null : ({ status: 403, error: 'insufficient_scope' } as const);

    await transcript.step({
      title: 'No token',
      prepare: () => ({ method: 'GET', url: url('/api/messages') }),
      expect: { status: 401 },
    });
    await transcript.step({
      title: 'Who am I',
      prepare: () => ({ method: 'GET', url: url('/api/whoami'), token }),
      expect: {
        status: 200,
        check: ({ body }) => {
          const clientId = (body as { clientId?: unknown }).clientId;
          return clientId === clientConfig.clientId ? undefined : `clientId is ${String(clientId)}`;
        },
      },
    });
    await transcript.step({
      title: `Read (needs ${readScope}; granted: ${granted.join(' ') || 'unknown'})`,
      prepare: () => ({ method: 'GET', url: url('/api/messages'), token }),
      expect: expectFor(readScope) ?? { status: 200 },
    });
    await transcript.step({
      title: `Write (needs ${writeScope})`,
      prepare: () => ({
        method: 'POST',
        url: url('/api/messages'),
        token,
        body: { text: 'Hello from Okta' },
      }),
      expect: expectFor(writeScope) ?? { status: 201 },
    });
    await transcript.step({
      title: 'Tampered token (one signature character changed)',
      prepare: (t) => ({ method: 'GET', url: url('/api/messages'), token: t.secret(tamperSignature(token)) }),
      expect: { status: 401, error: 'invalid_token' },
    });
    return { ok: transcript.summary(), steps: transcript.results };
  } catch (error) {
    line(`✗ aborted: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, steps: transcript.results };
  } finally {
    await api?.close();
  }
}

if (isMainModule(import.meta.url)) {
  const result = await runOktaCheck();
  process.exitCode = result.configError !== undefined ? 2 : result.ok ? 0 : 1;
  setTimeout(() => process.exit(), 2_000).unref();
}
