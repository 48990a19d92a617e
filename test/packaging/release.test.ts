import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  exportConditions,
  type Manifest,
  manifestTargets,
  packAll,
  publishedPackages,
  readJson,
  root,
  run,
  type Tarball,
  workspaceBin,
} from './workspace.js';

// The documented release path (root README, "Development"): changesets in .changeset/, then
// `changeset version`, then `changeset publish` (pnpm publish of each package). This runs the first two
// steps for real on a throwaway copy of the workspace, then packs it as `pnpm publish` would and checks
// the tarballs. Nothing is published, committed or tagged, and nothing leaves the machine.
const published = publishedPackages();
const summary = 'Release check: a minor change, from test/packaging/release.test.ts.';
let work: string;
let copy: string;
let tarballs: Tarball[];
let versionOutput: string;

function nextMinor(version: string): string {
  const [major, minor] = version.split('.').map(Number);
  return `${major}.${(minor ?? 0) + 1}.0`;
}

function nextPatch(version: string): string {
  const [major, minor, patch] = version.split('.').map(Number);
  return `${major}.${minor}.${(patch ?? 0) + 1}`;
}

/** Published packages that depend, directly or not, on `name` through `dependencies`. */
function dependentsOf(name: string): Set<string> {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const pkg of published) {
      const dependencies = Object.keys((pkg.manifest['dependencies'] ?? {}) as Record<string, string>);
      if (!found.has(pkg.manifest.name) && dependencies.some((dep) => dep === name || found.has(dep))) {
        found.add(pkg.manifest.name);
        grew = true;
      }
    }
  }
  return found;
}

/** The package most others depend on (core): bumping it exercises the dependents' bumps. */
const bumped = [...published].sort(
  (a, b) => dependentsOf(b.manifest.name).size - dependentsOf(a.manifest.name).size,
)[0]!;

beforeAll(async () => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'scopeguard-release-'));
  copy = join(work, 'workspace');
  for (const entry of ['package.json', 'pnpm-workspace.yaml', 'LICENSE', '.changeset']) {
    cpSync(join(root, entry), join(copy, entry), { recursive: true });
  }
  for (const group of ['packages', 'examples']) {
    for (const dir of readdirSync(join(root, group))) {
      cpSync(join(root, group, dir), join(copy, group, dir), {
        recursive: true,
        filter: (source) => !source.includes('node_modules'),
      });
    }
  }
  // What `pnpm install` provides and these steps need, linked instead of installed: the changelog
  // generator named in .changeset/config.json (resolved from the root), and each package's workspace
  // dependencies (pnpm pack reads their versions to replace \`workspace:\` ranges).
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'junction');
  for (const pkg of published) {
    for (const [dependency, range] of Object.entries(
      (pkg.manifest['dependencies'] ?? {}) as Record<string, string>,
    )) {
      const sibling = published.find((candidate) => candidate.manifest.name === dependency);
      if (!range.startsWith('workspace:') || !sibling) continue;
      const link = join(copy, pkg.dir, 'node_modules', dependency);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(copy, sibling.dir), link, 'junction');
    }
  }
  writeFileSync(
    join(copy, '.changeset', 'release-check.md'),
    `---\n'${bumped.manifest.name}': minor\n---\n\n${summary}\n`,
  );
  const result = await run(process.execPath, [workspaceBin('@changesets/cli/bin.js'), 'version'], {
    cwd: copy,
    env: { ...process.env, CI: '1' },
  });
  versionOutput = result.stdout + result.stderr;
  if (result.status !== 0) throw new Error(`changeset version failed:\n${versionOutput}`);
  tarballs = packAll(join(work, 'tarballs'), copy);
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the release path (changesets, then pnpm publish)', { timeout: 60_000 }, () => {
  it('is configured: public access, private packages never versioned, dependents bumped with their dependencies', () => {
    const config = readJson<Record<string, unknown>>(join(root, '.changeset', 'config.json'));
    expect(config).toMatchObject({
      access: 'public',
      baseBranch: 'main',
      updateInternalDependencies: 'patch',
      privatePackages: { version: false, tag: false },
    });
    expect(readJson(join(root, 'package.json'))['devDependencies']).toHaveProperty('@changesets/cli');
  });

  it('consumes the changeset and bumps the package it names', () => {
    expect(existsSync(join(copy, '.changeset', 'release-check.md'))).toBe(false);
    const tarball = tarballs.find((candidate) => candidate.name === bumped.manifest.name);
    expect(tarball?.version).toBe(nextMinor(bumped.manifest.version));
  });

  it('bumps every package that depends on it, so no published range misses the new version', () => {
    const dependents = dependentsOf(bumped.manifest.name);
    for (const pkg of published) {
      const tarball = tarballs.find((candidate) => candidate.name === pkg.manifest.name);
      if (pkg === bumped) continue;
      expect(tarball?.version, pkg.manifest.name).toBe(
        dependents.has(pkg.manifest.name) ? nextPatch(pkg.manifest.version) : pkg.manifest.version,
      );
    }
    for (const tarball of tarballs) {
      for (const [dependency, range] of Object.entries(
        (tarball.manifest['dependencies'] ?? {}) as Record<string, string>,
      )) {
        const sibling = tarballs.find((candidate) => candidate.name === dependency);
        if (sibling) expect(range, `${tarball.name} → ${dependency}`).toBe(`^${sibling.version}`);
      }
    }
  });

  it('writes the change into the CHANGELOG.md shipped in each bumped tarball', () => {
    const tarball = tarballs.find((candidate) => candidate.name === bumped.manifest.name);
    const changelog = tarball?.files.get('CHANGELOG.md')?.toString('utf8') ?? '';
    expect(changelog).toContain(`## ${nextMinor(bumped.manifest.version)}`);
    expect(changelog).toContain(summary);
    for (const name of dependentsOf(bumped.manifest.name)) {
      const dependent = tarballs.find((candidate) => candidate.name === name);
      expect(dependent?.files.get('CHANGELOG.md')?.toString('utf8')).toContain(bumped.manifest.name);
    }
  });

  it('changes nothing in the manifests but `version`, so the lockfile stays valid', () => {
    for (const pkg of published) {
      const after = readJson<Manifest>(join(copy, pkg.dir, 'package.json'));
      expect({ ...after, version: pkg.manifest.version }, pkg.dir).toEqual(pkg.manifest);
    }
  });

  it('leaves private workspace packages (the demo) unversioned', () => {
    for (const dir of readdirSync(join(root, 'examples'))) {
      const before = readJson<Manifest>(join(root, 'examples', dir, 'package.json'));
      if (before.private !== true) continue;
      expect(readJson<Manifest>(join(copy, 'examples', dir, 'package.json')).version).toBe(before.version);
    }
  });

  it('produces tarballs whose manifests name only shipped files and no workspace-only condition', () => {
    for (const tarball of tarballs) {
      const missing = manifestTargets(tarball.manifest).filter(
        ({ target }) => !tarball.files.has(target.replace(/^\.\//, '')),
      );
      expect(missing, tarball.name).toEqual([]);
      expect([...exportConditions(tarball.manifest['exports'])]).not.toContain('@scopeguard/source');
      expect(JSON.stringify(tarball.manifest)).not.toContain('workspace:');
    }
  });
});
