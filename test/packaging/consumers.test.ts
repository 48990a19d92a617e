import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { README_SNIPPETS, readmeSnippet, SNIPPET_DEPENDENCIES, snippetFile } from './readme-snippets.js';
import {
  assertBuilt,
  installConsumer,
  linkWorkspacePackage,
  packAll,
  publishedPackages,
  readJson,
  root,
  run,
  SOURCE_CONDITION,
  type Tarball,
  workspaceBin,
  type WorkspacePackage,
  workspaceVersion,
} from './workspace.js';

// Registry users' projects: the packed tarballs installed by npm (not workspace links) into throwaway npm
// projects, consumed from every kind of runner: plain Node (CommonJS and ESM), TypeScript under
// `nodenext`, `node16` (the CommonJS declarations) and `bundler` with `skipLibCheck: false`, Jest with
// CommonJS, vitest, and the oldest Express 4 the peer range claims. The runners are the workspace's own
// (typescript, jest, vitest), run by path. Tests are concurrent: their child processes overlap.
const names = publishedPackages().map((pkg) => pkg.manifest.name);

/** True when the package `name`, as installed for `pkg`, ships only ES modules (no CommonJS entry at all). */
function isEsmOnly(pkg: WorkspacePackage, name: string): boolean {
  const file = [
    join(root, pkg.dir, 'node_modules', name, 'package.json'),
    join(root, 'node_modules', name, 'package.json'),
  ].find(existsSync);
  if (file === undefined) return false;
  const manifest = readJson(realpathSync(file));
  return (
    manifest['type'] === 'module' &&
    !JSON.stringify(manifest['exports'] ?? {}).includes('"require"') &&
    !String(manifest['main'] ?? '').endsWith('.cjs')
  );
}

/**
 * The packages a CommonJS runtime without `require()` of ES modules (Jest's own loader before Node 24.9) and
 * TypeScript's `node16` CommonJS mode (TS1479) can load: all but those whose framework peer ships only ES modules
 * (NestJS 12's `@nestjs/common`), which their users cannot load there either. Every other check covers every package.
 */
const cjsNames = publishedPackages()
  .filter(
    (pkg) =>
      !Object.keys((pkg.manifest['peerDependencies'] ?? {}) as Record<string, string>).some((peer) =>
        isEsmOnly(pkg, peer),
      ),
  )
  .map((pkg) => pkg.manifest.name);
let work: string;
/** Every tarball, Express 5 (the workspace's version), @types/express 5. */
let project: string;
/** Every tarball, the oldest Express 4 the peer range claims, @types/express 4.17. */
let express4Project: string;
let express4Version: string;
let expressTarball: Tarball;

/** An Express 4 version we promise to support: the peer range must admit it (or older). */
const EXPRESS_4_FLOOR = '4.17.0';
const TYPES_EXPRESS_4 = '4.17.25';

/** The environment of a child runner, without the variables of the vitest that runs this file. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env))
    if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
  return env;
}

function node(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  return run(process.execPath, args, {
    cwd: options.cwd ?? project,
    env: cleanEnv(options.env),
    timeout: options.timeout ?? 120_000,
  });
}

/**
 * Time allowed to one `tsc` run and to a test that runs one. A whole-program check with
 * `skipLibCheck: false` takes 100–130 s on the shared 2-core machine while the other consumers run, so
 * it gets more than the default; a kill at this limit is a hang, not a verdict.
 */
const TSC_TIMEOUT = 270_000;

function write(file: string, text: string, base = project): string {
  const path = join(base, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** The lowest Express 4 version a peer range admits (`^4.17.0 || ^5.0.0` → `4.17.0`). */
function oldestExpress4(range: string): string {
  const comparator = range
    .split('||')
    .map((part) => part.trim())
    .find((part) => /^(\^|>=|~)?4\./.test(part));
  if (!comparator || comparator.includes(' ')) {
    throw new Error(`cannot read the oldest Express 4 version from the peer range "${range}"`);
  }
  return comparator.replace(/^(\^|>=|~)/, '');
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let index = 0; index < 3; index += 1) {
    const difference = (x?.[index] ?? 0) - (y?.[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The version the workspace installed of `name` (the project then installs it from npm's cache). */
function pinnedWorkspaceVersion(name: string): string {
  const version = workspaceVersion(name);
  if (version === undefined) throw new Error(`${name} is not installed in the workspace`);
  return version;
}

beforeAll(async () => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'scopeguard-consumer-'));
  project = join(work, 'project');
  express4Project = join(work, 'express4');
  const tarballs = packAll(work);
  const found = tarballs.find((tarball) => tarball.name === '@scopeguard/express');
  if (!found) throw new Error('no @scopeguard/express tarball');
  expressTarball = found;
  express4Version = oldestExpress4(
    (found.manifest['peerDependencies'] as Record<string, string>)['express'] ?? '',
  );
  const typesNode = workspaceVersion('@types/node') ?? '20';
  await Promise.all([
    installConsumer(project, tarballs, {
      '@types/node': typesNode,
      '@types/express': workspaceVersion('@types/express') ?? '5',
      // @types/koa (the optional peer of @scopeguard/koa) types `ctx.attachment` with
      // `import * as contentDisposition from 'content-disposition'`, meaning @types/content-disposition.
      // Express 5.3 depends on content-disposition 2, which ships its own, different types; hoisted to the
      // top, it wins that import and @types/koa fails to typecheck under skipLibCheck: false (a clash of two
      // third-party packages, not of ours). Koa's own content-disposition 1.0 at the top keeps it apart.
      'content-disposition': '1.0.1',
      // What the README snippets import besides the frameworks (@koa/router, @hono/node-server, Nest's platform).
      ...Object.fromEntries(SNIPPET_DEPENDENCIES.map((name) => [name, pinnedWorkspaceVersion(name)])),
    }),
    // npm refuses (ERESOLVE) an express outside the peer range, so this install is itself a check.
    installConsumer(express4Project, tarballs, {
      express: express4Version,
      '@types/express': TYPES_EXPRESS_4,
      '@types/node': typesNode,
    }),
  ]);
  linkWorkspacePackage(project, 'vitest');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

/** What the consumers below do through the three packages; it prints one JSON line. */
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
/** Imports every published package (of `list`), so a new package is typechecked and loaded too. */
const importAll = (list: readonly string[]) =>
  list.map((name, index) => `import * as package${index} from '${name}';`).join('\n');
const everyPackage = (list: readonly string[]) => `[${list.map((_, index) => `package${index}`).join(', ')}]`;

// One concurrent group: up to vitest's maxConcurrency (5) consumers run at once, on both cores.
describe.concurrent("registry users' projects", () => {
  describe.concurrent('the packed packages in a plain Node project', { timeout: 180_000 }, () => {
    it('load with require() from a CommonJS consumer', async ({ expect }) => {
      const file = write(
        'consumer.cjs',
        `${requires}(async () => {${scenarioJs}})().catch((e) => { console.error(e); process.exit(1); });`,
      );
      const result = await node([file]);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual(expected);
    });

    it('load with import from an ES module consumer', async ({ expect }) => {
      const result = await node([write('consumer.mjs', `${imports}${scenarioJs}`)]);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual(expected);
    });

    it.for(['source', SOURCE_CONDITION])(
      'resolve to shipped files under `node --conditions=%s`, with import and require',
      async (condition, { expect }) => {
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
        const result = await node([`--conditions=${condition}`, file]);
        expect(result.stderr).toBe('');
        expect(JSON.parse(result.stdout)).toEqual(names.map((name) => [name, true]));
      },
    );

    it('print key events to stderr with NODE_DEBUG=scopeguard, never the token', async ({ expect }) => {
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
      const result = await node([file], { env: { NODE_DEBUG: 'scopeguard' } });
      expect(result.status).toBe(0);
      const token = result.stdout.trim();
      expect(result.stderr).toMatch(/^SCOPEGUARD \d+: discovery_completed /m);
      expect(result.stderr).toMatch(/^SCOPEGUARD \d+: jwks_fetched /m);
      expect(result.stderr).not.toContain(token.split('.')[1]);
      expect(result.stderr).not.toContain(token.split('.')[2]);
    });
  });

  describe.concurrent('the packed packages from TypeScript, with skipLibCheck: false', {
    timeout: TSC_TIMEOUT + 30_000,
  }, () => {
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
    const express = (list: readonly string[] = names) => `
  const app = express();
  app.use(authenticate({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
  app.get('/messages', requireScope('customScope'), (req, res) => {
    res.json({ client: req.auth?.clientId, scopes: req.auth?.scopes });
  });
  export const typedModules: unknown[] = ${everyPackage(list)};
  `;
    const typedImports = (
      list: readonly string[] = names,
    ) => `${imports}import { authenticate } from '@scopeguard/express';
  import express from 'express';
  ${importAll(list)}
  `;

    /** Runs tsc on one file of `project/typescript`; resolves with everything tsc printed. */
    async function tsc(config: string, options: Record<string, unknown>, file: string): Promise<string> {
      write(
        config,
        JSON.stringify({
          compilerOptions: { ...compilerOptions, ...options },
          files: [`typescript/${file}`],
        }),
      );
      const result = await node([workspaceBin('typescript/bin/tsc'), '-p', config], { timeout: TSC_TIMEOUT });
      return `${result.stdout}${result.stderr}${result.status === 0 ? '' : `(exit ${result.status})`}`;
    }

    it('typecheck, compile and run as ES modules under module: nodenext', async ({ expect }) => {
      write('typescript/esm.mts', `${typedImports()}${express()}${scenario}`);
      expect(await tsc('tsconfig.esm.json', { module: 'nodenext', outDir: 'out' }, 'esm.mts')).toBe('');
      const result = await node(['out/esm.mjs']);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual(expected);
    });

    it('typecheck, compile and run as CommonJS under module: node16 (the .d.cts declarations)', async ({
      expect,
    }) => {
      write(
        'typescript/cjs.cts',
        `${typedImports(cjsNames)}${express(cjsNames)}\nasync function main(): Promise<void> {${scenario}}\nvoid main();\n`,
      );
      expect(await tsc('tsconfig.cjs.json', { module: 'node16', outDir: 'out' }, 'cjs.cts')).toBe('');
      const result = await node(['out/cjs.cjs']);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual(expected);
    });

    it('typecheck under moduleResolution: bundler', async ({ expect }) => {
      write('typescript/bundler.ts', `${typedImports()}${express()}${scenario}`);
      const options = { module: 'esnext', moduleResolution: 'bundler', noEmit: true };
      expect(await tsc('tsconfig.bundler.json', options, 'bundler.ts')).toBe('');
    });
  });

  describe.concurrent('the packed packages under test runners', { timeout: 180_000 }, () => {
    it('load in Jest with CommonJS (Jest has its own module loader: no require of ES modules)', async ({
      expect,
    }) => {
      write(
        'jest.config.cjs',
        `module.exports = { rootDir: __dirname, testEnvironment: 'node', testMatch: ['<rootDir>/jest/**/*.test.cjs'], cacheDirectory: '<rootDir>/.jest-cache', testTimeout: 60000 };\n`,
      );
      write(
        'jest/consumer.test.cjs',
        `${requires}
  test.each(${JSON.stringify(cjsNames)})('%s loads with require()', (name) => {
    expect(Object.keys(require(name)).length).toBeGreaterThan(0);
  });
  test('verifies a token minted by the test issuer', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    ${scenarioJs.replace(/\n/g, '\n  ')}
    expect(JSON.parse(log.mock.calls[0][0])).toEqual(${JSON.stringify(expected)});
  }, 60_000);
  `,
      );
      const result = await node([workspaceBin('jest/bin/jest.js'), '--ci', '--config', 'jest.config.cjs']);
      expect(result.stderr).toMatch(
        new RegExp(`Tests:\\s+${cjsNames.length + 1} passed, ${cjsNames.length + 1} total`),
      );
      expect(result.status).toBe(0);
    });

    it.for<[string, string, { conditions?: string[] }]>([
      ['its default conditions', 'default', {}],
      [
        'the "source" condition enabled, as in Vite setups that read sources',
        'source',
        { conditions: ['source'] },
      ],
    ])('load in vitest with %s', async ([, name, resolve], { expect }) => {
      write(
        `vitest-${name}/consumer.test.mjs`,
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
  }, 60_000);
  `,
      );
      const ssr = { resolve: { ...resolve, externalConditions: resolve.conditions ?? [] } };
      // Loading NestJS alone can take longer than the runners' default 5 s on a busy machine.
      const config = {
        resolve,
        ssr,
        test: { include: [`vitest-${name}/**/*.test.mjs`], testTimeout: 60_000 },
      };
      write(`vitest.${name}.config.mjs`, `export default ${JSON.stringify(config)};\n`);
      const result = await node(
        [workspaceBin('vitest/vitest.mjs'), 'run', '--config', `vitest.${name}.config.mjs`],
        {
          env: { CI: '1', NO_COLOR: '1' },
        },
      );
      const total = names.length + 1;
      expect(result.stdout + result.stderr).toMatch(new RegExp(`Tests\\s+${total} passed \\(${total}\\)`));
      expect(result.status).toBe(0);
    });
  });

  describe.concurrent('README snippets, as written, from the packed tarballs', {
    timeout: TSC_TIMEOUT + 30_000,
  }, () => {
    // Each snippet is copied byte for byte from its README into the project, compiled there with the
    // workspace's TypeScript against the published .d.ts (one tsc run for all, started by the first test),
    // and run under snippet-harness.mjs: the issuer the snippet names is served in-process and its port
    // moved to 0 (see that file). Nothing in the snippet's text is changed.
    const files = README_SNIPPETS.map((snippet) => `snippets/${snippetFile(snippet)}.mts`);
    let compiled: Promise<string> | undefined;
    function compileSnippets(): Promise<string> {
      compiled ??= (async () => {
        for (const [index, snippet] of README_SNIPPETS.entries()) {
          write(files[index] as string, readmeSnippet(snippet.readme, snippet.name));
        }
        copyFileSync(join(import.meta.dirname, 'snippet-harness.mjs'), join(project, 'snippet-harness.mjs'));
        const compilerOptions = {
          module: 'nodenext',
          target: 'ES2022',
          strict: true,
          experimentalDecorators: true, // as any Nest project (no emitDecoratorMetadata needed)
          skipLibCheck: true, // the declarations are checked with skipLibCheck: false above
          types: ['node'],
          rootDir: 'snippets',
          outDir: 'snippets-out',
        };
        write('tsconfig.snippets.json', JSON.stringify({ compilerOptions, files }));
        const result = await node([workspaceBin('typescript/bin/tsc'), '-p', 'tsconfig.snippets.json'], {
          timeout: TSC_TIMEOUT,
        });
        return `${result.stdout}${result.stderr}`;
      })();
      return compiled;
    }

    it.for(README_SNIPPETS.map((snippet, index) => ({ ...snippet, index })))(
      '$readme $name typechecks, then answers 401 without a token, 403 without the scope and 200 with it',
      async (snippet, { expect }) => {
        const file = files[snippet.index] as string;
        const diagnostics = await compileSnippets();
        // tsc prints one "file(line,col): error" line per problem; only this snippet's concern this test.
        expect(diagnostics.split('\n').filter((line) => line.startsWith(file))).toEqual([]);
        const out = `snippets-out/${snippetFile(snippet)}.mjs`;
        const env = { SNIPPET_PATH: '/api/messages', ...snippet.env };
        const result =
          snippet.kind === 'route-handler'
            ? await node(['snippet-harness.mjs'], { env: { ...env, SNIPPET_ROUTE_HANDLER: out } })
            : await node(['--import', './snippet-harness.mjs', out], { env });
        const line = result.stdout.split('\n').find((text) => text.startsWith('SNIPPET_RESULT '));
        expect(line, `no result (exit ${result.status}):\n${result.stdout}${result.stderr}`).toBeDefined();
        const answers = JSON.parse((line as string).slice('SNIPPET_RESULT '.length));
        expect(answers.none).toMatchObject({ status: 401, challenge: 'Bearer realm="api"' });
        expect(answers.otherScope).toMatchObject({
          status: 403,
          challenge: expect.stringContaining('error="insufficient_scope"'),
        });
        expect(answers.good.status).toBe(200);
        expect(JSON.parse(answers.good.body)).toMatchObject({ client: 'svc' });
        expect(result.status).toBe(0);
      },
    );
  });

  describe.concurrent('@scopeguard/express on the oldest Express 4 its peer range claims', {
    timeout: 180_000,
  }, () => {
    it(`claims Express 4 from ${EXPRESS_4_FLOOR} or earlier, and Express 5`, ({ expect }) => {
      expect(compareVersions(express4Version, EXPRESS_4_FLOOR)).toBeLessThanOrEqual(0);
      expect((expressTarball.manifest['peerDependencies'] as Record<string, string>)['express']).toMatch(
        /\^5\.0\.0/,
      );
    });

    it('answers 401, 403 and 200 through the packed middleware, required from CommonJS', async ({
      expect,
    }) => {
      const file = write(
        'express4.cjs',
        `const express = require('express');
  const { authenticate, requireScope } = require('@scopeguard/express');
  const { createTestIssuer } = require('@scopeguard/testing');
  (async () => {
    const issuer = await createTestIssuer();
    const app = express();
    app.use(authenticate({ issuer: issuer.issuer, audience: 'api://default' }));
    app.get('/messages', requireScope('customScope'), (req, res) => res.json({ client: req.auth.clientId }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = 'http://127.0.0.1:' + server.address().port + '/messages';
    const call = async (token) => {
      const response = await fetch(url, token ? { headers: { authorization: 'Bearer ' + token } } : {});
      return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.text() };
    };
    const results = {
      express: require('express/package.json').version,
      none: await call(),
      otherScope: await call(await issuer.mint({ scp: ['other'] })),
      good: await call(await issuer.mint({ scp: ['customScope'], cid: 'svc' })),
    };
    server.close();
    await issuer.close();
    console.log(JSON.stringify(results));
  })().catch((error) => { console.error(error); process.exit(1); });
  `,
        express4Project,
      );
      const result = await node([file], { cwd: express4Project });
      expect(result.stderr).toBe('');
      const answers = JSON.parse(result.stdout);
      expect(answers.express).toBe(express4Version);
      expect(answers.none).toMatchObject({ status: 401, challenge: expect.stringMatching(/^Bearer /) });
      expect(answers.otherScope).toMatchObject({
        status: 403,
        challenge: expect.stringContaining('error="insufficient_scope"'),
      });
      expect(answers.good).toEqual({ status: 200, challenge: null, body: '{"client":"svc"}' });
    });

    it(`typechecks an Express 4 app (@types/express ${TYPES_EXPRESS_4}) with skipLibCheck: false`, async ({
      expect,
    }) => {
      write(
        'app.cts',
        `import express = require('express');
  import { authenticate, requireScope } from '@scopeguard/express';
  const app = express();
  app.use(authenticate({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
  app.get('/messages', requireScope('customScope'), (req, res) => {
    res.json({ client: req.auth?.clientId });
  });
  `,
        express4Project,
      );
      const compilerOptions = {
        module: 'node16',
        target: 'ES2022',
        strict: true,
        skipLibCheck: false,
        skipDefaultLibCheck: true,
        noEmit: true,
        types: ['node'],
      };
      write('tsconfig.json', JSON.stringify({ compilerOptions, files: ['app.cts'] }), express4Project);
      const result = await node([workspaceBin('typescript/bin/tsc'), '-p', '.'], { cwd: express4Project });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  });
});
