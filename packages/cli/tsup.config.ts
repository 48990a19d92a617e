import { defineConfig } from 'tsup';

// Two builds. The `.` entry (`main`, for running the commands in-process) as ESM + CJS + types, like every
// package. The `scopeguard` bin as one ES module with a shebang; splitting keeps dev-server (and
// @scopeguard/testing) out of what `explain` and `doctor` load. `@scopeguard/core` and
// `@scopeguard/testing` stay external (they are dependencies), so the CLI runs exactly the verifier a
// project installs.
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    shims: true, // import.meta.url (version() reads package.json) in the CommonJS build
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
