// Runs the workspace build (`pnpm build`: tsup for every package, 100+ lines of output) with its output
// held back: on success it prints one line, on failure everything the build printed, then exits with the
// build's exit code. `pnpm demo` and `pnpm test` build through it so that their own output comes first;
// `pnpm build` itself stays verbose.
//
// Usage: node scripts/build-quietly.mjs [command args...]   (default: pnpm build)
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.length > 2 ? process.argv.slice(2) : ['pnpm', 'build'];
const label = [command, ...args].join(' ');
// Under `pnpm run`, npm_execpath is the running pnpm: use it, so pnpm need not be on PATH.
const pnpm = process.env.npm_execpath;
const [file, argv] =
  command === 'pnpm' && pnpm && /pnpm/.test(pnpm) ? [process.execPath, [pnpm, ...args]] : [command, args];
const chunks = [];
const child = spawn(file, argv, {
  stdio: ['ignore', 'pipe', 'pipe'],
  shell: process.platform === 'win32',
  env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0') },
});
child.stdout.on('data', (chunk) => chunks.push(chunk));
child.stderr.on('data', (chunk) => chunks.push(chunk));
let startFailure;
child.on('error', (error) => {
  startFailure = error;
});
child.on('close', (code, signal) => {
  if (startFailure) {
    process.stderr.write(`${label}: could not start: ${startFailure.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (code === 0) {
    process.stdout.write(`${label}: done (output hidden; run it directly to see it)\n`);
    return;
  }
  process.stderr.write(Buffer.concat(chunks));
  process.stderr.write(`\n${label}: failed (${signal ?? `exit code ${code}`}); its full output is above\n`);
  process.exitCode = code || 1;
});
