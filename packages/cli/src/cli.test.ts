import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createVerifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// These tests run the BUILT binary (dist/cli.js) as a child process, as `npx scopeguard` would: `pnpm test`
// builds first. Every issuer listens on 127.0.0.1, port 0. Timeouts are generous only because each test spawns
// several Node processes on a shared machine; nothing asserts on time.
const bin = resolve(import.meta.dirname, '../dist/cli.js');
const demoClients = resolve(import.meta.dirname, '../../../examples/demo-api/dev-clients.json');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no colour settings, no SCOPEGUARD_* and no NODE_OPTIONS inherited from the runner. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...extra };
}

function run(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { env: cleanEnv(options.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

let issuer: TestIssuer;
beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error('packages/cli is not built: run `pnpm build` (pnpm test does it first)');
  issuer = await createTestIssuer({ kid: 'k1' });
});
afterAll(async () => {
  await issuer?.close();
});

const config = () => ['--issuer', issuer.issuer, '--audience', 'api://default'];
const ESC = '\u001b[';

/** The output never holds the token or its signature. */
function expectNoToken(result: Result, token: string) {
  const all = result.stdout + result.stderr;
  expect(all).not.toContain(token);
  expect(all).not.toContain(token.split('.')[2]);
}

describe('scopeguard: help and version', () => {
  it('prints the top-level help with every command, and the version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['explain', 'doctor', 'dev-server']) expect(help.stdout).toContain(command);
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8'));
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('prints --help for every command, and exits 2 on an unknown command or flag', async () => {
    for (const command of ['explain', 'doctor', 'dev-server']) {
      const result = await run([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: scopeguard ${command}`);
      expect(result.stdout).toContain('Exit codes');
    }
    expect((await run(['dev-server', '--help'])).stdout).toContain('secrets');
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badFlag = await run(['explain', 'x', '--audeince', 'a']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--audeince');
  });
});

describe.concurrent('scopeguard explain', { timeout: 60_000 }, () => {
  it('accepts a good token: every step passes, exit 0', async () => {
    const token = await issuer.mint({ scp: ['customScope'], cid: 'svc' });
    const result = await run(['explain', token, ...config(), '--scope', 'customScope']);
    expect(result.code).toBe(0);
    for (const step of [
      'parse',
      'alg',
      'discovery',
      'key',
      'signature',
      'iss',
      'aud',
      'exp',
      'cid / client_id',
      'scopes',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`✓ ${step.replace('/', '\\/')}\\s`));
    }
    expect(result.stdout).toContain('– nbf');
    // One hour from minting: "1 h" when the CLI reads the clock within the second it was minted, else "59 min …".
    expect(result.stdout).toMatch(/✓ exp\s+expires in (?:59 min|1 h\s)/);
    expect(result.stdout).toContain('✓ accepted');
    expect(result.stdout).not.toContain(ESC); // piped: plain
    expectNoToken(result, token);
  });

  it('refuses an expired token with its code, the time past and the fix: exit 1', async () => {
    const token = await issuer.mint({}, { expiresIn: -180 });
    const result = await run(['explain', token, ...config()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ exp\s+expired 3 min( \d+ s)? ago/);
    expect(result.stdout).toContain('✗ refused: token_expired');
    expect(result.stdout).toContain('token expired 18');
    expect(result.stdout).toContain('fix: request a new token');
    expectNoToken(result, token);
  });

  it('refuses a token for another audience and says which audience to configure: exit 1', async () => {
    const token = await issuer.mint({ aud: 'api://other' });
    const result = await run(['explain', token, ...config()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ aud\s+aud "api:\/\/other" is not "api:\/\/default"/);
    expect(result.stdout).toContain('✗ refused: audience_invalid');
    expect(result.stdout).toContain(
      'fix: the token was issued for "api://other"; configure --audience api://other, or request a token for this API (audience "api://default")',
    );
    expectNoToken(result, token);
  });

  it('lists every claim failure, and refuses a token without the scope asked for', async () => {
    const token = await issuer.mint({ aud: 'api://other', scp: ['read'] }, { expiresIn: -60 });
    const result = await run(['explain', token, ...config(), '--scope', 'write']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ refused: audience_invalid');
    expect(result.stdout).toContain('also token_expired (exp)');
    expect(result.stdout).toContain('also insufficient_scope (scopes)');
    expect(result.stdout).toContain('scope=write');
  });

  it('reads the token from stdin with -, ignoring whitespace and a leading "Bearer "', async () => {
    const token = await issuer.mint();
    const result = await run(['explain', '-', ...config()], { input: `\n  Bearer ${token}\n\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ accepted');
    expectNoToken(result, token);
  });

  it('gives a machine-readable result with --json', async () => {
    const token = await issuer.mint({ aud: 'api://other' });
    const result = await run(['explain', '-', ...config(), '--json'], { input: token });
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      accepted: false,
      outcome: 'refused',
      exitCode: 1,
      error: { code: 'audience_invalid', claim: 'aud', message: 'aud "api://other" is not "api://default"' },
      header: { alg: 'RS256', kid: 'k1' },
      claims: { aud: 'api://other', iss: issuer.issuer },
      config: {
        issuer: issuer.issuer,
        audience: ['api://default'],
        jwksUri: issuer.jwksUri,
        algorithms: ['RS256'],
      },
    });
    expect(json.error.hint).toContain('--audience api://other');
    expect(Object.keys(json).sort()).toEqual(
      ['accepted', 'checkedAt', 'claims', 'config', 'error', 'exitCode', 'header', 'outcome', 'steps'].sort(),
    );
    expect(json.steps[0]).toEqual({
      step: 'parse',
      label: 'parse',
      status: 'pass',
      detail: expect.any(String),
    });
    expect(json.steps.find((s: { step: string }) => s.step === 'aud')).toMatchObject({
      status: 'fail',
      error: { code: 'audience_invalid', claim: 'aud' },
      hint: expect.stringContaining('api://other'),
    });
    for (const step of json.steps) expect(['pass', 'fail', 'skip']).toContain(step.status);
    expectNoToken(result, token);

    const good = await run(['explain', '-', ...config(), '--json'], { input: await issuer.mint() });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      accepted: true,
      outcome: 'accepted',
      exitCode: 0,
      error: null,
    });
  });

  it('exits 3, "could not check", when the keys cannot be loaded', async () => {
    const down = await createTestIssuer();
    try {
      down.setJwksFault({ kind: 'status', status: 503 });
      const token = await down.mint();
      const result = await run(['explain', token, '--issuer', down.issuer, '--audience', 'api://default']);
      expect(result.code).toBe(3);
      expect(result.stdout).toContain('could not check: jwks_unavailable');
      expect(result.stdout).toContain('scopeguard doctor --issuer');
    } finally {
      await down.close();
    }
  });

  it('points at the trailing slash when discovery fails on it, and at scopeguard doctor', async () => {
    const token = await issuer.mint();
    const result = await run([
      'explain',
      token,
      '--issuer',
      `${issuer.issuer}/`,
      '--audience',
      'api://default',
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/✗ discovery\s+.*metadata "issuer" is/);
    expect(result.stdout).toContain(`configure --issuer ${issuer.issuer}. To see why: scopeguard doctor`);
    expectNoToken(result, token);
  });

  it('exits 2 on a usage or configuration error', async () => {
    const noAudience = await run(['explain', 'x', '--issuer', issuer.issuer]);
    expect(noAudience.code).toBe(2);
    expect(noAudience.stderr).toContain('--audience is required');
    const plainHttp = await run(['explain', 'x', '--issuer', 'http://issuer.example', '--audience', 'a']);
    expect(plainHttp.code).toBe(2);
    expect(plainHttp.stderr).toContain('invalid configuration: issuer: must use https:');
    const empty = await run(['explain', '-', ...config()], { input: '  \n' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('stdin is empty');
  });

  it('takes the configuration from SCOPEGUARD_ISSUER and SCOPEGUARD_AUDIENCE', async () => {
    const result = await run(['explain', '-'], {
      input: await issuer.mint(),
      env: { SCOPEGUARD_ISSUER: issuer.issuer, SCOPEGUARD_AUDIENCE: 'api://x,api://default' },
    });
    expect(result.code).toBe(0);
  });

  it('colours on FORCE_COLOR=1 or --color, and stays plain with NO_COLOR=1 or FORCE_COLOR=0', async () => {
    const token = await issuer.mint();
    const forced = await run(['explain', token, ...config()], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain(`${ESC}32m✓${ESC}39m`);
    const flag = await run(['explain', token, ...config(), '--color']);
    expect(flag.stdout).toContain(`${ESC}32m✓`);
    const plainEnvs: Record<string, string>[] = [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }, {}];
    for (const env of plainEnvs) {
      const plain = await run(['explain', token, ...config()], { env });
      expect(plain.code).toBe(0);
      expect(plain.stdout).not.toContain(ESC);
      expect(plain.stdout).toContain('✓ accepted');
    }
  });

  it('prints no control character from a hostile claim', async () => {
    const token = await issuer.mint({ aud: 'api://\u001b]0;pwned\u0007\u009b31m' });
    const result = await run(['explain', token, ...config()], { env: { FORCE_COLOR: '1' } });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('\u0007');
    expect(result.stdout).not.toContain('\u009b');
    expect(result.stdout).not.toContain(`${ESC}]0;`);
  });
});

describe.concurrent('scopeguard doctor', { timeout: 60_000 }, () => {
  it('reports a healthy issuer: discovery, the JWKS answer and its cache headers, the keys: exit 0', async () => {
    const healthy = await createTestIssuer({
      kid: 'k1',
      jwksHeaders: { 'cache-control': 'max-age=300, must-revalidate', etag: '"v1"' },
    });
    try {
      await healthy.addKey({ kid: 'k2' });
      const result = await run(['doctor', '--issuer', healthy.issuer]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`✓ GET ${healthy.metadataUrl}  200, application/json`);
      expect(result.stdout).toContain(`metadata "issuer" is "${healthy.issuer}", as configured`);
      expect(result.stdout).toContain(`✓ GET ${healthy.jwksUri}  200, application/json`);
      expect(result.stdout).toContain(
        'cache-control: "max-age=300, must-revalidate"  expires: (none)  etag: "\\"v1\\""',
      );
      expect(result.stdout).toContain('✓ kid "k1"  RSA, 2048 bits, alg "RS256", use "sig"  → verifies RS256');
      expect(result.stdout).toContain('would accept RS256 tokens signed with kid "k1", "k2"');
    } finally {
      await healthy.close();
    }
  });

  it('says to drop the trailing slash when that is all that differs from the metadata issuer: exit 1', async () => {
    const result = await run(['doctor', '--issuer', `${issuer.issuer}/`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `✗ metadata "issuer" is "${issuer.issuer}", the configured issuer is "${issuer.issuer}/"`,
    );
    expect(result.stdout).toContain(
      `fix: the issuer's metadata says "${issuer.issuer}", without the trailing slash; configure that: --issuer ${issuer.issuer}`,
    );
  });

  it('says the issuer publishes only ES256 when RS256 is allowed, and what to allow: exit 1', async () => {
    const es = await createTestIssuer({ algorithm: 'ES256', kid: 'e1' });
    try {
      const result = await run(['doctor', '--issuer', es.issuer]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        '✗ kid "e1"  EC, P-256, alg "ES256", use "sig"  ignored: alg ES256 is not in the allowed algorithms (RS256)',
      );
      expect(result.stdout).toContain(
        'would refuse every token: no key for RS256 — the issuer publishes only ES256',
      );
      expect(result.stdout).toContain("fix: allow the issuer's algorithm: --alg ES256");
      expect((await run(['doctor', '--issuer', es.issuer, '--alg', 'ES256'])).code).toBe(0);
    } finally {
      await es.close();
    }
  });

  it('says the JWKS URL answers 404: exit 1; and exits 3 when the issuer is down', async () => {
    const broken = await createTestIssuer();
    try {
      broken.setJwksFault({ kind: 'status', status: 404 });
      const notFound = await run(['doctor', '--issuer', broken.issuer]);
      expect(notFound.code).toBe(1);
      expect(notFound.stdout).toContain(`✗ GET ${broken.jwksUri}  404`);
      expect(notFound.stdout).toContain('fix: the JWKS URL answers HTTP 404');
      broken.setJwksFault({ kind: 'status', status: 503 });
      const down = await run(['doctor', '--issuer', broken.issuer, '--json']);
      expect(down.code).toBe(3);
      expect(JSON.parse(down.stdout)).toMatchObject({
        canVerify: false,
        problem: 'unreachable',
        exitCode: 3,
      });
    } finally {
      await broken.close();
    }
  });
});

/** Splits a one-line shell command into words (single quotes, double quotes, bare words). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Does what the printed curl does, with fetch: --url, --user, --header, --data, --data-urlencode. */
async function fetchLikeCurl(line: string): Promise<Response> {
  const words = shellWords(line.trim());
  expect(words.slice(0, 4)).toEqual(['curl', '--silent', '--request', 'POST']);
  let url = '';
  const headers = new Headers();
  const data: string[] = [];
  for (let i = 4; i < words.length; i += 2) {
    const [flag, value] = [words[i], words[i + 1]!];
    if (flag === '--url') url = value;
    else if (flag === '--user')
      headers.set('authorization', `Basic ${Buffer.from(value).toString('base64')}`);
    else if (flag === '--header')
      headers.set(value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1).trim());
    else if (flag === '--data') data.push(value);
    else if (flag === '--data-urlencode') {
      const eq = value.indexOf('=');
      data.push(`${value.slice(0, eq)}=${encodeURIComponent(value.slice(eq + 1))}`);
    } else throw new Error(`unexpected curl flag ${flag}`);
  }
  headers.set('content-type', 'application/x-www-form-urlencoded');
  return fetch(url, { method: 'POST', headers, body: data.join('&') });
}

/** Starts `scopeguard dev-server`, resolving once it has printed everything (its "Listening on" line). */
function startDevServer(
  args: string[],
): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'dev-server', ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((done) => child.on('close', done));
  return new Promise((ready, fail) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('Ctrl-C stops the server.')) ready({ child, output: () => stdout, exited });
    });
    void exited.then((code) => fail(new Error(`dev-server exited with ${code}: ${stderr}${stdout}`)));
  });
}

describe('scopeguard dev-server', { timeout: 60_000 }, () => {
  it('serves the demo clients on a free port; the printed curl gets a token that verifies; Ctrl-C stops it cleanly', async () => {
    const server = await startDevServer(['--port', '0', '--clients', demoClients]);
    try {
      const out = server.output();
      const issuerUrl = /^ {2}issuer {4}(\S+)$/m.exec(out)?.[1];
      const port = Number(/^ {2}port {6}(\d+)$/m.exec(out)?.[1]);
      expect(issuerUrl).toBe(`http://127.0.0.1:${port}/oauth2/default`);
      expect(port).toBeGreaterThan(0);
      expect(out).toContain(`SCOPEGUARD_ISSUER=${issuerUrl} SCOPEGUARD_AUDIENCE=api://default`);
      expect(out).toContain('# skipped demo-writer-jwt: private_key_jwt without a public key');

      const lines = out.split('\n');
      const curlAfter = (comment: string) => lines[lines.findIndex((l) => l.includes(`# ${comment}`)) + 1]!;
      const basic = curlAfter('demo-reader: client_secret_basic');
      expect(basic).toContain('--user demo-reader:dev-only-reader-secret-not-for-production');
      const response = await fetchLikeCurl(basic);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { access_token: string; scope: string };
      expect(body.scope).toBe('customScope');
      const verified = await createVerifier({ issuer: issuerUrl!, audience: 'api://default' }).verify(
        body.access_token,
      );
      expect(verified.clientId).toBe('demo-reader');
      expect(verified.scopes).toEqual(['customScope']);

      const post = await fetchLikeCurl(curlAfter('demo-no-scope: client_secret_post'));
      expect(post.status).toBe(200);
      expect(((await post.json()) as { scope: string }).scope).toBe('profile:read');

      // The printed explain line works on the token.
      const explained = await run(
        ['explain', '-', '--issuer', issuerUrl!, '--audience', 'api://default', '--scope', 'customScope'],
        {
          input: body.access_token,
        },
      );
      expect(explained.code).toBe(0);
    } finally {
      server.child.kill('SIGINT');
    }
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopped (SIGINT)');
  });

  it('registers one client with a secret made for this run when no clients file is given; --no-secrets hides it', async () => {
    const server = await startDevServer([]);
    try {
      const lines = server.output().split('\n');
      const line = lines[lines.findIndex((l) => l.includes('# dev-client: client_secret_basic')) + 1]!;
      expect(line).toMatch(/--user dev-client:[\w-]{32}/);
      const response = await fetchLikeCurl(line);
      expect(response.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);

    const hidden = await startDevServer(['--no-secrets', '--clients', demoClients]);
    try {
      expect(hidden.output()).toContain('--user demo-reader:"$CLIENT_SECRET"');
      expect(hidden.output()).not.toContain('dev-only-reader-secret');
    } finally {
      hidden.child.kill('SIGINT');
    }
    expect(await hidden.exited).toBe(0);
  });

  it('refuses to listen anywhere but on loopback', async () => {
    const result = await run(['dev-server', '--host', '0.0.0.0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--host must be a loopback address');
  });
});
