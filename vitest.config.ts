import { defineConfig } from 'vitest/config';

// Tests import the workspace packages by name; the private `@scopeguard/source` export condition points
// them at `src/` so a test run never depends on a stale build. It exists only in the workspace: packing
// replaces `exports` with `publishConfig.exports`, which has no such condition (test/packaging checks it),
// and the packaging tests use the packed tarballs on purpose.
const source = '@scopeguard/source';
export default defineConfig({
  resolve: { conditions: [source] },
  ssr: { resolve: { conditions: [source], externalConditions: [source] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
