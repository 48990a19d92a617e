/**
 * Runs Project Wycheproof vectors (C2SP/wycheproof, copied unmodified into `test/vectors/wycheproof/`)
 * through scopeguard's own signature layer, and describes every outcome so that the tests can assert it
 * and `CONFORMANCE.md` can be generated from it.
 *
 * Nothing here re-implements a check the core makes: keys go through `importJwk` / `importJwks`, the
 * compact serialization through `parseCompact`, signatures through `verifySignature`. The one thing the
 * harness adds is the treatment of the JWS payload: Wycheproof's payloads are raw bytes (`foo`, empty,
 * all-zero, ...), not JWT claim sets, so a JWT verifier would refuse every one of them before looking at
 * the signature. To exercise the signature layer, the payload segment is swapped for `{}` while
 * `parseCompact` checks the header and signature segments, and is itself checked with the same strict
 * base64url rules (an empty payload being allowed, as RFC 7515 §7.1 allows it). The signature is always
 * verified over the vector's original `header.payload`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Algorithm, SUPPORTED_ALGORITHMS } from '../../packages/core/src/algorithms.js';
import { parseCompact } from '../../packages/core/src/compact.js';
import { isTokenError } from '../../packages/core/src/errors.js';
import { importJwk, importJwks } from '../../packages/core/src/jwk-import.js';
import { DEFAULTS } from '../../packages/core/src/options.js';
import { verifySignature } from '../../packages/core/src/signature.js';
import type { ImportedKey } from '../../packages/core/src/types.js';

export const VECTOR_DIR = fileURLToPath(new URL('../vectors/wycheproof/', import.meta.url));

/** Upstream result of a vector. */
export type UpstreamResult = 'valid' | 'invalid' | 'acceptable';

/** What scopeguard did with one vector. */
export type Verdict = { accepted: true } | { accepted: false; code: string; reason: string };

/** One vector, run. */
export interface Outcome {
  tcId: number;
  comment: string;
  upstream: UpstreamResult;
  verdict: Verdict;
  /** What this suite expects of scopeguard (upstream's result, adjusted by the policy / divergence tables). */
  expected: 'accept' | 'refuse';
  /** Why the expectation differs from upstream, if it does. */
  note?: { kind: 'policy' | 'divergence' | 'acceptable'; reason: string };
}

/** Summary of one vector file, as printed in CONFORMANCE.md. */
export interface FileReport {
  file: string;
  outcomes: Outcome[];
  /** Free-text notes on how the file was run (key derivations, etc.). */
  notes: string[];
}

/** Every algorithm scopeguard can verify: the allowlist the vectors run with. */
export const ALL_ALGORITHMS: readonly Algorithm[] = SUPPORTED_ALGORITHMS;

export function loadVectors<T>(file: string): T {
  return JSON.parse(readFileSync(`${VECTOR_DIR}${file}`, 'utf8')) as T;
}

// ---------------------------------------------------------------------------------------------------
// The signature layer of `verify`, minus the claim checks.

const PAYLOAD_STAND_IN = Buffer.from('{}').toString('base64url');

function refused(code: string, reason: string): Verdict & { accepted: false } {
  return { accepted: false, code, reason };
}

function fromError(error: unknown): Verdict {
  if (isTokenError(error)) return refused(error.code, error.message);
  throw error; // anything but a TokenError is a bug in the core, and must fail the test run
}

/** Strict, canonical, unpadded base64url; the empty string is an empty payload. */
function payloadIsBase64url(segment: string): boolean {
  if (segment === '') return true;
  if (!/^[A-Za-z0-9_-]+$/.test(segment) || segment.length % 4 === 1) return false;
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/**
 * What `verify` does with `jws` up to (and including) the signature: strict compact parsing, the
 * algorithm allowlist, key lookup by `kid` (or the single key bound to `alg`), alg-fits-key, signature.
 */
export function verifyJwsSignatureLayer(
  jws: string,
  keys: readonly ImportedKey[],
  algorithms: readonly Algorithm[] = ALL_ALGORITHMS,
  ignored: readonly string[] = [],
): Verdict {
  const segments = jws.split('.');
  let header: Record<string, unknown>;
  let signature: Buffer;
  try {
    if (jws.length > DEFAULTS.maxTokenLength || segments.length !== 3)
      parseCompact(jws, DEFAULTS.maxTokenLength);
    const [h, p, s] = segments as [string, string, string];
    ({ header, signature } = parseCompact(`${h}.${PAYLOAD_STAND_IN}.${s}`, DEFAULTS.maxTokenLength));
    if (!payloadIsBase64url(p)) return refused('token_malformed', 'the payload segment is not base64url');
  } catch (error) {
    return fromError(error);
  }
  const alg = header.alg as string;
  if (!(algorithms as readonly string[]).includes(alg)) {
    return refused('alg_not_allowed', `alg ${JSON.stringify(alg)} is not allowed`);
  }
  const kid = header.kid as string | undefined;
  const candidates =
    kid === undefined ? keys.filter((key) => key.alg === alg) : keys.filter((key) => key.kid === kid);
  const key = candidates.length === 1 ? candidates[0] : undefined;
  if (key === undefined) {
    const why = ignored.length > 0 ? ` (keys ignored by the importer: ${ignored.join('; ')})` : '';
    return refused('key_not_found', `no single key for kid ${JSON.stringify(kid)}${why}`);
  }
  if (key.alg !== alg)
    return refused('alg_not_allowed', `alg ${alg} does not fit the key, bound to ${key.alg}`);
  const signingInput = Buffer.from(jws.slice(0, jws.lastIndexOf('.')), 'ascii');
  return verifySignature(key.alg, key.key, signingInput, signature)
    ? { accepted: true }
    : refused('signature_invalid', `signature does not verify (${key.alg})`);
}

// ---------------------------------------------------------------------------------------------------
// json_web_signature_test.json

interface JwsVector {
  tcId: number;
  comment: string;
  jws: string;
  result: UpstreamResult;
}
interface JwsGroup {
  comment: string;
  private: Record<string, unknown>;
  public?: Record<string, unknown>;
  tests: JwsVector[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

/** The group's public JWK, or the public part of its private one; a symmetric key is passed as it is. */
export function publicPart(jwk: Record<string, unknown>): Record<string, unknown> {
  if (jwk['kty'] === 'oct') return jwk;
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name)));
}

function headerAlg(jws: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof header === 'object' && header !== null
      ? String((header as { alg?: unknown }).alg)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Known divergences from upstream in the JWS file: vectors marked `valid` that a strict verifier refuses.
 * Each is asserted to be refused with this code and a message matching `message`.
 */
export const JWS_DIVERGENCES: Readonly<Record<number, { code: string; message: RegExp; reason: string }>> = {
  346: {
    code: 'alg_not_allowed',
    message: /does not fit the key, bound to PS256/,
    reason:
      'header alg PS384 (RFC 7520 Figure 20) but the group key says alg PS256: a key is bound to one algorithm (RFC 8725 §3.1)',
  },
  347: {
    code: 'key_not_found',
    message: /ignored by the importer: alg "ES521" is not a supported signature algorithm/,
    reason:
      'the group key says alg "ES521", which is no JWS algorithm (ES512 is meant): the importer ignores the key',
  },
  350: {
    code: 'alg_not_allowed',
    message: /does not fit the key, bound to PS256/,
    reason:
      'same data as 346, in the key_ops variant of the RFC 7520 groups (not listed in the vectors README)',
  },
  351: {
    code: 'key_not_found',
    message: /ignored by the importer: alg "ES521" is not a supported signature algorithm/,
    reason:
      'same data as 347, in the key_ops variant of the RFC 7520 groups (not listed in the vectors README)',
  },
  372: {
    code: 'token_malformed',
    message: /header segment is not base64url/,
    reason:
      'a "?" inside the header segment: not base64url, refused before any key or algorithm is considered',
  },
  373: {
    code: 'token_malformed',
    message: /payload segment is not base64url/,
    reason:
      'a "?" inside the payload segment: not base64url, refused before any key or algorithm is considered',
  },
};

/** Algorithms that are never enabled: a `valid` vector using one is refused by policy. */
export function isDisabledAlgorithm(alg: string | undefined): boolean {
  return alg === undefined || !(ALL_ALGORITHMS as readonly string[]).includes(alg);
}

export function runJwsFile(): FileReport {
  const file = 'json_web_signature_test.json';
  const { testGroups } = loadVectors<{ testGroups: JwsGroup[] }>(file);
  const outcomes: Outcome[] = [];
  for (const group of testGroups) {
    const imported = importJwk(group.public ?? publicPart(group.private), ALL_ALGORITHMS);
    for (const vector of group.tests) {
      const verdict =
        'ignored' in imported
          ? verifyJwsSignatureLayer(vector.jws, [], ALL_ALGORITHMS, [imported.ignored])
          : verifyJwsSignatureLayer(vector.jws, [imported]);
      outcomes.push(expectationFor(vector, verdict, headerAlg(vector.jws), JWS_DIVERGENCES));
    }
  }
  return {
    file,
    outcomes,
    notes: [
      'Key: the group `public` JWK, else the public members of `private` (a symmetric `oct` key is passed as is, and ignored).',
      'Payloads are raw bytes, not JWT claim sets: `parseCompact` checks header and signature with the payload swapped for `{}`, the payload segment gets the same strict base64url check, and the signature is verified over the original `header.payload`.',
    ],
  };
}

function expectationFor(
  vector: { tcId: number; comment: string; result: UpstreamResult },
  verdict: Verdict,
  alg: string | undefined,
  divergences: Readonly<Record<number, { reason: string }>>,
): Outcome {
  const base = { tcId: vector.tcId, comment: vector.comment, upstream: vector.result, verdict };
  const divergence = divergences[vector.tcId];
  if (divergence) {
    const expected = vector.result === 'valid' ? 'refuse' : 'accept';
    return { ...base, expected, note: { kind: 'divergence', reason: divergence.reason } };
  }
  if (vector.result === 'valid' && isDisabledAlgorithm(alg)) {
    return {
      ...base,
      expected: 'refuse',
      note: { kind: 'policy', reason: `alg ${alg} is never enabled (symmetric or unknown)` },
    };
  }
  if (vector.result === 'acceptable') {
    throw new Error(`tcId ${vector.tcId}: an acceptable vector needs an explicit decision`);
  }
  return { ...base, expected: vector.result === 'valid' ? 'accept' : 'refuse' };
}

// ---------------------------------------------------------------------------------------------------
// json_web_key_test.json

interface JwkGroup {
  comment: string;
  private: { keys: unknown[] };
  public?: { keys: unknown[] };
  tests: JwsVector[];
}

/** Known divergences in the JWK file: vectors where scopeguard does not do what upstream asks. */
export const JWK_DIVERGENCES: Readonly<Record<number, { reason: string }>> = {
  7: {
    reason:
      'ROCA (CVE-2017-15361) moduli are not detected: `importJwk` checks size and exponent but not the ROCA fingerprint, so the key is kept and its signature verifies',
  },
};

export interface JwkRun extends FileReport {
  /** Per tcId: what `importJwks` kept and ignored. */
  imports: Map<number, { kept: number; ignored: string[] }>;
}

export function runJwkFile(divergences = JWK_DIVERGENCES): JwkRun {
  const file = 'json_web_key_test.json';
  const { testGroups } = loadVectors<{ testGroups: JwkGroup[] }>(file);
  const outcomes: Outcome[] = [];
  const imports = new Map<number, { kept: number; ignored: string[] }>();
  for (const group of testGroups) {
    const document = group.public ?? group.private;
    const { keys, ignored } = importJwks(document, ALL_ALGORITHMS);
    for (const vector of group.tests) {
      imports.set(vector.tcId, { kept: keys.length, ignored: ignored.map((entry) => entry.reason) });
      const verdict = verifyJwsSignatureLayer(
        vector.jws,
        keys,
        ALL_ALGORITHMS,
        ignored.map((entry) => entry.reason),
      );
      outcomes.push(expectationFor(vector, verdict, headerAlg(vector.jws), divergences));
    }
  }
  return {
    file,
    outcomes,
    imports,
    notes: [
      'The set imported is the group `public` JWK Set, else its `private` one (which the importer must refuse: private and symmetric keys are never used); each `jws` is then run through the signature layer with the keys kept.',
    ],
  };
}

// ---------------------------------------------------------------------------------------------------
// Raw signature files (ES256, RS256, PS256, EdDSA)

interface SignatureVector {
  tcId: number;
  comment: string;
  msg: string;
  sig: string;
  result: UpstreamResult;
  flags: string[];
}
interface SignatureGroup {
  publicKeyJwk?: Record<string, unknown>;
  keyJwk?: Record<string, unknown>;
  publicKey?: { wx?: string; wy?: string } | string;
  tests: SignatureVector[];
}

export interface SignatureFile {
  file: string;
  alg: Algorithm;
  /** Decisions for `acceptable` vectors: accept or refuse, with the reason. */
  acceptable: Readonly<Record<number, { decision: 'accept' | 'refuse'; reason: string }>>;
  /** Known divergences: tcId → reason. */
  divergences: Readonly<Record<number, { reason: string }>>;
}

function coordinate(hex: string, bytes: number): string {
  const raw = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
  let start = 0;
  while (raw.length - start > bytes && raw[start] === 0) start++;
  const value = raw.subarray(start);
  return Buffer.concat([Buffer.alloc(Math.max(0, bytes - value.length)), value]).toString('base64url');
}

/** The group's JWK; for the few ECDSA groups upstream publishes without one, built from `wx`/`wy`. */
function groupJwk(group: SignatureGroup): { jwk: unknown; derived: boolean } {
  const jwk = group.publicKeyJwk ?? group.keyJwk;
  if (jwk) return { jwk, derived: false };
  const key = group.publicKey;
  if (typeof key === 'object' && key.wx !== undefined && key.wy !== undefined) {
    return {
      jwk: { kty: 'EC', crv: 'P-256', x: coordinate(key.wx, 32), y: coordinate(key.wy, 32) },
      derived: true,
    };
  }
  return { jwk: undefined, derived: false };
}

export function runSignatureFile(spec: SignatureFile): FileReport & { boundAlgorithms: Set<string> } {
  const { testGroups } = loadVectors<{ testGroups: SignatureGroup[] }>(spec.file);
  const outcomes: Outcome[] = [];
  const boundAlgorithms = new Set<string>();
  let derivedGroups = 0;
  for (const group of testGroups) {
    const { jwk, derived } = groupJwk(group);
    if (derived) derivedGroups++;
    const imported = importJwk(jwk, ALL_ALGORITHMS);
    if (!('ignored' in imported)) boundAlgorithms.add(imported.alg);
    for (const vector of group.tests) {
      let verdict: Verdict;
      if ('ignored' in imported) {
        verdict = refused('key_ignored', `the group key is ignored by the importer: ${imported.ignored}`);
      } else {
        const ok = verifySignature(
          imported.alg,
          imported.key,
          Buffer.from(vector.msg, 'hex'),
          Buffer.from(vector.sig, 'hex'),
        );
        verdict = ok ? { accepted: true } : refused('signature_invalid', 'verifySignature returned false');
      }
      const base = { tcId: vector.tcId, comment: vector.comment, upstream: vector.result, verdict };
      const divergence = spec.divergences[vector.tcId];
      const acceptable = spec.acceptable[vector.tcId];
      if (divergence) {
        outcomes.push({
          ...base,
          expected: vector.result === 'valid' ? 'refuse' : 'accept',
          note: { kind: 'divergence', reason: divergence.reason },
        });
      } else if (vector.result === 'acceptable') {
        if (!acceptable)
          throw new Error(`${spec.file} tcId ${vector.tcId}: acceptable vector without a decision`);
        outcomes.push({
          ...base,
          expected: acceptable.decision,
          note: { kind: 'acceptable', reason: acceptable.reason },
        });
      } else {
        outcomes.push({ ...base, expected: vector.result === 'valid' ? 'accept' : 'refuse' });
      }
    }
  }
  const notes = [
    `Each group JWK is imported with \`importJwk\` (allowlist: every supported algorithm) and must bind to ${spec.alg}; \`msg\`/\`sig\` go to \`verifySignature\`.`,
  ];
  if (derivedGroups > 0) {
    notes.push(
      `${derivedGroups} groups have no \`publicKeyJwk\` upstream; their JWK is built from \`publicKey.wx\`/\`wy\` (32-byte big-endian coordinates, RFC 7518 §6.2.1).`,
    );
  }
  return { file: spec.file, outcomes, notes, boundAlgorithms };
}

/** The four raw-signature files and what was decided about them. */
export const SIGNATURE_FILES: readonly SignatureFile[] = [
  { file: 'ecdsa_secp256r1_sha256_p1363_test.json', alg: 'ES256', acceptable: {}, divergences: {} },
  {
    file: 'rsa_signature_2048_sha256_test.json',
    alg: 'RS256',
    acceptable: {
      8: {
        decision: 'refuse',
        reason:
          'DigestInfo without the NULL parameters: OpenSSL compares the encoded DigestInfo with the one it builds (NULL present), so it is refused; refusing is the stricter of the two outcomes upstream allows',
      },
    },
    divergences: {},
  },
  { file: 'rsa_pss_2048_sha256_mgf1_32_test.json', alg: 'PS256', acceptable: {}, divergences: {} },
  { file: 'ed25519_test.json', alg: 'EdDSA', acceptable: {}, divergences: {} },
];

// ---------------------------------------------------------------------------------------------------
// Helpers for tests and the report

export function mismatches(outcomes: readonly Outcome[]): string[] {
  return outcomes
    .filter((o) => (o.expected === 'accept') !== o.verdict.accepted)
    .map(
      (o) =>
        `tcId ${o.tcId} (${o.comment || 'no comment'}): upstream ${o.upstream}, expected ${o.expected}, got ${
          o.verdict.accepted ? 'accepted' : `refused (${o.verdict.code}: ${o.verdict.reason})`
        }`,
    );
}
