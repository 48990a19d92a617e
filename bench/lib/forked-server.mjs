// The protocol between a forked bench server (bench/http-server.mjs, fastify-server.mjs, dpop-server.mjs)
// and the section that started it (`usage()` in sections/http.mjs).

/**
 * Serves the parent for as long as it needs the server: answers `{ type: 'usage' }` with the process's CPU
 * time and the requests `server` has served (server CPU per request, the steadier measure on a shared
 * machine: the parent asks before and after a run), exits when the parent disconnects, and in any case
 * after `BENCH_SERVER_MAX_MS` (default `defaultMaxMs`), so a forgotten server exits by itself.
 */
export function serveParent(server, defaultMaxMs) {
  let served = 0;
  server.on('request', () => {
    served++;
  });
  process.on('message', (message) => {
    if (message?.type === 'usage') process.send?.({ type: 'usage', cpu: process.cpuUsage(), served });
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(0), Number(process.env.BENCH_SERVER_MAX_MS ?? defaultMaxMs)).unref();
}
