import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderConformance } from './report.js';
import { runJwkFile, runJwsFile, runSignatureFile, SIGNATURE_FILES } from './wycheproof.js';

const TARGET = fileURLToPath(new URL('../CONFORMANCE.md', import.meta.url));

describe('test/CONFORMANCE.md', () => {
  const reports = [runJwsFile(), runJwkFile(), ...SIGNATURE_FILES.map((spec) => runSignatureFile(spec))];
  const rendered = renderConformance(reports);

  it('is rendered deterministically (a second run gives the same bytes)', () => {
    const again = renderConformance([
      runJwsFile(),
      runJwkFile(),
      ...SIGNATURE_FILES.map((spec) => runSignatureFile(spec)),
    ]);
    expect(again).toBe(rendered);
    expect(rendered).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps
  });

  it('lists every vector file, and is written next to the tests (only when its content changed)', () => {
    for (const report of reports) expect(rendered).toContain(`\`${report.file}\``);
    let current: string | undefined;
    try {
      current = readFileSync(TARGET, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== rendered) writeFileSync(TARGET, rendered);
    expect(readFileSync(TARGET, 'utf8')).toBe(rendered);
  });
});
