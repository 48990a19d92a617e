import { describe, expect, it } from 'vitest';
import { parseCompact } from '../../packages/core/src/compact.js';
import { TokenError } from '../../packages/core/src/errors.js';
import { importJwk } from '../../packages/core/src/jwk-import.js';
import {
  ALL_ALGORITHMS,
  isDisabledAlgorithm,
  JWS_DIVERGENCES,
  loadVectors,
  mismatches,
  type Outcome,
  runJwsFile,
  verifyJwsSignatureLayer,
} from './wycheproof.js';

const FILE = 'json_web_signature_test.json';
const report = runJwsFile();
const byId = new Map(report.outcomes.map((outcome) => [outcome.tcId, outcome]));

function outcome(tcId: number): Outcome {
  const found = byId.get(tcId);
  if (!found) throw new Error(`no vector with tcId ${tcId}`);
  return found;
}

function jwsOf(tcId: number): string {
  const { testGroups } = loadVectors<{ testGroups: { tests: { tcId: number; jws: string }[] }[] }>(FILE);
  const vector = testGroups.flatMap((group) => group.tests).find((test) => test.tcId === tcId);
  if (!vector) throw new Error(`no vector with tcId ${tcId}`);
  return vector.jws;
}

describe(`Wycheproof ${FILE} through the signature layer (parseCompact, allowlist, key binding, verifySignature)`, () => {
  it('runs every vector of the file', () => {
    const { numberOfTests } = loadVectors<{ numberOfTests: number }>(FILE);
    expect(report.outcomes).toHaveLength(numberOfTests);
    expect(numberOfTests).toBe(401);
  });

  it('gives every vector the outcome this suite expects (upstream result, policy and known divergences)', () => {
    expect(mismatches(report.outcomes)).toEqual([]);
  });

  it('refuses every invalid vector', () => {
    const invalid = report.outcomes.filter((o) => o.upstream === 'invalid');
    expect(invalid.length).toBe(355);
    expect(invalid.filter((o) => o.verdict.accepted).map((o) => o.tcId)).toEqual([]);
  });

  it('accepts every valid vector whose algorithm is enabled, except the listed known divergences', () => {
    const enabledValid = report.outcomes.filter(
      (o) => o.upstream === 'valid' && o.note?.kind !== 'policy' && !(o.tcId in JWS_DIVERGENCES),
    );
    expect(enabledValid.length).toBeGreaterThan(30);
    expect(enabledValid.filter((o) => !o.verdict.accepted).map((o) => o.tcId)).toEqual([]);
  });

  it('refuses valid HS256 vectors: symmetric algorithms can never be enabled (RFC 8725 §3.1)', () => {
    const policy = report.outcomes.filter((o) => o.note?.kind === 'policy');
    expect(policy.map((o) => o.tcId)).toEqual([1, 348, 352, 357, 358, 359, 376, 377]);
    for (const o of policy) {
      expect(o.verdict.accepted).toBe(false);
      // HS* is not on the allowlist (and the HMAC key would never be imported anyway).
      expect(o.verdict).toMatchObject({ code: 'alg_not_allowed' });
    }
    for (const alg of ['HS256', 'HS384', 'HS512', 'none']) expect(isDisabledAlgorithm(alg)).toBe(true);
  });

  it('has no "acceptable" vector, so no decision is needed for this file', () => {
    expect(report.outcomes.filter((o) => o.upstream === 'acceptable')).toEqual([]);
  });

  describe('known divergences: upstream says valid, a strict verifier refuses', () => {
    it.each(Object.entries(JWS_DIVERGENCES))('tcId %s', (id, divergence) => {
      const o = outcome(Number(id));
      expect(o.upstream).toBe('valid');
      expect(o.verdict.accepted).toBe(false);
      if (o.verdict.accepted) return;
      expect(o.verdict.code).toBe(divergence.code);
      expect(o.verdict.reason).toMatch(divergence.message);
    });
  });

  describe('the attacks Wycheproof names', () => {
    it('alg "none" with a missing signature (tcId 16) is refused before any key is used', () => {
      const o = outcome(16);
      expect(o.verdict).toMatchObject({ accepted: false, code: 'token_malformed' });
    });

    it('alg "none" / "NONE" with a signature segment (tcIds 341-344) is refused', () => {
      for (const id of [341, 342, 343, 344]) expect(outcome(id).verdict.accepted).toBe(false);
    });

    it('symmetric/asymmetric confusion: HS256 keyed with the EC public key bytes (tcId 31) is alg_not_allowed', () => {
      expect(outcome(31).verdict).toMatchObject({ accepted: false, code: 'alg_not_allowed' });
    });

    it('attacker-provided embedded "jwk" header (tcId 32) is never used: the signature does not verify', () => {
      expect(outcome(32).verdict).toMatchObject({ accepted: false, code: 'signature_invalid' });
    });

    it('a key declared for encryption ("use": "enc", "key_ops": ["encrypt"]) never verifies (tcIds 353-356)', () => {
      for (const id of [353, 354, 355, 356]) {
        expect(outcome(id).verdict).toMatchObject({ accepted: false, code: 'key_not_found' });
        expect(outcome(id).verdict).toMatchObject({
          reason: expect.stringMatching(/ignored by the importer: "(use|key_ops)"/),
        });
      }
    });

    it('wrong primitive: an RS*/PS* signature under a PS512-bound key (tcIds 331-340) is refused', () => {
      for (let id = 331; id <= 340; id++) expect(outcome(id).verdict.accepted).toBe(false);
    });

    it('ECDSA special cases: r or s of 0, 1, n-1, n, DER-length and overflow (tcIds 379-401) are refused', () => {
      for (let id = 379; id <= 401; id++) expect(outcome(id).verdict.accepted, `tcId ${id}`).toBe(false);
      expect(outcome(378).verdict.accepted).toBe(true);
    });

    it('padding, spaces and characters outside base64url in any segment (tcIds 360-371, 374-375) are refused', () => {
      for (const id of [360, 361, 362, 363, 364, 365, 366, 367, 368, 369, 370, 371, 374, 375]) {
        expect(outcome(id).verdict.accepted, `tcId ${id}`).toBe(false);
      }
    });
  });

  describe('the harness is the core, not a re-implementation', () => {
    const rs256Key = () => {
      const key = importJwk(
        loadVectors<{ testGroups: { public?: unknown }[] }>(FILE).testGroups[2]?.public,
        ALL_ALGORITHMS,
      );
      if ('ignored' in key) throw new Error(key.ignored);
      return key;
    };

    it('accepts the RS256 "acceptsValid" vector and refuses it once one payload byte changes', () => {
      const jws = jwsOf(33);
      expect(verifyJwsSignatureLayer(jws, [rs256Key()])).toEqual({ accepted: true });
      const [h, , s] = jws.split('.');
      const tampered = `${h}.${Buffer.from('fop').toString('base64url')}.${s}`;
      expect(verifyJwsSignatureLayer(tampered, [rs256Key()])).toMatchObject({
        accepted: false,
        code: 'signature_invalid',
      });
    });

    it('refuses when the allowlist does not hold the header alg, even with the right key', () => {
      expect(verifyJwsSignatureLayer(jwsOf(33), [rs256Key()], ['ES256'])).toMatchObject({
        accepted: false,
        code: 'alg_not_allowed',
      });
    });

    it('refuses an unknown kid with key_not_found', () => {
      const [, p, s] = jwsOf(33).split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'someone-else' })).toString('base64url');
      expect(verifyJwsSignatureLayer(`${header}.${p}.${s}`, [rs256Key()])).toMatchObject({
        accepted: false,
        code: 'key_not_found',
      });
    });

    it('the full verifier refuses these raw payloads outright: an access token must be a JSON claim set', () => {
      let caught: unknown;
      try {
        parseCompact(jwsOf(33), 16_384);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TokenError);
      expect((caught as TokenError).code).toBe('token_malformed');
      expect((caught as TokenError).claim).toBe('payload');
    });
  });
});
