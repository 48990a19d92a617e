// A private redis-server for the bench: temporary directory, unix socket, TCP on a free 127.0.0.1 port,
// no persistence. (The tests have the same thing in TypeScript: test/support/redis-server.ts.)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './common.mjs';

/** `Redis server v=7.0.15 …` → `7.0.15`, or undefined when redis-server is not installed. */
export function redisServerVersion() {
  try {
    return /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

export async function startRedisServer() {
  const dir = mkdtempSync(join(tmpdir(), 'scopeguard-bench-redis-'));
  const socketPath = join(dir, 'redis.sock');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      ...[
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--unixsocket',
        socketPath,
        '--unixsocketperm',
        '700',
      ],
      ...['--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--loglevel', 'warning'],
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server exited (${child.exitCode}) before answering`);
    }
    if (await pong(socketPath)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('redis-server did not answer PING within 10 s');
    }
    await sleep(20);
  }
  return { socketPath, port, stop };
}

function pong(socketPath) {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      socket.end();
      resolve(chunk.toString('latin1').startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
