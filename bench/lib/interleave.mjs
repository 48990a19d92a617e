// Interleaved CPU-time measurement: rows take turns in batches of 32 calls, in a new shuffled order each
// round, each batch timed by the wall clock and by the process's CPU time. On a shared machine the
// wall-clock rate moves by far more than the few per cent these rows are compared at; CPU time per
// operation, interleaved finely, is steadier. Used by the several-issuers and the how-cost-grows sections.

const BATCH = 32;

/**
 * `variants`: `[{ name, run(i), batch? }]` (run may return a promise, which is awaited; `batch` calls per
 * turn, 32 unless given: rows of a microsecond or two, such as cache hits, need longer turns so the
 * clock reads stay negligible). Returns, per variant, the
 * operations per wall second and per CPU second over every run (all operations over all the time they
 * took: steadier than a median of short runs) and each run's rate per CPU second.
 */
export async function interleavedRates(variants, { runs, runMs, warmupMs }) {
  const samples = variants.map(() => ({ cpu: [], count: 0, wallMs: 0, cpuMs: 0 }));
  const next = variants.map(() => 0);
  const batch = async (index, totals) => {
    const { run, batch: size = BATCH } = variants[index];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < size; k++) {
      const result = run(next[index]++);
      if (result instanceof Promise) await result;
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    totals[index].count += size;
    totals[index].wallMs += wall;
    totals[index].cpuMs += (cpu.user + cpu.system) / 1000;
  };
  // Each round visits the rows in a new shuffled order: a row right after a synchronous floor row
  // measured ~20 % slower in a fixed order (garbage and caches left by the row before), and shuffling
  // spreads that over every row.
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return seed / 2 ** 32;
  };
  const order = variants.map((_, index) => index);
  const runAll = async (ms) => {
    const totals = variants.map(() => ({ count: 0, wallMs: 0, cpuMs: 0 }));
    const t0 = performance.now();
    while (performance.now() - t0 < ms * variants.length) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const index of order) await batch(index, totals);
    }
    return totals;
  };
  await runAll(warmupMs);
  for (let r = 0; r < runs; r++) {
    const totals = await runAll(runMs);
    totals.forEach(({ count, wallMs, cpuMs }, index) => {
      const sample = samples[index];
      sample.cpu.push((count * 1000) / cpuMs);
      sample.count += count;
      sample.wallMs += wallMs;
      sample.cpuMs += cpuMs;
    });
  }
  return variants.map((variant, index) => ({
    name: variant.name,
    opsPerSec: (samples[index].count * 1000) / samples[index].wallMs,
    opsPerCpuSecond: (samples[index].count * 1000) / samples[index].cpuMs,
    /** CPU microseconds per operation, over every run. */
    cpuMicros: (samples[index].cpuMs * 1000) / samples[index].count,
    cpuSamples: samples[index].cpu,
  }));
}
