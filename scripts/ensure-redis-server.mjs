#!/usr/bin/env node
// The @scopeguard/redis tests start their own redis-server (Debian's package) on a private unix socket, and
// fail without one. `pnpm test` (and .ci/run) call this first so that the README's test command installs
// what it needs on a fresh Debian/Ubuntu machine: as root, or through passwordless sudo. Anywhere else it
// says how to install Redis and exits non-zero.
import { spawnSync } from 'node:child_process';

const found = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

if (found('redis-server')) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && found('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!found('apt-get') || !(root || sudo)) {
  console.error(
    'redis-server is not installed, and this machine cannot install it without a password.\n' +
      'Install Redis 7 (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), then run the tests again.',
  );
  process.exit(1);
}

console.log(
  "redis-server is missing: installing Debian's redis-server package (the Redis tests start their own).",
);
const prefix = root ? [] : ['sudo', '-n'];
const run = (args) => {
  const [file, ...rest] = [...prefix, ...args];
  const result = spawnSync(file, rest, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(`failed: ${[...prefix, ...args].join(' ')} (exit ${result.status})`);
    process.exit(1);
  }
};
run(['apt-get', 'update', '-q']);
run(['apt-get', 'install', '-y', '-q', 'redis-server']);
if (!found('redis-server')) {
  console.error('apt-get finished, but redis-server is still not on the PATH');
  process.exit(1);
}
