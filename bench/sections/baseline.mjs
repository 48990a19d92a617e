// Same-run baseline (issue 11): the core's verify rows against the core of another commit (by default
// none: `node bench/run.mjs --baseline=<git ref>`). Both cores are bundled from their sources with the same
// esbuild (the one tsup uses) into a temporary directory, loaded side by side in this process, and
// measured interleaved (rows take turns every 32 verifications, shuffled; CPU time per verification), on
// the same tokens from the same test issuer. A second copy of the current core shows how far two identical
// rows drift in the run. Target: no row more than 5 % slower than the baseline.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestIssuer } from '@scopeguard/testing';
import { assertAccepts } from '../lib/common.mjs';
import { interleavedRates } from '../lib/interleave.mjs';
import { mintDistinct } from '../lib/tokens.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, maxBuffer: 256 * 2 ** 20, ...options });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')}: ${result.stderr?.toString() || result.error || result.status}`,
    );
  }
  return result.stdout;
}

/** Bundles `<dir>/packages/core/src/index.ts` into one ES module file and returns its path. */
async function bundle(sourceRoot, outfile) {
  const require = createRequire(createRequire(join(ROOT, 'package.json')).resolve('tsup'));
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: [join(sourceRoot, 'packages/core/src/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Both cores as modules: `{ before, after, commit, subject }` (after = this working tree's sources). */
export async function loadCores(ref, log) {
  const commit = run('git', ['rev-parse', '--verify', `${ref}^{commit}`])
    .toString()
    .trim();
  const subject = run('git', ['log', '-1', '--format=%h %s', commit]).toString().trim();
  const dir = mkdtempSync(join(tmpdir(), 'scopeguard-baseline-'));
  try {
    log(`  baseline: core of ${subject}`);
    const tar = run('git', ['archive', '--format=tar', commit, 'packages/core/src']);
    run('tar', ['-x', '-C', dir], { input: tar });
    const beforeFile = await bundle(dir, join(dir, 'before.mjs'));
    const afterFile = await bundle(ROOT, join(dir, 'after.mjs'));
    const before = await import(pathToFileURL(beforeFile).href);
    const after = await import(pathToFileURL(afterFile).href);
    return { before, after, commit, subject };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function baselineCompare(ref, config, log) {
  const cores = await loadCores(ref, log);
  const rows = [];
  for (const alg of config.algorithms) {
    const issuer = await createTestIssuer({ algorithm: alg });
    try {
      const tokens = await mintDistinct(issuer, config.distinctTokens);
      const n = tokens.length;
      const make = (core, cache) =>
        core.createVerifier({
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUri: issuer.jwksUri,
          algorithms: [alg],
          ...(cache ? {} : { cache: false }),
        });
      const variants = [];
      // A server never sees the same string twice: each request's header is a new string, so a cache keyed
      // by the token pays for hashing it every time. The third mode gives the repeated token that way.
      const tokenBytes = Buffer.from(tokens[0], 'latin1');
      const picks = {
        'distinct tokens, cache off': (i) => tokens[i % n],
        'one repeated token, cache hit': () => tokens[0],
        'one repeated token as a new string each time (as from a request), cache hit': () =>
          tokenBytes.toString('latin1'),
      };
      for (const [mode, cache] of [
        ['distinct tokens, cache off', false],
        ['one repeated token, cache hit', true],
        ['one repeated token as a new string each time (as from a request), cache hit', true],
      ]) {
        const pick = picks[mode];
        for (const [which, core] of [
          ['before', cores.before],
          ['after', cores.after],
          ['control', cores.after],
        ]) {
          const verifier = make(core, cache);
          const name = `${alg}, ${mode}: ${which}`;
          await assertAccepts(name, () => verifier.verify(tokens[0]), 15_000);
          variants.push({
            name,
            alg,
            mode,
            which,
            run: (i) => verifier.verify(pick(i)),
            // A cache hit takes a microsecond or two: longer turns keep the clock reads negligible.
            batch: cache ? 1024 : 32,
          });
        }
      }
      log(
        `  baseline ${alg}: ${variants.length} rows × ${config.runs} runs × ${config.runMs} ms (interleaved)`,
      );
      const rates = await interleavedRates(variants, config);
      for (const mode of new Set(variants.map((v) => v.mode))) {
        const get = (which) => rates[variants.findIndex((v) => v.mode === mode && v.which === which)];
        const before = get('before');
        const after = get('after');
        const control = get('control');
        rows.push({
          alg,
          mode,
          before,
          after,
          control,
          // > 1: the current core does more verifications per CPU second than the baseline.
          ratio: after.opsPerCpuSecond / before.opsPerCpuSecond,
          noise: Math.abs(control.opsPerCpuSecond / after.opsPerCpuSecond - 1),
        });
      }
    } finally {
      await issuer.close();
    }
  }
  return { ref, commit: cores.commit, subject: cores.subject, rows };
}
