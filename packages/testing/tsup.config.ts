import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// jose 6 is ESM-only. Node ≥ 20.19 can `require()` it, but Jest's own module loader cannot, so under
// Jest a CommonJS test suite could not load this package. The CommonJS build therefore carries its own
// copy of jose (bundled; its MIT licence is in THIRD-PARTY-NOTICES.md), while the ES module build keeps
// jose as a dependency, deduplicated with the user's. `dist/index.d.cts` is written after tsup by
// scripts/cjs-declarations.mjs (a CommonJS declaration file may not import ESM-only jose's types).
//
// The two builds run in parallel, so neither may `clean` (one would delete the other's files): the
// output folder is emptied here, once, before either starts.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const shared: Options = {
  entry: ['src/index.ts'],
  sourcemap: true,
  clean: false,
  target: 'node20',
  platform: 'node',
  splitting: false,
};

export default defineConfig([
  { ...shared, format: ['esm'], dts: true },
  { ...shared, format: ['cjs'], noExternal: ['jose'] },
]);
