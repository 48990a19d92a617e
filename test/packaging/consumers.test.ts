import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  installConsumer,
  linkWorkspacePackage,
  packAll,
  publishedPackages,
  run,
  SOURCE_CONDITION,
  workspaceBin,
  workspaceVersion,
} from './workspace.js';

// A registry user's project: the packed tarballs installed by npm (not workspace links) into one throwaway
// npm project, consumed from every kind of runner: plain Node (CommonJS and ESM), TypeScript under
// `nodenext`, `node16` (CommonJS declarations) and `bundler` with `skipLibCheck: false`, Jest with
// CommonJS, and vitest. The runners are the workspace's own (typescript, jest, vitest), run by path.
const names = publishedPackages().map((pkg) => pkg.manifest.name);
let work: string;
let project: string;

/** The environment of a child runner, without the variables of the vitest that runs this file. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env))
    if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
  return env;
}

function node(args: string[], env?: NodeJS.ProcessEnv) {
  return run(process.execPath, args, { cwd: project, env: cleanEnv(env) });
}

function write(file: string, text: string): string {
  const path = join(project, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'scopeguard-consumer-'));
  project = join(work, 'project');
  const tarballs = packAll(work);
  installConsumer(project, tarballs, {
    '@types/node': workspaceVersion('@types/node') ?? '20',
    '@types/express': workspaceVersion('@types/express') ?? '5',
  });
  linkWorkspacePackage(project, 'vitest');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What every consumer below does through the three packages; it prints one JSON line. */
const scenario = `
const issuer = await createTestIssuer();
try {
  const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
  const good = await verifier.verify(await issuer.mint({ scp: ['customScope'] }));
  let refused: unknown;
  try {
    await verifier.verify(await issuer.mint({ aud: 'api://other' }));
  } catch (error) {
    refused = error;
  }
  const kid: string | undefined = issuer.publicJwks().keys[0]?.kid;
  console.log(JSON.stringify({
    scopes: good.scopes,
    refused: refused instanceof TokenError ? refused.code : String(refused),
    middleware: typeof requireScope('customScope'),
    kid: typeof kid,
  }));
} finally {
  await issuer.close();
}
`;
const expected = {
  scopes: ['customScope'],
  refused: 'audience_invalid',
  middleware: 'function',
  kid: 'string',
};
/** The scenario as plain JavaScript (the TypeScript annotations removed). */
const scenarioJs = scenario
  .replace('let refused: unknown;', 'let refused;')
  .replace(': string | undefined', '');
const imports = `
import { createVerifier, TokenError } from '@scopeguard/core';
import { requireScope } from '@scopeguard/express';
import { createTestIssuer } from '@scopeguard/testing';
`;
const requires = `
const { createVerifier, TokenError } = require('@scopeguard/core');
const { requireScope } = require('@scopeguard/express');
const { createTestIssuer } = require('@scopeguard/testing');
`;
/** Imports every published package, so a new package is typechecked and loaded too. */
const importAll = names.map((name, index) => `import * as package${index} from '${name}';`).join('\n');
const everyPackage = `[${names.map((_, index) => `package${index}`).join(', ')}]`;

describe('the packed packages in a plain Node project', { timeout: 180_000 }, () => {
  it('load with require() from a CommonJS consumer', () => {
    const file = write(
      'consumer.cjs',
      `${requires}(async () => {${scenarioJs}})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    const result = node([file]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it('load with import from an ES module consumer', () => {
    const result = node([write('consumer.mjs', `${imports}${scenarioJs}`)]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it.each(['source', SOURCE_CONDITION])(
    'resolve to shipped files under `node --conditions=%s`, with import and require',
    (condition) => {
      const file = write(
        `conditions-${condition.replace(/\W/g, '-')}.mjs`,
        `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const loaded = [];
for (const name of ${JSON.stringify(names)}) {
  const imported = await import(name);
  const required = require(name);
  loaded.push([name, Object.keys(imported).length > 0 && Object.keys(required).length > 0]);
}
console.log(JSON.stringify(loaded));`,
      );
      const result = node([`--conditions=${condition}`, file]);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual(names.map((name) => [name, true]));
    },
  );

  it('print key events to stderr with NODE_DEBUG=scopeguard, never the token', () => {
    const file = write(
      'debug.mjs',
      `import { createVerifier } from '@scopeguard/core';
import { createTestIssuer } from '@scopeguard/testing';
const issuer = await createTestIssuer();
const token = await issuer.mint();
await createVerifier({ issuer: issuer.issuer, audience: 'api://default' }).verify(token);
await issuer.close();
console.log(token);`,
    );
    const result = node([file], { NODE_DEBUG: 'scopeguard' });
    expect(result.status).toBe(0);
    const token = result.stdout.trim();
    expect(result.stderr).toMatch(/^SCOPEGUARD \d+: discovery_completed /m);
    expect(result.stderr).toMatch(/^SCOPEGUARD \d+: jwks_fetched /m);
    expect(result.stderr).not.toContain(token.split('.')[1]);
    expect(result.stderr).not.toContain(token.split('.')[2]);
  });
});

describe('the packed packages from TypeScript, with skipLibCheck: false', { timeout: 180_000 }, () => {
  const tsc = workspaceBin('typescript/bin/tsc');
  // skipLibCheck: false checks every declaration file, ours included; skipDefaultLibCheck only skips
  // TypeScript's own lib.*.d.ts (a third of the time, and never where an error of ours could be).
  const compilerOptions = {
    target: 'ES2022',
    strict: true,
    skipLibCheck: false,
    skipDefaultLibCheck: true,
    esModuleInterop: true,
    types: ['node'],
    rootDir: 'typescript',
  };
  const express = `
const app = express();
app.use(authenticate({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
app.get('/messages', requireScope('customScope'), (req, res) => {
  res.json({ client: req.auth?.clientId, scopes: req.auth?.scopes });
});
export const typedModules: unknown[] = ${everyPackage};
`;
  const typedImports = `${imports}import { authenticate } from '@scopeguard/express';
import express from 'express';
${importAll}
`;

  function compileAndRun(config: string, options: Record<string, unknown>, files: string[]) {
    write(
      config,
      JSON.stringify({
        compilerOptions: { ...compilerOptions, ...options },
        files: files.map((f) => `typescript/${f}`),
      }),
    );
    const compiled = run(process.execPath, [tsc, '-p', config], { cwd: project });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
  }

  it('typecheck, compile and run as ES modules under module: nodenext', () => {
    write('typescript/esm.mts', `${typedImports}${express}${scenario}`);
    compileAndRun('tsconfig.esm.json', { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' }, [
      'esm.mts',
    ]);
    const result = node(['out/esm.mjs']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it('typecheck, compile and run as CommonJS under module: node16 (the .d.cts declarations)', () => {
    write(
      'typescript/cjs.cts',
      `${typedImports}${express}\nasync function main(): Promise<void> {${scenario}}\nvoid main();\n`,
    );
    compileAndRun('tsconfig.cjs.json', { module: 'node16', moduleResolution: 'node16', outDir: 'out' }, [
      'cjs.cts',
    ]);
    const result = node(['out/cjs.cjs']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it('typecheck under moduleResolution: bundler', () => {
    write('typescript/bundler.ts', `${typedImports}${express}${scenario}`);
    compileAndRun('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler', noEmit: true }, [
      'bundler.ts',
    ]);
  });
});

describe('the packed packages under test runners', { timeout: 180_000 }, () => {
  it('load in Jest with CommonJS (Jest has its own module loader: no require of ES modules)', () => {
    write(
      'jest.config.cjs',
      `module.exports = { rootDir: __dirname, testEnvironment: 'node', testMatch: ['<rootDir>/jest/**/*.test.cjs'], cacheDirectory: '<rootDir>/.jest-cache' };\n`,
    );
    write(
      'jest/consumer.test.cjs',
      `${requires}
test.each(${JSON.stringify(names)})('%s loads with require()', (name) => {
  expect(Object.keys(require(name)).length).toBeGreaterThan(0);
});
test('verifies a token minted by the test issuer', async () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  ${scenarioJs.replace(/\n/g, '\n  ')}
  expect(JSON.parse(log.mock.calls[0][0])).toEqual(${JSON.stringify(expected)});
});
`,
    );
    const result = node([workspaceBin('jest/bin/jest.js'), '--ci', '--config', 'jest.config.cjs']);
    expect(result.stderr).toMatch(
      new RegExp(`Tests:\\s+${names.length + 1} passed, ${names.length + 1} total`),
    );
    expect(result.status).toBe(0);
  });

  it.each<[string, { conditions?: string[] }]>([
    ['its default conditions', {}],
    ['the "source" condition enabled, as in Vite setups that read sources', { conditions: ['source'] }],
  ])('load in vitest with %s', (_, resolve) => {
    write(
      'vitest/consumer.test.mjs',
      `import { expect, it } from 'vitest';
${imports}
it.each(${JSON.stringify(names)})('%s loads with import', async (name) => {
  expect(Object.keys(await import(name)).length).toBeGreaterThan(0);
});
it('verifies a token minted by the test issuer', async () => {
  const log = [];
  const console = { log: (line) => log.push(line) };
  ${scenarioJs.replace(/\n/g, '\n  ')}
  expect(JSON.parse(log[0])).toEqual(${JSON.stringify(expected)});
});
`,
    );
    const config = {
      resolve,
      ssr: { resolve: { ...resolve, externalConditions: resolve.conditions ?? [] } },
    };
    write(
      'vitest.config.mjs',
      `export default ${JSON.stringify({ ...config, test: { include: ['vitest/**/*.test.mjs'] } })};\n`,
    );
    const result = node([workspaceBin('vitest/vitest.mjs'), 'run', '--config', 'vitest.config.mjs'], {
      CI: '1',
      NO_COLOR: '1',
    });
    expect(result.stdout + result.stderr).toMatch(
      new RegExp(`Tests\\s+${names.length + 1} passed \\(${names.length + 1}\\)`),
    );
    expect(result.status).toBe(0);
  });
});
