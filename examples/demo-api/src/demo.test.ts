import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node --conditions=@scopeguard/source --import tsx src/demo.ts` the way `pnpm demo` does (but
 * against the packages' sources, so no build is needed), with a clean environment for the verifier
 * variables.
 */
function runDemoScript(extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const name of Object.keys(env)) if (name.startsWith('SCOPEGUARD_')) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@scopeguard/source', '--import', 'tsx', 'src/demo.ts'],
      {
        cwd: PACKAGE_DIR,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The transcript block of step `n` (from its heading to the next one). */
function stepBlock(stdout: string, n: number): string {
  const start = stdout.indexOf(`── Step ${n}:`);
  if (start < 0) return '';
  const next = stdout.indexOf('── Step ', start + 1);
  const end = next < 0 ? stdout.indexOf('token requests per client') : next;
  return stdout.slice(start, end < 0 ? undefined : end);
}

describe('pnpm demo (end to end, child process)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runDemoScript();
  }, 60_000);

  it('exits 0 and says every step went as expected', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✓ 16/16 steps as expected');
    expect(run.stdout).not.toContain('✗');
  });

  it('starts both servers on loopback', () => {
    expect(run.stdout).toMatch(/authorization server {2}http:\/\/127\.0\.0\.1:\d+\/oauth2\/default/);
    expect(run.stdout).toMatch(/API {19}http:\/\/127\.0\.0\.1:\d+/);
  });

  it('gets 401 without a token, with a Bearer challenge naming no error but the metadata URL', () => {
    const block = stepBlock(run.stdout, 2);
    expect(block).toContain('No token');
    expect(block).toContain('← 401 Unauthorized');
    // Bearer and DPoP challenges (dpop: 'allowed'), each with RFC 9728's resource_metadata, no error code.
    const metadata =
      'resource_metadata="http://127\\.0\\.0\\.1:\\d+/\\.well-known/oauth-protected-resource/api"';
    expect(block).toMatch(
      new RegExp(
        `WWW-Authenticate: Bearer realm="demo-api", ${metadata}, DPoP realm="demo-api", algs="ES256 [^"]*", ${metadata}\n`,
      ),
    );
    expect(block).not.toContain('error=');
    expect(block).toContain('✓ 401 unauthorized');
  });

  it('gets 403 insufficient_scope for a token without customScope', () => {
    const block = stepBlock(run.stdout, 3);
    expect(block).toContain('← 403 Forbidden');
    expect(block).toContain('error="insufficient_scope"');
    expect(block).toContain('scope="customScope"');
    expect(block).toContain('✓ 403 insufficient_scope');
  });

  it('gets 200 with customScope, printing the token request as Okta-style curl', () => {
    const block = stepBlock(run.stdout, 4);
    expect(block).toContain('curl --request POST');
    expect(block).toMatch(/--url http:\/\/127\.0\.0\.1:\d+\/oauth2\/default\/v1\/token/);
    expect(block).toContain(`--header 'authorization: Basic ZGVtby1y…'`);
    expect(block).toContain(`--header 'content-type: application/x-www-form-urlencoded'`);
    expect(block).toContain(`--data 'grant_type=client_credentials&scope=customScope'`);
    expect(block).toMatch(/--header 'authorization: Bearer eyJ[\w-]{5}…'/);
    expect(block).toContain('✓ 200');
  });

  it('reuses the cached token and reports the verified client', () => {
    const block = stepBlock(run.stdout, 5);
    expect(block).toContain('cached token of demo-reader reused');
    expect(block).toContain('"clientId":"demo-reader"');
    expect(run.stdout).toContain(
      'token requests per client: demo-no-scope 1, demo-reader 1, demo-writer-jwt 1',
    );
  });

  it('gets 200 and 201 with the private_key_jwt client', () => {
    expect(stepBlock(run.stdout, 7)).toContain('demo-writer-jwt asks for one (private_key_jwt');
    expect(stepBlock(run.stdout, 7)).toContain('✓ 200');
    expect(stepBlock(run.stdout, 8)).toContain('✓ 201');
  });

  it('gets 401 invalid_token for an expired token', () => {
    const block = stepBlock(run.stdout, 9);
    expect(block).toContain('Expired token');
    expect(block).toContain('error="invalid_token"');
    expect(block).toContain('token_expired');
    expect(block).toContain('✓ 401 invalid_token');
  });

  it('accepts a token of the second trusted issuer and reports it as req.auth.issuer', () => {
    const partner = /second issuer {9}(http:\/\/127\.0\.0\.1:\d+\/oauth2\/partner) /.exec(run.stdout)?.[1];
    expect(partner).toBeDefined();
    const block = stepBlock(run.stdout, 11);
    expect(block).toContain('Token from the second trusted issuer');
    expect(block).toContain(`--url ${partner}/v1/token`);
    expect(block).toContain('← 200 OK');
    expect(block).toContain(`req.auth.issuer: ${partner}\n`);
    expect(block).toContain(`"issuer":"${partner}"`);
    expect(block).toContain('✓ 200');
  });

  it('refuses a token of an untrusted issuer with issuer_invalid, without contacting that issuer', () => {
    const untrusted = /untrusted issuer {6}(http:\/\/127\.0\.0\.1:\d+\/oauth2\/untrusted) /.exec(
      run.stdout,
    )?.[1];
    expect(untrusted).toBeDefined();
    const block = stepBlock(run.stdout, 12);
    expect(block).toContain('Token from an untrusted issuer');
    expect(block).toContain(`--url ${untrusted}/v1/token`);
    expect(block).toContain('← 401 Unauthorized');
    expect(block).toContain('error="invalid_token", error_description="issuer_invalid: ');
    expect(block).toContain('error_description code: issuer_invalid\n');
    expect(block).toContain('API log: GET /api/messages → 401 invalid_token (core code issuer_invalid)');
    // Counted on the untrusted server: the client's discovery and token request, then nothing.
    expect(block).toContain('untrusted server so far: 2 requests, all from the client (metadata 1, token 1)');
    expect(block).toContain('requests the untrusted server received while the API handled its token: 0\n');
    expect(block).toContain('✓ 401 invalid_token');
    expect(run.stdout).toContain(
      'untrusted issuer: 2 requests from the client before the API got its token (metadata 1, token 1); 0 since, 0 JWKS requests ever: the API never contacted it',
    );
  });

  it('discovers the authorization server from the API URL alone and gets 200 (RFC 9728, oauth4webapi)', () => {
    const api = /API {19}(http:\/\/127\.0\.0\.1:\d+) /.exec(run.stdout)?.[1];
    const main = /authorization server {2}(http:\/\/127\.0\.0\.1:\d+\/oauth2\/default) /.exec(
      run.stdout,
    )?.[1];
    expect(api).toBeDefined();
    expect(main).toBeDefined();
    const resource = `${api}/api`;
    const metadataUrl = `${api}/.well-known/oauth-protected-resource/api`;
    const block = stepBlock(run.stdout, 13);
    expect(block).toContain("Discovery: the client knows only the API's URL");
    expect(block).toContain(`client knows: ${resource} (the API's URL)`);
    expect(block).toContain(`GET ${resource} (no token) → 401\n`);
    expect(block).toContain(`resource_metadata: ${metadataUrl}\n`);
    expect(block).toContain(
      `oauth4webapi: resource metadata {"resource":"${resource}","authorization_servers":["${main}",`,
    );
    expect(block).toContain(
      `oauth4webapi → GET ${main!.replace('/oauth2/default', '')}/.well-known/oauth-authorization-server/oauth2/default\n`,
    );
    expect(block).toContain(
      `authorization server: ${main} (authorization_servers[0]); token_endpoint ${main}/v1/token`,
    );
    expect(block).toContain(`oauth4webapi → POST ${main}/v1/token\n`);
    expect(block).toContain(`client_credentials, resource=${resource}, scope=customScope → access_token eyJ`);
    expect(block).toContain(`(aud "${resource}")`);
    expect(block).toContain(`--url ${resource}/messages`);
    expect(block).toContain('← 200 OK');
    expect(block).toContain('✓ 200');
  });

  it('DPoP: a bound token from openid-client is accepted with its proof, refused as Bearer and on replay', () => {
    const dpop = stepBlock(run.stdout, 14);
    expect(dpop).toContain('DPoP: openid-client gets a DPoP-bound token');
    const jkt = /cnf\.jkt ([\w-]{43})\n/.exec(dpop)?.[1];
    expect(jkt).toBeDefined();
    expect(dpop).toContain('→ token_type dpop,');
    expect(dpop).toContain(`client key thumbprint (RFC 7638) ${jkt}: the token is bound to it`);
    expect(dpop).toMatch(/--header 'authorization: DPoP eyJ[\w-]{5}…' \\\n {4}--header 'dpop: eyJ[\w-]{5}…'/);
    expect(dpop).toContain('← 200 OK');
    expect(dpop).toContain('"scheme":"DPoP","clientId":"demo-dpop"');
    expect(dpop).toContain('req.auth.scheme: DPoP\n');
    expect(dpop).toContain('✓ 200');

    const bearer = stepBlock(run.stdout, 15);
    expect(bearer).toContain('The same DPoP-bound token sent as Bearer');
    expect(bearer).toMatch(/--header 'authorization: Bearer eyJ[\w-]{5}…'\n/);
    expect(bearer).toContain('← 401 Unauthorized');
    expect(bearer).toContain('WWW-Authenticate: Bearer realm="demo-api", error="invalid_token"');
    expect(bearer).toContain('error_description: The token is DPoP-bound');
    expect(bearer).toContain('✓ 401 invalid_token');

    const replay = stepBlock(run.stdout, 16);
    expect(replay).toContain('The captured DPoP request replayed as is');
    expect(replay).toContain('← 401 Unauthorized');
    expect(replay).toMatch(/DPoP realm="demo-api", algs="[^"]+", error="invalid_dpop_proof"/);
    expect(replay).toContain('error_description: The DPoP proof was already used');
    expect(replay).toContain('✓ 401 invalid_dpop_proof');
  });

  it('never prints a client secret or a whole token', async () => {
    const clients = JSON.parse(await readFile(join(PACKAGE_DIR, 'dev-clients.json'), 'utf8')) as {
      clients: { client_secret?: string }[];
    };
    for (const { client_secret: secret } of clients.clients) {
      if (secret !== undefined) expect(run.stdout).not.toContain(secret);
    }
    // A compact JWS has two dots; none may appear in full.
    expect(run.stdout).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  });
});

describe('pnpm demo, failure path', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-e2e-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 and marks the step ✗ when an outcome differs from the expected one', async () => {
    const original = JSON.parse(await readFile(join(PACKAGE_DIR, 'dev-clients.json'), 'utf8')) as {
      clients: { client_id: string; scopes: string[] }[];
    };
    // demo-no-scope may no longer ask for profile:read: its token request is refused (invalid_scope).
    for (const client of original.clients)
      if (client.client_id === 'demo-no-scope') client.scopes = ['other'];
    const file = join(dir, 'clients.json');
    await writeFile(file, JSON.stringify(original));
    const failed = await runDemoScript({ DEMO_CLIENTS_FILE: file });
    expect(failed.code).toBe(1);
    expect(stepBlock(failed.stdout, 3)).toContain('✗ token request refused: invalid_scope');
    expect(failed.stdout).toContain('✗ 15/16 steps as expected');
  }, 60_000);
});
