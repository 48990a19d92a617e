/**
 * Property-based tests: no mutation of a valid token is ever accepted, and `verify` answers anything at
 * all (arbitrary strings, arbitrary JSON headers and payloads, signed or not) with a `TokenError` whose
 * code describes the token, never with another error, never by resolving.
 */
import { createVerifier, isTokenError, TOKEN_ERROR_CODES, type Verifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, captureSigner, json, parts, type RawSigner } from './kit.js';

const RUNS = 300;
/** Each property stops after this long; an interrupted run fails rather than passing with fewer runs. */
const TIME_LIMIT_MS = 20_000;
const params = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true };

let issuer: TestIssuer;
let verifier: Verifier;
let signer: RawSigner;
let valid: string;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
  verifier = createVerifier({
    issuer: issuer.issuer,
    audience: 'api://default',
    jwksUri: issuer.jwksUri,
    fetch: issuer.fetch,
    cache: false,
    // An unknown kid is refused at once instead of waiting for the next allowed refresh.
    jwks: { cooldown: 60_000, unknownKidTimeout: 0 },
  });
  await verifier.refreshKeys();
  signer = await captureSigner(issuer);
  valid = await issuer.mint();
});

afterAll(async () => {
  await issuer?.close();
});

/**
 * The token must be refused with a TokenError whose code is about the token: `jwks_unavailable` (which is
 * also what the verifier turns an internal exception into) would mean a bug, since the JWKS is up.
 */
async function refusedCleanly(token: unknown): Promise<boolean> {
  try {
    await verifier.verify(token as string);
  } catch (error) {
    if (!isTokenError(error)) throw new Error(`rejected with a non-TokenError: ${String(error)}`);
    if (!TOKEN_ERROR_CODES.includes(error.code)) throw new Error(`unknown code ${error.code}`);
    if (error.code === 'jwks_unavailable') throw new Error(`internal failure surfaced: ${error.message}`);
    return true;
  }
  throw new Error(`accepted: ${String(token).slice(0, 120)}`);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const characters = fc.oneof(
  fc.constantFrom(...BASE64URL),
  fc.constantFrom('.', '=', '+', '/', ' ', '\t', '\n', '\u0000', 'é', '"', '\\'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

describe('mutations of a valid token are never accepted', () => {
  it('control: the unmutated token is accepted', async () => {
    await expect(verifier.verify(valid)).resolves.toMatchObject({ scopes: ['api:read'] });
  });

  it('flipping one character', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), characters, async (at, replacement) => {
        const i = at % valid.length;
        fc.pre(valid[i] !== replacement);
        return refusedCleanly(valid.slice(0, i) + replacement + valid.slice(i + 1));
      }),
      params,
    );
  });

  it('inserting one character', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), characters, async (at, inserted) => {
        const i = at % (valid.length + 1);
        return refusedCleanly(valid.slice(0, i) + inserted + valid.slice(i));
      }),
      params,
    );
  });

  it('deleting a run of characters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 64 }), async (at, count) => {
        const i = at % valid.length;
        return refusedCleanly(valid.slice(0, i) + valid.slice(i + count));
      }),
      params,
    );
  });

  it('reordering, dropping or duplicating segments', async () => {
    const segments = valid.split('.');
    const choice = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(choice, async (order) => {
        fc.pre(order.join() !== '0,1,2');
        return refusedCleanly(order.map((i) => segments[i]).join('.'));
      }),
      { ...params, numRuns: 100 },
    );
  });

  it('changing a header or payload member and re-encoding without re-signing', async () => {
    const { header, payload, segments } = parts(valid);
    const names = fc.constantFrom(
      'alg',
      'kid',
      'typ',
      'iss',
      'aud',
      'exp',
      'nbf',
      'iat',
      'scp',
      'cid',
      'sub',
      'x',
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), names, fc.jsonValue({ maxDepth: 2 }), async (inHeader, name, value) => {
        const target = { ...(inHeader ? header : payload), [name]: value };
        const [h, p] = inHeader ? [json(target), segments[1]] : [segments[0], json(target)];
        fc.pre(h !== segments[0] || p !== segments[1]);
        return refusedCleanly(`${h}.${p}.${segments[2]}`);
      }),
      params,
    );
  });

  it('replacing the signature with arbitrary bytes', async () => {
    const [h, p] = valid.split('.');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) =>
        refusedCleanly(`${h}.${p}.${b64(bytes)}`),
      ),
      params,
    );
  });
});

describe('verify refuses anything else with a TokenError, and never with another error', () => {
  it('arbitrary strings', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), refusedCleanly), params);
  });

  it('arbitrary strings shaped like compact JWS (three base64url-ish segments)', async () => {
    const segment = fc.string({ unit: fc.oneof(fc.constantFrom(...BASE64URL), characters), maxLength: 120 });
    await fc.assert(
      fc.asyncProperty(segment, segment, segment, async (h, p, s) => refusedCleanly(`${h}.${p}.${s}`)),
      params,
    );
  });

  it('non-string inputs (a caller passing anything at all)', async () => {
    await fc.assert(fc.asyncProperty(fc.anything(), refusedCleanly), { ...params, numRuns: 100 });
  });

  it('arbitrary JSON headers and payloads with an arbitrary signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), fc.uint8Array({ maxLength: 256 }), async (h, p, sig) =>
        refusedCleanly(`${json(h)}.${json(p)}.${b64(sig)}`),
      ),
      params,
    );
  });

  it('arbitrary JSON header members and payloads, validly signed by the issuer key', async () => {
    const extra = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(
        extra,
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }),
        async (more, claims) => {
          const token = await signer.sign({ ...more, alg: 'RS256', kid: signer.kid }, claims);
          return refusedCleanly(token);
        },
      ),
      { ...params, numRuns: 150 },
    );
  });
});
