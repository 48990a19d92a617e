// Memory: RSS after N distinct tokens through scopeguard with its verified-token cache on (and off, as a
// control), each run in a fresh child process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../lib/common.mjs';

const CHILD = fileURLToPath(new URL('../memory-child.mjs', import.meta.url));

function runChild(total, cacheMode, maxMs) {
  const child = fork(CHILD, [String(total), cacheMode], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`memory child exited (${code}) without a result`)));
    child.once('error', reject);
  });
  return withTimeout(result, maxMs, 'memory child').finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

export async function memory(config, log) {
  const runs = [];
  for (const cacheMode of ['default', 'off']) {
    log(
      `  scopeguard EdDSA, ${(cacheMode === 'off' ? config.controlTokens : config.tokens).toLocaleString('en-US')} distinct tokens, cache ${cacheMode}`,
    );
    runs.push(
      await runChild(cacheMode === 'off' ? config.controlTokens : config.tokens, cacheMode, config.maxMs),
    );
  }
  return { runs };
}
