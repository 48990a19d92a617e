import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real `redis-server` for tests, private to the test file that started it: its own temporary
 * directory, a unix socket there, optionally TCP on 127.0.0.1, no persistence (`--save ''
 * --appendonly no`). `pnpm test` installs Debian's `redis-server` when missing (scripts/ensure-redis-server.mjs); when it is missing, starting
 * one throws, so the tests fail loudly instead of skipping.
 */
export interface RedisServer {
  /** The unix socket (`redis.sock` in the server's temporary directory). */
  readonly socketPath: string;
  /** The TCP port on 127.0.0.1, when started with `tcp: true`. */
  readonly port: number | undefined;
  /** `redis://127.0.0.1:PORT` when TCP is on, else `unix://…`. */
  readonly url: string;
  /** Kills the server with SIGKILL (a crash: nothing is saved) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same socket and port (after `kill`), empty. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Also listen on TCP, on a free port of 127.0.0.1. Default: unix socket only. */
  tcp?: boolean;
  /** The executable, looked up on PATH. Default `redis-server`. */
  command?: string;
}

const missing = (command: string) =>
  `${command} is not installed (or not on PATH). The @scopeguard/redis tests run against a real Redis: ` +
  'install it (Debian/Ubuntu: apt-get install -y redis-server; pnpm test does this when it can).';

/** Starts a private `redis-server` and resolves once it answers `PING`. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const command = options.command ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'scopeguard-redis-'));
  const socketPath = join(dir, 'redis.sock');
  let port = options.tcp ? await freePort() : undefined;
  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async (): Promise<void> => {
    const args = [
      ...['--port', String(port ?? 0), '--bind', '127.0.0.1'],
      ...['--unixsocket', socketPath, '--unixsocketperm', '700'],
      ...['--save', '', '--appendonly', 'no', '--dir', dir],
      ...['--daemonize', 'no', '--logfile', '', '--loglevel', 'warning'],
    ];
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new Error(missing(command)) : error),
      );
      proc.once('exit', (code, signal) =>
        reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${output}`)),
      );
    });
    failed.catch(() => {});
    await Promise.race([failed, waitForPong(socketPath)]);
  };

  const exited = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const escalate = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(escalate);
  };

  // A TCP port picked this way can be taken by someone else before Redis binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      await exited('SIGKILL');
      if (!options.tcp || attempt >= 5 || String(error).includes('is not installed')) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }

  return {
    socketPath,
    get port() {
      return port;
    },
    get url() {
      return port === undefined ? `unix://${socketPath}` : `redis://127.0.0.1:${port}`;
    },
    kill: () => exited('SIGKILL'),
    restart: async () => {
      await exited('SIGKILL');
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await exited('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the socket with `PING` until `+PONG` comes back (10 s at most). */
async function waitForPong(socketPath: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if ((await ping(socketPath)).startsWith('+PONG')) return;
    } catch (error) {
      last = error;
    }
    await sleep(20);
  }
  throw new Error(`redis-server did not answer PING on ${socketPath} within 10 s (${String(last)})`);
}

function ping(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('PING timed out')));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
  });
}

/** A port 127.0.0.1 had free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
