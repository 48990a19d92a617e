import { describe, expect, it } from 'vitest';
import { loadVectors, mismatches, runSignatureFile, SIGNATURE_FILES } from './wycheproof.js';

describe.each(SIGNATURE_FILES.map((spec) => [spec.file, spec] as const))(
  'Wycheproof %s: group JWK through importJwk, then verifySignature',
  (file, spec) => {
    const report = runSignatureFile(spec);

    it('runs every vector of the file', () => {
      const { numberOfTests } = loadVectors<{ numberOfTests: number }>(file);
      expect(report.outcomes).toHaveLength(numberOfTests);
    });

    it(`binds every group key to ${spec.alg} (none is ignored by the importer)`, () => {
      expect([...report.boundAlgorithms]).toEqual([spec.alg]);
      expect(report.outcomes.filter((o) => !o.verdict.accepted && o.verdict.code === 'key_ignored')).toEqual(
        [],
      );
      expect(report.outcomes.length).toBeGreaterThan(100);
    });

    it('accepts every valid signature and refuses every invalid one', () => {
      expect(mismatches(report.outcomes)).toEqual([]);
      const valid = report.outcomes.filter((o) => o.upstream === 'valid');
      const invalid = report.outcomes.filter((o) => o.upstream === 'invalid');
      expect(valid.length).toBeGreaterThan(0);
      expect(invalid.length).toBeGreaterThan(0);
      expect(valid.every((o) => o.verdict.accepted)).toBe(true);
      expect(invalid.some((o) => o.verdict.accepted)).toBe(false);
    });

    it('decides every "acceptable" vector explicitly, and the decision holds', () => {
      const acceptable = report.outcomes.filter((o) => o.upstream === 'acceptable');
      expect(acceptable.map((o) => o.tcId).sort((a, b) => a - b)).toEqual(
        Object.keys(spec.acceptable)
          .map(Number)
          .sort((a, b) => a - b),
      );
      for (const o of acceptable) {
        expect(o.verdict.accepted, `tcId ${o.tcId}`).toBe(spec.acceptable[o.tcId]?.decision === 'accept');
      }
    });
  },
);
