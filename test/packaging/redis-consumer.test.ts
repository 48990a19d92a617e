import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

// @scopeguard/redis from its BUILT dist/, in a plain Node project that brings its own `redis` client,
// against a real redis-server: require() and import both work and claim once.
const root = resolve(import.meta.dirname, '../..');
let project: string;
let server: RedisServer;

beforeAll(async () => {
  for (const name of ['core', 'redis']) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.cjs'))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` (pnpm test does it first)`);
    }
  }
  server = await startRedisServer();
  project = mkdtempSync(join(tmpdir(), 'scopeguard-redis-consumer-'));
  mkdirSync(join(project, 'node_modules', '@scopeguard'), { recursive: true });
  for (const name of ['core', 'redis']) {
    symlinkSync(join(root, 'packages', name), join(project, 'node_modules', '@scopeguard', name), 'dir');
  }
  symlinkSync(
    realpathSync(join(root, 'node_modules', 'redis')),
    join(project, 'node_modules', 'redis'),
    'dir',
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
});

afterAll(async () => {
  if (project) rmSync(project, { recursive: true, force: true });
  await server?.stop();
});

const script = (load: string) => `
${load}
const client = createClient({ socket: { path: process.argv[2] } });
client.on('error', () => {});
const store = createRedisReplayStore({ client, timeoutMs: 5000 });
let before;
try { await store.claim('jti', Date.now() + 60000); } catch (e) { before = isRedisReplayStoreError(e) ? e.reason : String(e); }
await client.connect();
const key = 'consumer-' + Math.random();
const first = await store.claim(key, Date.now() + 60000);
const second = await store.claim(key, Date.now() + 60000);
client.destroy();
console.log(JSON.stringify({ before, first, second }));
`;

const run = (file: string) =>
  JSON.parse(
    execFileSync(process.execPath, [file, server.socketPath], {
      cwd: project,
      encoding: 'utf8',
      timeout: 30_000,
    }),
  );

describe('@scopeguard/redis built, in a plain Node project', () => {
  it('loads with require() and claims once', () => {
    const file = join(project, 'consumer.cjs');
    writeFileSync(
      file,
      `(async () => {${script(`
const { createRedisReplayStore, isRedisReplayStoreError } = require('@scopeguard/redis');
const { createClient } = require('redis');`)}})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expect(run(file)).toEqual({ before: 'not_ready', first: true, second: false });
  });

  it('loads with import and claims once', () => {
    const file = join(project, 'consumer.mjs');
    writeFileSync(
      file,
      script(`
import { createRedisReplayStore, isRedisReplayStoreError } from '@scopeguard/redis';
import { createClient } from 'redis';`),
    );
    expect(run(file)).toEqual({ before: 'not_ready', first: true, second: false });
  });
});
