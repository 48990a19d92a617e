// Shared helpers of the benchmark harness: timing loops, statistics, formatting, machine facts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

const require = createRequire(import.meta.url);

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Runs `fn(i)` synchronously in batches until `ms` have passed; returns operations per second. */
export function syncRate(fn, ms) {
  let n = 0;
  const start = performance.now();
  let now = start;
  do {
    for (let i = 0; i < 32; i++) fn(n++);
    now = performance.now();
  } while (now - start < ms);
  return (n * 1000) / (now - start);
}

/** Runs `await fn(i)` sequentially (one in flight) until `ms` have passed; returns operations per second. */
export async function awaitedRate(fn, ms) {
  let n = 0;
  const start = performance.now();
  let now = start;
  do {
    for (let i = 0; i < 32; i++) await fn(n++);
    now = performance.now();
  } while (now - start < ms);
  return (n * 1000) / (now - start);
}

/** Keeps `inflight` calls of `fn(i)` running until `ms` have passed; returns completed operations per second. */
export function concurrentRate(fn, inflight, ms) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    let active = 0;
    let failed = false;
    const start = performance.now();
    let stopAt = 0;
    const launch = () => {
      active++;
      const i = started++;
      Promise.resolve(fn(i)).then(settle, (error) => {
        failed = true;
        reject(error);
      });
    };
    const settle = () => {
      active--;
      done++;
      if (failed) return;
      const now = performance.now();
      if (now - start < ms) launch();
      else if (active === 0) {
        stopAt = now;
        resolve((done * 1000) / (stopAt - start));
      }
    };
    for (let i = 0; i < inflight; i++) launch();
  });
}

/**
 * Measures several rows round-robin (run 1 of every row, then run 2, ...) so that a noisy neighbour
 * hurts every row alike; returns the median ops/s of each row, and every sample.
 */
export async function roundRobin(rows, { runs, ms, warmupMs }) {
  const samples = new Map(rows.map((row) => [row.name, []]));
  for (const row of rows) await row.measure(warmupMs);
  for (let r = 0; r < runs; r++) {
    for (const row of rows) samples.get(row.name).push(await row.measure(ms));
  }
  return rows.map((row) => ({
    name: row.name,
    opsPerSec: median(samples.get(row.name)),
    samples: samples.get(row.name),
  }));
}

/**
 * The bench checks itself. `bounds` lists rows that cannot be faster than another row of the same
 * measurement (`{ row, floor, why }`: the check-free reference does the floor's work and more; a verifier
 * does the reference's work and more). A run where such a row measured faster than its floor was noisy
 * (a neighbour slowed the floor's turn): it is measured again, whole, up to `attempts` times in all. The
 * first clean attempt is kept; when none is clean, the attempt whose worst excess is smallest, with its
 * violations listed, so the report says the figures are noisy instead of printing a ratio above its floor.
 * `measure()` is the measurement to repeat (returns `[{ name, opsPerSec }]`).
 */
export async function measureChecked(
  measure,
  bounds,
  { attempts = 3, log = () => {}, what = '', rate = (r) => r.opsPerSec } = {},
) {
  const tried = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const results = await measure();
    const violations = boundViolations(results, bounds, rate);
    tried.push({ results, violations });
    if (violations.length === 0) return { results, violations, attempts: attempt, history: tried };
    log(
      `  ${what}noisy run (attempt ${attempt} of ${attempts}): ${violations.map((v) => `${v.row} measured ${(v.excess * 100).toFixed(1)} % above ${v.floor}`).join('; ')}${attempt < attempts ? ', measuring again' : ''}`,
    );
  }
  const worst = (t) => Math.max(...t.violations.map((v) => v.excess));
  const best = tried.reduce((a, b) => (worst(b) < worst(a) ? b : a));
  return { results: best.results, violations: best.violations, attempts, history: tried };
}

/** The bounds a measurement broke: rows measured faster than a row they cannot beat. */
export function boundViolations(results, bounds, rate = (r) => r.opsPerSec) {
  const byName = new Map(results.map((r) => [r.name, r]));
  const out = [];
  for (const { row, floor, why } of bounds) {
    const a = byName.get(row);
    const b = byName.get(floor);
    if (!a || !b) continue;
    if (rate(a) > rate(b)) out.push({ row, floor, why, excess: rate(a) / rate(b) - 1 });
  }
  return out;
}

/** Latencies (ms) of `count` lone calls of `fn(i)`, each awaited before the next. */
export async function loneLatencies(fn, count) {
  const latencies = new Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await fn(i);
    latencies[i] = performance.now() - t0;
  }
  return latencies;
}

export function fmtInt(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  return Math.round(value).toLocaleString('en-US');
}

export function fmtRatio(value) {
  if (value === undefined || value === null || Number.isNaN(value) || !Number.isFinite(value)) return 'n/a';
  return `${value.toFixed(2)}×`;
}

export function fmtMs(value, digits = 3) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  return `${value.toFixed(digits)} ms`;
}

/** Renders rows (arrays of cells) as a Markdown table; the same text is printed on stdout. */
export function table(header, rows) {
  const all = [header, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [
    line(all[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...all.slice(1).map(line),
  ].join('\n');
}

/** Version of an installed package, found by walking up from its resolved entry point. */
export function packageVersion(name) {
  try {
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (pkg.name === name) return pkg.version;
      } catch {
        // keep walking up
      }
      dir = dirname(dir);
    }
  } catch {
    // not installed
  }
  return 'not installed';
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    loadavg: os.loadavg().map((l) => l.toFixed(2)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
}

/** Rejects after `ms` unless `promise` settles first (keeps every step of the harness bounded). */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      timer.unref?.();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Runs `work` (a verification, or several) once before measuring, which also warms the key caches: rejects,
 * naming `name` and the verifier's error, when it refuses a valid token or takes over `ms`.
 */
export async function assertAccepts(name, work, ms) {
  try {
    await withTimeout(Promise.resolve(work()), ms, name);
  } catch (error) {
    throw new Error(`${name} refused a valid token: ${error?.code ?? ''} ${error?.message ?? error}`);
  }
}

/** Mutes console.warn while `fn` runs (the Okta verifier warns on every construction with disableHttpsCheck). */
export function quietly(fn) {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}
