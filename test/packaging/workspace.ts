import { type ExecFileSyncOptions, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * Helpers for test/packaging: list the workspace's published packages, pack them with pnpm exactly as
 * `pnpm publish` would, read the tarballs, and install them into throwaway npm projects. Every check
 * iterates over {@link publishedPackages}, so a new non-private `packages/*` is covered without edits.
 */

export const root = resolve(import.meta.dirname, '../..');

/** The private export condition that points workspace tools at `src/`; never published. */
export const SOURCE_CONDITION = '@scopeguard/source';

export type Manifest = { name: string; version: string; private?: boolean } & Record<string, unknown>;

export interface WorkspacePackage {
  /** `packages/core` */
  dir: string;
  manifest: Manifest;
}

export interface Tarball {
  name: string;
  version: string;
  /** Absolute path of the `.tgz`. */
  file: string;
  /** Files inside the tarball, by path relative to the package root (`dist/index.js`). */
  files: Map<string, Buffer>;
  /** The `package.json` inside the tarball: what a registry user gets. */
  manifest: Manifest;
}

export function readJson<T = Manifest>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every non-private package under `packages/` of a workspace, sorted by directory. */
export function publishedPackages(workspace = root): WorkspacePackage[] {
  return readdirSync(join(workspace, 'packages'), { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(workspace, 'packages', entry.name, 'package.json')),
    )
    .map((entry) => ({
      dir: `packages/${entry.name}`,
      manifest: readJson(join(workspace, 'packages', entry.name, 'package.json')),
    }))
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Throws a helpful error when a package has not been built (the packaging tests need `dist/`). */
export function assertBuilt(workspace = root): void {
  for (const pkg of publishedPackages(workspace)) {
    if (!existsSync(join(workspace, pkg.dir, 'dist'))) {
      throw new Error(`${pkg.dir} is not built: run \`pnpm build\` first (pnpm test does it)`);
    }
  }
}

/**
 * Runs pnpm: the pnpm running `pnpm test` when there is one (npm_execpath), else `npx -y pnpm@10`, the
 * README's way.
 */
export function pnpm(args: string[], cwd: string, options: ExecFileSyncOptions = {}): string {
  const execpath = process.env.npm_execpath;
  const [file, prefix] =
    execpath && /pnpm/.test(execpath) ? [process.execPath, [execpath]] : ['npx', ['-y', 'pnpm@10']];
  try {
    return execFileSync(file, [...prefix, ...args], {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    }).toString();
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`pnpm ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr}`);
  }
}

/** `pnpm pack` of every published package of `workspace` into `destination`, read back. */
export function packAll(destination: string, workspace = root): Tarball[] {
  const packages = publishedPackages(workspace);
  const filters = packages.flatMap((pkg) => ['--filter', `./${pkg.dir}`]);
  const output = pnpm(['-r', ...filters, 'pack', '--pack-destination', destination, '--json'], workspace);
  const reported = JSON.parse(output.slice(output.search(/[[{]/))) as
    | { filename: string }
    | { filename: string }[];
  const tarballs = (Array.isArray(reported) ? reported : [reported]).map(({ filename }) => {
    const file = resolve(destination, filename);
    const files = readTarball(file);
    const manifest = JSON.parse(files.get('package.json')?.toString('utf8') ?? 'null') as Manifest;
    return { name: manifest.name, version: manifest.version, file, files, manifest };
  });
  if (tarballs.length !== packages.length) {
    throw new Error(`packed ${tarballs.length} tarballs for ${packages.length} packages`);
  }
  return tarballs.sort((a, b) => a.name.localeCompare(b.name));
}

/** The regular files of a gzipped (ustar/pax) npm tarball, without the leading `package/`. */
export function readTarball(file: string): Map<string, Buffer> {
  const data = gunzipSync(readFileSync(file));
  const files = new Map<string, Buffer>();
  let paxPath: string | undefined;
  for (let offset = 0; offset + 512 <= data.length; ) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) => {
      const bytes = header.subarray(start, start + length);
      const end = bytes.indexOf(0);
      return bytes.subarray(0, end === -1 ? length : end).toString('utf8');
    };
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const body = data.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      paxPath = body
        .toString('utf8')
        .split('\n')
        .find((record) => record.includes(' path='))
        ?.split(' path=')[1];
    } else {
      if (type === '0' || type === '') {
        const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
        files.set(name.replace(/^[^/]+\//, ''), Buffer.from(body));
      }
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Every file path a manifest points at (`main`, `module`, `types`, `bin`, each `exports` target). */
export function manifestTargets(manifest: Manifest): { field: string; target: string }[] {
  const targets: { field: string; target: string }[] = [];
  for (const field of ['main', 'module', 'types', 'typings'] as const) {
    const value = manifest[field];
    if (typeof value === 'string') targets.push({ field, target: value });
  }
  const bin = manifest['bin'];
  if (typeof bin === 'string') targets.push({ field: 'bin', target: bin });
  else if (bin && typeof bin === 'object') {
    for (const [name, target] of Object.entries(bin))
      targets.push({ field: `bin.${name}`, target: String(target) });
  }
  const walk = (value: unknown, field: string): void => {
    if (typeof value === 'string') targets.push({ field, target: value });
    else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, `${field}[${index}]`);
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, `${field}[${JSON.stringify(key)}]`);
    }
  };
  walk(manifest['exports'], 'exports');
  return targets;
}

/** Every condition name used anywhere in an `exports` map. */
export function exportConditions(exports: unknown): Set<string> {
  const conditions = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (!key.startsWith('.')) conditions.add(key);
        walk(item);
      }
    }
  };
  walk(exports);
  return conditions;
}

/** The version of a dependency installed in the workspace (what the lockfile pins), if any. */
export function workspaceVersion(name: string, from = root): string | undefined {
  const file = join(from, 'node_modules', name, 'package.json');
  return existsSync(file) ? readJson(realpathSync(file)).version : undefined;
}

/** Absolute path of a tool installed in the workspace, to run it by path instead of installing it again. */
export function workspaceBin(relative: string): string {
  return join(root, 'node_modules', relative);
}

/**
 * Creates (in `dir`) and installs an npm project that depends on the tarballs, as a registry user's
 * project would, plus `extra` dependencies (exact versions). Each package's peer dependencies are added
 * at the version the workspace uses, unless `extra` names them. npm resolves the packages' dependencies
 * on each other to the tarballs (`overrides`), never to the registry; it refuses (ERESOLVE) a peer
 * outside the range a package declares.
 */
export async function installConsumer(
  dir: string,
  tarballs: Tarball[],
  extra: Record<string, string> = {},
): Promise<void> {
  const dependencies: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (const tarball of tarballs) {
    dependencies[tarball.name] = `file:${tarball.file}`;
    overrides[tarball.name] = `$${tarball.name}`;
  }
  for (const tarball of tarballs) {
    const source = publishedPackages().find((pkg) => pkg.manifest.name === tarball.name);
    const peers = (tarball.manifest['peerDependencies'] ?? {}) as Record<string, string>;
    for (const [peer, range] of Object.entries(peers)) {
      if (dependencies[peer] || extra[peer]) continue;
      dependencies[peer] =
        (source && workspaceVersion(peer, join(root, source.dir))) ?? workspaceVersion(peer) ?? range;
    }
  }
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'scopeguard-consumer',
    private: true,
    dependencies: { ...dependencies, ...extra },
    overrides,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const args = [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--loglevel=error',
  ];
  const result = await run('npm', args, { cwd: dir, timeout: 300_000 });
  if (result.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed in ${dir}:\n${result.stdout}${result.stderr}`);
}

/** Makes a workspace-installed package (e.g. vitest) importable from a throwaway project. */
export function linkWorkspacePackage(dir: string, name: string): void {
  const target = join(dir, 'node_modules', name);
  if (!existsSync(target)) symlinkSync(realpathSync(join(root, 'node_modules', name)), target, 'junction');
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking the test worker (so the concurrent tests of a file overlap their
 * child processes) and resolves with its exit status and output; a command running past `timeout` is
 * killed.
 */
export function run(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}
