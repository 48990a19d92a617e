import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createVerifier } from '@scopeguard/core';
import { describe, expect, it } from 'vitest';
import { readJson, root, run } from './workspace.js';

// `pnpm demo` must show the demo first: the build's 100+ lines of tsup output are held back unless the
// build fails. (The build itself is not rerun here: other tests read dist/ while this file runs.)
const script = join(root, 'scripts', 'build-quietly.mjs');
const noisyBuild = (exitCode: number) => [
  process.execPath,
  '-e',
  `for (let i = 0; i < 120; i++) console.log('CJS dist/index.cjs line ' + i); console.error('DTS error TS2322 in src/x.ts'); process.exit(${exitCode});`,
];

describe('scripts/build-quietly.mjs', () => {
  it('prints one line instead of the build output when the build succeeds', async () => {
    const result = await run(process.execPath, [script, ...noisyBuild(0)], { cwd: root });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toContain('done');
    expect(result.stdout + result.stderr).not.toMatch(/line (0|119)/);
    expect(result.stderr).toBe('');
  });

  it('prints the whole build output, errors included, and fails with its exit code when the build fails', async () => {
    const result = await run(process.execPath, [script, ...noisyBuild(3)], { cwd: root });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('CJS dist/index.cjs line 0');
    expect(result.stderr).toContain('CJS dist/index.cjs line 119');
    expect(result.stderr).toContain('DTS error TS2322 in src/x.ts');
    expect(result.stderr).toMatch(/failed \(exit code 3\)/);
  });

  it('fails loudly when the build command cannot even start', async () => {
    const result = await run(process.execPath, [script, join(root, 'no-such-command')], { cwd: root });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/could not start/);
  });
});

describe('the root scripts', () => {
  const scripts = readJson<{ scripts: Record<string, string> }>(join(root, 'package.json')).scripts;

  it.each(['demo', 'test'])('`pnpm %s` builds quietly before anything else runs', (name) => {
    // `pnpm test` may first make sure redis-server is there (scripts/ensure-redis-server.mjs); nothing
    // that prints build output runs before the quiet build.
    expect(scripts[name]).toMatch(
      /^(?:node scripts\/ensure-redis-server\.mjs && )?node scripts\/build-quietly\.mjs && /,
    );
    expect(scripts[name]).not.toMatch(/pnpm (?:-r )?build|tsup/);
  });

  it('`pnpm build` still builds every package, verbosely', () => {
    expect(scripts['build']).toBe('pnpm -r --filter "./packages/*" run build');
  });
});

describe('examples/demo-api/README.md', () => {
  it('states the issuer transport rule the verifier enforces: https:, or http: on a loopback host', () => {
    const readme = readFileSync(join(root, 'examples', 'demo-api', 'README.md'), 'utf8');
    const issuerRow = readme.split('\n').find((line) => line.startsWith('| `SCOPEGUARD_ISSUER`'));
    expect(issuerRow).toBeDefined();
    expect(issuerRow).not.toMatch(/`https:` only/);
    expect(issuerRow).toMatch(/`http:` on a loopback host/);
    // ...which is what createVerifier does.
    const audience = 'api://default';
    expect(() => createVerifier({ issuer: 'http://127.0.0.1:8080/oauth2/default', audience })).not.toThrow();
    expect(() => createVerifier({ issuer: 'http://localhost:8080/oauth2/default', audience })).not.toThrow();
    expect(() => createVerifier({ issuer: 'http://example.com/oauth2/default', audience })).toThrow(
      ConfigError,
    );
  });
});
