// Writes dist/index.d.cts for the CommonJS build, after tsup.
//
// The CommonJS build bundles jose (ESM-only; Jest's CommonJS loader cannot `require` it), and its
// declarations must not import jose either: under `module: node16` a CommonJS declaration file that
// imports an ES module fails to typecheck (TS1479, or TS1541 for `import type`) unless `skipLibCheck`
// hides it. tsup cannot inline a dependency's types, so this step does, the simple way: jose's type
// declarations (one self-contained file, MIT, see THIRD-PARTY-NOTICES.md) are copied next to ours as
// `dist/jose-types.d.cts`, and `index.d.cts` is `index.d.ts` importing them from there.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const esmDeclarations = readFileSync(join(dist, 'index.d.ts'), 'utf8');
const joseImport = /^(import \{[^}]*\} from )'jose';$/m;
if (!joseImport.test(esmDeclarations)) {
  throw new Error("dist/index.d.ts no longer imports from 'jose': drop scripts/cjs-declarations.mjs");
}
if (esmDeclarations.replace(joseImport, '').includes("'jose")) {
  throw new Error('dist/index.d.ts imports jose in a way scripts/cjs-declarations.mjs does not handle');
}
// jose's package.json `exports` hides its files; find them from its main entry.
const joseEntry = createRequire(import.meta.url).resolve('jose');
const joseTypes = join(dirname(joseEntry), '../types/types.d.ts');
copyFileSync(joseTypes, join(dist, 'jose-types.d.cts'));
writeFileSync(join(dist, 'index.d.cts'), esmDeclarations.replace(joseImport, "$1'./jose-types.cjs';"));
