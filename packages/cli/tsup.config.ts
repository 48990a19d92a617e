import { defineConfig } from 'tsup';

// One ES module with a shebang: the `scopeguard` bin. `@scopeguard/core` and `@scopeguard/testing` stay
// external (they are dependencies), so the CLI runs exactly the verifier a project installs.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true, // dev-server (and @scopeguard/testing) load only when that command runs
  banner: { js: '#!/usr/bin/env node' },
});
