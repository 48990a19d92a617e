import { describe, expect, it } from 'vitest';
import { JWK_DIVERGENCES, loadVectors, mismatches, runJwkFile } from './wycheproof.js';

const FILE = 'json_web_key_test.json';
const report = runJwkFile();

function imported(tcId: number) {
  const found = report.imports.get(tcId);
  if (!found) throw new Error(`no vector with tcId ${tcId}`);
  return found;
}

describe(`Wycheproof ${FILE}: JWK Sets through importJwks, then the signature layer`, () => {
  it('runs every vector of the file', () => {
    const { numberOfTests } = loadVectors<{ numberOfTests: number }>(FILE);
    expect(report.outcomes).toHaveLength(numberOfTests);
    expect(numberOfTests).toBe(26);
  });

  it('gives every vector the outcome this suite expects (upstream result, policy and known divergences)', () => {
    expect(mismatches(report.outcomes)).toEqual([]);
  });

  it('accepts the one valid vector with an asymmetric key (tcId 5, RS256)', () => {
    expect(report.outcomes.find((o) => o.tcId === 5)?.verdict).toEqual({ accepted: true });
    expect(imported(5)).toEqual({ kept: 1, ignored: [] });
  });

  describe('keys the importer must refuse (each leaves nothing to verify with)', () => {
    const cases: [number, string, RegExp][] = [
      [6, 'RSA key declared for encryption (use: enc)', /"use" is "enc"/],
      [8, '1024-bit RSA modulus', /1024 bits, under the 2048-bit minimum/],
      [
        9,
        'RSA public exponent 1 (every "signature" equals its message)',
        /exponent must be odd and at least 3/,
      ],
      [10, 'short HS256 secret in a public key set', /symmetric \("oct"\)/],
      [13, 'long HS256 secret in a public key set', /symmetric \("oct"\)/],
      [16, 'empty HS256 secret', /symmetric \("oct"\)/],
      [19, 'alg "ES521" (no such JWS algorithm) on a P-256 key', /"ES521" is not a supported/],
      [20, 'alg "ES224" (unsupported) on a P-256 key', /"ES224" is not a supported/],
      [21, 'EC key declared for encryption', /"use" is "enc"/],
      [22, 'EC point not on the curve (invalid-curve attack)', /not a valid EC public key/],
      [23, 'P-256 coordinates labelled crv P-384', /needs curve P-256, not "P-384"/],
      [24, 'EC members labelled kty RSA', /needs a EC key, not RSA/],
      [25, 'AES-GCM key labelled for signing', /symmetric \("oct"\)/],
      [26, 'AES-KW key labelled for signing', /symmetric \("oct"\)/],
    ];
    it.each(cases)('tcId %i: %s', (tcId, _what, reason) => {
      const { kept, ignored } = imported(tcId);
      expect(kept).toBe(0);
      expect(ignored.join('\n')).toMatch(reason);
      expect(report.outcomes.find((o) => o.tcId === tcId)?.verdict.accepted).toBe(false);
    });
  });

  it('a duplicate kid (tcId 4) and an HMAC-only key set (tcIds 2, 3) leave no usable key', () => {
    for (const tcId of [2, 3, 4]) {
      expect(imported(tcId).kept).toBe(0);
      expect(report.outcomes.find((o) => o.tcId === tcId)?.verdict.accepted).toBe(false);
    }
  });

  it('a mixed set (tcId 1): the symmetric key is dropped, the EC key kept, and the HS256 token refused', () => {
    expect(imported(1).kept).toBe(1);
    expect(imported(1).ignored).toEqual(['symmetric ("oct") key in a public key set']);
    expect(report.outcomes.find((o) => o.tcId === 1)?.verdict).toMatchObject({
      accepted: false,
      code: 'alg_not_allowed',
    });
  });

  describe('known divergences', () => {
    it('tcId 7: a ROCA-vulnerable RSA key (CVE-2017-15361) is not detected, so its token verifies', () => {
      // Pinned so that adding ROCA detection to importJwk shows up here: then drop tcId 7 from
      // JWK_DIVERGENCES (the vector becomes an ordinary refusal).
      expect(Object.keys(JWK_DIVERGENCES)).toEqual(['7']);
      expect(imported(7).kept).toBe(1);
      expect(report.outcomes.find((o) => o.tcId === 7)?.verdict).toEqual({ accepted: true });
    });
  });
});
