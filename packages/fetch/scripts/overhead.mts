/**
 * What the fetch adapter costs per request over the layer it translates to, in CPU time (process.cpuUsage,
 * so other processes on the machine matter less than for wall time), one repeated token (the verifier's
 * cache hit: the layer's cheapest path, where an adapter's own cost shows most). 30 paired rounds, order
 * alternating; prints the median difference to the bare layer.
 *
 *   node --conditions=@scopeguard/source --import tsx packages/fetch/scripts/overhead.mts
 */
import { createVerifier } from '@scopeguard/core';
import { createGuard } from '@scopeguard/fetch';
import { fetchRequest, createGuard as layerGuard, scopeRule } from '@scopeguard/http';
import { createTestIssuer } from '@scopeguard/testing';

const issuer = await createTestIssuer({ listen: false });
const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch });
const token = await issuer.mint({}, { scopes: ['customScope'] });
const request = new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } });
const layer = layerGuard<Request>({ verifier });
const rule = scopeRule({ allOf: ['customScope'] });
const guard = createGuard({ verifier });
const check = { scopes: ['customScope'] };

const cases: Record<string, () => Promise<unknown>> = {
  'layer: authenticate(fetchRequest(request))': () => layer.authenticate(fetchRequest(request), request),
  'layer: authenticate, then authorize': () =>
    layer
      .authenticate(fetchRequest(request), request)
      .then((o) => (o.ok ? layer.authorize(o.auth, rule, request) : o)),
  'guard(request)': () => guard(request),
  'guard(request, check) (hoisted)': () => guard(request, check),
  "guard(request, { scopes: ['customScope'] })": () => guard(request, { scopes: ['customScope'] }),
};

const N = 20_000;
const ROUNDS = 30;
const names = Object.keys(cases);
for (const f of Object.values(cases)) for (let i = 0; i < N; i++) await f();
const base: number[] = [];
const extra: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  const ns: Record<string, number> = {};
  for (const name of round % 2 ? names : [...names].reverse()) {
    const run = cases[name] as () => Promise<unknown>;
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await run();
    const used = process.cpuUsage(start);
    ns[name] = ((used.user + used.system) * 1000) / N;
  }
  const first = ns[names[0] as string] as number;
  base.push(first);
  for (const name of names) {
    extra[name] ??= [];
    extra[name].push((ns[name] as number) - first);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  `${names[0]}: ${(median(base) / 1000).toFixed(2)} µs CPU per request (median of ${ROUNDS} rounds)`,
);
for (const name of names.slice(1)) {
  console.log(`${name.padEnd(46)} ${(median(extra[name] as number[]) / 1000).toFixed(2)} µs more`);
}
await issuer.close();
