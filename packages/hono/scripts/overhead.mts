/**
 * What the Hono adapter costs per request, in CPU time (process.cpuUsage), through Hono's in-process
 * `app.request` (Request and Response objects included, no sockets): a route with no authentication; with a
 * no-op middleware (Hono's own cost of one); with a middleware that only reads `Authorization` (the first
 * `headers.get` on a fresh `Request`, which any authenticating middleware pays); with the bare layer called
 * in a middleware (what any adapter must do at least); behind `scopeguard()`; behind `scopeguard()` +
 * `requireScope()`. One repeated token (the verifier's cache hit, where an adapter's own cost shows most).
 * 30 paired rounds, order alternating; prints medians.
 *
 *   node --conditions=@scopeguard/source --import tsx packages/hono/scripts/overhead.mts
 */
import { createVerifier } from '@scopeguard/core';
import { requireScope, scopeguard } from '@scopeguard/hono';
import { fetchRequest, createGuard as layerGuard } from '@scopeguard/http';
import { createTestIssuer } from '@scopeguard/testing';
import { Hono } from 'hono';

const issuer = await createTestIssuer({ listen: false });
const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch });
const token = await issuer.mint({}, { scopes: ['customScope'] });
const headers = { authorization: `Bearer ${token}` };
const layer = layerGuard<unknown>({ verifier });

const app = new Hono();
app.get('/open', (c) => c.json({ ok: true }));
// Hono's own cost of one middleware (its compose path instead of the single-handler one), for comparison.
app.use('/noop/*', async (_c, next) => {
  await next();
});
app.get('/noop/me', (c) => c.json({ ok: true }));
app.use('/header/*', async (c, next) => {
  c.req.raw.headers.get('authorization');
  await next();
});
app.get('/header/me', (c) => c.json({ ok: true }));
app.use('/layer/*', async (c, next) => {
  const outcome = await layer.authenticate(fetchRequest(c.req.raw), c);
  if (!outcome.ok) return c.body(null, 401);
  await next();
});
app.get('/layer/me', (c) => c.json({ ok: true }));
app.use('/auth/*', scopeguard({ verifier }));
app.get('/auth/me', (c) => c.json({ ok: true }));
app.get('/auth/scoped', requireScope('customScope'), (c) => c.json({ ok: true }));

/** One in-process request through Hono (`app.request` may answer synchronously), body read. */
const get = async (path: string) => (await app.request(path, { headers })).arrayBuffer();

const cases: Record<string, () => Promise<unknown>> = {
  'no authentication': () => get('/open'),
  'a no-op middleware': () => get('/noop/me'),
  'a middleware reading Authorization': () => get('/header/me'),
  'the layer called in a middleware': () => get('/layer/me'),
  'scopeguard()': () => get('/auth/me'),
  "scopeguard() + requireScope('customScope')": () => get('/auth/scoped'),
};

const N = 10_000;
const ROUNDS = 30;
const names = Object.keys(cases);
for (const f of Object.values(cases)) for (let i = 0; i < N; i++) await f();
const per: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 ? names : [...names].reverse()) {
    const run = cases[name] as () => Promise<unknown>;
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await run();
    const used = process.cpuUsage(start);
    per[name] ??= [];
    per[name].push(((used.user + used.system) * 1000) / N);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const open = median(per['no authentication'] as number[]);
for (const name of names) {
  const us = median(per[name] as number[]);
  console.log(
    `${name.padEnd(44)} ${(us / 1000).toFixed(2)} µs CPU per request (${((us - open) / 1000).toFixed(2)} µs over no authentication)`,
  );
}
await issuer.close();
