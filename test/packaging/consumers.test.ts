import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// These tests use the BUILT packages (dist/), exactly as a plain Node 20 project would, with no bundler
// and no TypeScript: `pnpm test` builds before it runs them.
const root = resolve(import.meta.dirname, '../..');
const packages = ['core', 'express', 'testing'] as const;
let project: string;

function run(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 30_000 });
}

beforeAll(() => {
  for (const name of packages) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.cjs'))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` (pnpm test does it first)`);
    }
  }
  project = mkdtempSync(join(tmpdir(), 'scopeguard-consumer-'));
  mkdirSync(join(project, 'node_modules', '@scopeguard'), { recursive: true });
  for (const name of packages) {
    symlinkSync(join(root, 'packages', name), join(project, 'node_modules', '@scopeguard', name), 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

const script = (load: string) => `
${load}
const issuer = await createTestIssuer();
try {
  const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
  const good = await verifier.verify(await issuer.mint({ scp: ['customScope'] }));
  let refused;
  try { await verifier.verify(await issuer.mint({ aud: 'api://other' })); } catch (e) { refused = e; }
  console.log(JSON.stringify({
    scopes: good.scopes,
    refused: refused instanceof TokenError ? refused.code : String(refused),
    middleware: typeof requireScope('customScope'),
  }));
} finally {
  await issuer.close();
}
`;

describe('the built packages in a plain Node project', () => {
  it('load with require() from a CommonJS consumer', () => {
    const file = join(project, 'consumer.cjs');
    writeFileSync(
      file,
      `(async () => {${script(`
const { createVerifier, TokenError } = require('@scopeguard/core');
const { requireScope } = require('@scopeguard/express');
const { createTestIssuer } = require('@scopeguard/testing');`)}})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expect(JSON.parse(run(file))).toEqual({
      scopes: ['customScope'],
      refused: 'audience_invalid',
      middleware: 'function',
    });
  });

  it('load with import from an ES module consumer', () => {
    const file = join(project, 'consumer.mjs');
    writeFileSync(
      file,
      script(`
import { createVerifier, TokenError } from '@scopeguard/core';
import { requireScope } from '@scopeguard/express';
import { createTestIssuer } from '@scopeguard/testing';`),
    );
    expect(JSON.parse(run(file))).toEqual({
      scopes: ['customScope'],
      refused: 'audience_invalid',
      middleware: 'function',
    });
  });

  it('print key events to stderr with NODE_DEBUG=scopeguard, never the token', () => {
    const file = join(project, 'debug.mjs');
    writeFileSync(
      file,
      `import { createVerifier } from '@scopeguard/core';
import { createTestIssuer } from '@scopeguard/testing';
const issuer = await createTestIssuer();
const token = await issuer.mint();
await createVerifier({ issuer: issuer.issuer, audience: 'api://default' }).verify(token);
await issuer.close();
console.log(token);`,
    );
    const result = spawnSync(process.execPath, [file], {
      cwd: project,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NODE_DEBUG: 'scopeguard' },
    });
    expect(result.status).toBe(0);
    const token = result.stdout.trim();
    expect(result.stderr).toMatch(/^SCOPEGUARD \d+: discovery_completed /m);
    expect(result.stderr).toMatch(/^SCOPEGUARD \d+: jwks_fetched /m);
    expect(result.stderr).not.toContain(token.split('.')[1]);
    expect(result.stderr).not.toContain(token.split('.')[2]);
  });

  it('ship type declarations for both module systems', () => {
    for (const name of packages) {
      for (const file of ['index.d.ts', 'index.d.cts', 'index.js', 'index.cjs']) {
        expect(existsSync(join(root, 'packages', name, 'dist', file)), `${name}/dist/${file}`).toBe(true);
      }
    }
  });
});
