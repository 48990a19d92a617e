import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  exportConditions,
  manifestTargets,
  packAll,
  publishedPackages,
  root,
  SOURCE_CONDITION,
  type Tarball,
} from './workspace.js';

// The tarballs `pnpm pack` makes are exactly what `pnpm publish` (and `changeset publish`) uploads: these
// checks look at them, not at the workspace.
const REPOSITORY = 'https://github.com/scopeguard/scopeguard';
const packages = publishedPackages();
let destination: string;
let tarballs: Tarball[];

function tarballOf(name: string): Tarball {
  const tarball = tarballs.find((candidate) => candidate.name === name);
  if (!tarball) throw new Error(`no tarball for ${name}`);
  return tarball;
}

beforeAll(() => {
  assertBuilt();
  destination = mkdtempSync(join(tmpdir(), 'scopeguard-pack-'));
  tarballs = packAll(destination);
}, 120_000);

afterAll(() => {
  if (destination) rmSync(destination, { recursive: true, force: true });
});

describe.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('the %s tarball', (name, pkg) => {
  it('names in `main`, `module`, `types`, `bin` and every `exports` target only files it contains', () => {
    const { manifest, files } = tarballOf(name);
    const targets = manifestTargets(manifest);
    expect(targets.length).toBeGreaterThan(0);
    const missing = targets.filter(({ target }) => !files.has(target.replace(/^\.\//, '')));
    expect(missing, `missing from the tarball (shipped: ${[...files.keys()].join(', ')})`).toEqual([]);
  });

  it(`does not publish the workspace-only "${SOURCE_CONDITION}" condition, nor "source"`, () => {
    const conditions = exportConditions(tarballOf(name).manifest['exports']);
    expect(conditions.has(SOURCE_CONDITION)).toBe(false);
    expect(conditions.has('source')).toBe(false);
  });

  it('in the workspace, differs from its published `exports` only by the source condition', () => {
    const strip = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(strip);
      if (value && typeof value === 'object') {
        return Object.fromEntries(
          Object.entries(value)
            .filter(([key]) => key !== SOURCE_CONDITION)
            .map(([key, item]) => [key, strip(item)]),
        );
      }
      return value;
    };
    expect(tarballOf(name).manifest['exports']).toEqual(strip(pkg.manifest['exports']));
    for (const { field, target } of manifestTargets(pkg.manifest)) {
      if (field.includes(JSON.stringify(SOURCE_CONDITION))) expect(target).toMatch(/^\.\/src\//);
    }
  });

  it('carries the Apache-2.0 LICENSE, a README and the metadata a registry page shows', () => {
    const { manifest, files } = tarballOf(name);
    expect(files.get('LICENSE')?.equals(readFileSync(join(root, 'LICENSE')))).toBe(true);
    expect(manifest['license']).toBe('Apache-2.0');
    expect(files.get('README.md')?.toString('utf8')).toContain(name);
    expect(manifest['repository']).toEqual({ type: 'git', url: `git+${REPOSITORY}.git`, directory: pkg.dir });
    expect(manifest['homepage']).toBe(`${REPOSITORY}/tree/main/${pkg.dir}#readme`);
    expect(manifest['bugs']).toEqual({ url: `${REPOSITORY}/issues` });
    expect(manifest['keywords']).toEqual(expect.arrayContaining([expect.stringMatching(/^[a-z0-9-]+$/)]));
    expect(manifest['description']).toEqual(expect.any(String));
    expect(manifest['engines']).toEqual(readJsonRoot()['engines']);
    expect(manifest['publishConfig']).toMatchObject({ access: 'public' });
  });

  it('depends on its workspace siblings by the version being released, never `workspace:`', () => {
    const { manifest } = tarballOf(name);
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
      for (const [dependency, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
        expect(range, `${field}.${dependency}`).not.toMatch(/^workspace:/);
        const sibling = tarballs.find((tarball) => tarball.name === dependency);
        if (sibling) expect([sibling.version, `^${sibling.version}`, `~${sibling.version}`]).toContain(range);
      }
    }
  });

  it('passes publint with no message at all', async () => {
    const { file } = tarballOf(name);
    const data = readFileSync(file);
    const { messages, pkg: linted } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((message) => `${message.code}: ${formatMessage(message, linted)}`)).toEqual([]);
  });

  it('passes arethetypeswrong for node10, node16 (CommonJS and ESM) and bundler resolution', async () => {
    const result = await checkPackage(
      createPackageFromTarballData(new Uint8Array(readFileSync(tarballOf(name).file))),
    );
    expect(result.types).not.toBe(false);
    const problems = 'problems' in result ? result.problems : [];
    expect(problems).toEqual([]);
  });
});

function readJsonRoot(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
}
