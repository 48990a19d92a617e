// CPU profile of a scopeguard distinct-token verify loop (cache off, warm JWKS, sequential awaits).
//   node bench/profile.mjs [--alg=RS256|ES256|EdDSA] [--seconds=5] [--top=25] [--threadpool=auto|never|always]
// Re-runs itself under `node --cpu-prof`, then prints the functions with the most self time. The raw
// .cpuprofile is kept in bench/.profiles/ (open it in Chrome DevTools → Performance).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const alg = args.alg ?? 'RS256';
const seconds = Number(args.seconds ?? 5);
const top = Number(args.top ?? 25);
const threadpool = args.threadpool ?? 'auto';
const here = fileURLToPath(new URL('.', import.meta.url));

if (args.child) {
  const { createTestIssuer } = await import('@scopeguard/testing');
  const { createVerifier } = await import('@scopeguard/core');
  const { mintDistinct } = await import('./lib/tokens.mjs');
  const issuer = await createTestIssuer({ algorithm: alg });
  const tokens = await mintDistinct(issuer, 1000);
  const verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: issuer.jwksUri,
    algorithms: [alg],
    cache: false,
    threadpool,
  });
  await verifier.verify(tokens[0]);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 100; i++) await verifier.verify(tokens[n++ % tokens.length]);
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(
    `profiled loop: ${n} verifications in ${elapsed.toFixed(2)} s = ${Math.round(n / elapsed)} ops/s (${alg}, threadpool ${threadpool})`,
  );
  console.log(`VERIFICATIONS ${n}`);
  await issuer.close();
} else {
  const dir = join(here, '.profiles');
  mkdirSync(dir, { recursive: true });
  const startedAt = Date.now();
  const run = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      fileURLToPath(import.meta.url),
      '--child',
      `--alg=${alg}`,
      `--seconds=${seconds}`,
      `--threadpool=${threadpool}`,
    ],
    { stdio: ['inherit', 'pipe', 'inherit'], timeout: (seconds + 60) * 1000 },
  );
  process.stdout.write(run.stdout.toString().replace(/^VERIFICATIONS .*\n/m, ''));
  const verifications = Number(/^VERIFICATIONS (\d+)/m.exec(run.stdout.toString())?.[1] ?? Number.NaN);
  if (run.status !== 0) throw new Error(`profiled child failed (${run.status ?? run.signal})`);
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= startedAt)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const where = url
      ? `${url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'}\t${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
  const busy = total - idle;
  const rows = [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]);
  console.log(
    `\nTop ${top} self-time functions (${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms; % of busy):`,
  );
  console.log('| self % | self ms | function | where |');
  console.log('| ---: | ---: | --- | --- |');
  for (const [key, us] of rows.slice(0, top)) {
    const [name, where] = key.split('\t');
    console.log(`| ${((100 * us) / busy).toFixed(1)} | ${(us / 1000).toFixed(0)} | ${name} | ${where} |`);
  }
  // Inclusive time: every function on a sample's stack (counted once per sample), in µs per verification.
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map();
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { functionName } = nodes.get(at).callFrame;
      const name = functionName || '(anonymous)';
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  });
  const names = [...inclusive]
    .filter(
      ([name]) =>
        ![
          '(root)',
          '(anonymous)',
          '(program)',
          '(idle)',
          'processTicksAndRejections',
          'runMicrotasks',
        ].includes(name),
    )
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  console.log(
    `\nInclusive time, µs per verification (${verifications} verifications; CPU-profiler time, inflated by the profiler):`,
  );
  console.log('| incl. µs | incl. % of busy | function |');
  console.log('| ---: | ---: | --- |');
  for (const [name, us] of names) {
    console.log(`| ${(us / verifications).toFixed(2)} | ${((100 * us) / busy).toFixed(1)} | ${name} |`);
  }
  console.log(`\nprofile: ${relative(process.cwd(), file)}`);
}
