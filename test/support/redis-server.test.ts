import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from './redis-server.js';

describe('startRedisServer (the test helper every Redis test starts from)', () => {
  it('fails with a message saying how to install redis-server when it is missing, so no test skips silently', async () => {
    await expect(startRedisServer({ command: 'redis-server-not-installed-here' })).rejects.toThrow(
      /redis-server-not-installed-here is not installed .*apt-get install -y redis-server/,
    );
  });

  it('starts a private server on a unix socket that answers, and removes everything on stop', async () => {
    const server = await startRedisServer({ tcp: true });
    expect(existsSync(server.socketPath)).toBe(true);
    expect(server.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    await server.stop();
    expect(existsSync(dirname(server.socketPath))).toBe(false);
  });
});
