/**
 * The attack suite: RFC 8725 (JWT Best Current Practices) and the history of JWT CVEs, one test per
 * attack, each asserting the exact `TokenError` code `verify` refuses with, against the test kit's
 * loopback issuer; then the same tokens through an Express app, asserting the HTTP status.
 */
import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as cryptoSign,
} from 'node:crypto';
import {
  createVerifier,
  SUPPORTED_ALGORITHMS,
  type TokenErrorCode,
  type VerifierOptions,
} from '@scopeguard/core';
import { authenticate, requireScope } from '@scopeguard/express';
import { createTestIssuer, DEFAULT_CLIENT_ID, type TestIssuer } from '@scopeguard/testing';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  b64,
  captureSigner,
  expectCode,
  json,
  parts,
  type RawSigner,
  rawToDer,
  recordingFetch,
  startTrap,
  type Trap,
} from './kit.js';

interface World {
  rs: TestIssuer;
  es: TestIssuer;
  /** Another issuer whose key has the same kid as `rs`'s. */
  impostor: TestIssuer;
  rsSigner: RawSigner;
  esSigner: RawSigner;
  trap: Trap;
  attacker: { privateKey: KeyObject; publicJwk: Record<string, unknown>; spkiDer: Buffer };
}

let world: World;

beforeAll(async () => {
  const [rs, es, trap] = await Promise.all([
    createTestIssuer(),
    createTestIssuer({ algorithm: 'ES256' }),
    startTrap(),
  ]);
  const impostor = await createTestIssuer({ kid: rs.activeKid });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  world = {
    rs,
    es,
    impostor,
    rsSigner: await captureSigner(rs),
    esSigner: await captureSigner(es),
    trap,
    attacker: {
      privateKey,
      publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'attacker', alg: 'RS256', use: 'sig' },
      spkiDer: publicKey.export({ format: 'der', type: 'spki' }),
    },
  };
});

afterAll(async () => {
  // Whatever happened above, no attack may ever have made the verifier contact the trap server.
  if (!world) return;
  expect(world.trap.requests).toBe(0);
  await Promise.all([world.rs.close(), world.es.close(), world.impostor.close(), world.trap.close()]);
});

// ------------------------------------------------------------------------------------------------
// Token builders

/** A valid token's payload claims from the issuer (fresh `iat`/`exp`). */
async function claimsOf(issuer: TestIssuer): Promise<Record<string, unknown>> {
  return parts(await issuer.mint()).payload;
}

/** Signs `header` + the issuer's usual claims with the attacker's own RSA key (RS256). */
async function attackerSigned(
  header: Record<string, unknown>,
  claims?: Record<string, unknown>,
): Promise<string> {
  const input = `${json(header)}.${json(claims ?? (await claimsOf(world.rs)))}`;
  return `${input}.${b64(cryptoSign('sha256', Buffer.from(input), world.attacker.privateKey))}`;
}

/** The issuer's real RS256 signature over a header it never wrote. */
async function rsSignedWithHeader(extra: Record<string, unknown>): Promise<string> {
  return world.rsSigner.sign({ alg: 'RS256', kid: world.rs.activeKid, ...extra }, await claimsOf(world.rs));
}

/** A claim set as text with one NumericDate claim replaced by raw JSON text (e.g. `1e999`). */
async function withRawClaim(name: 'exp' | 'nbf' | 'iat', rawValue: string): Promise<string> {
  const claims = await claimsOf(world.rs);
  delete claims[name];
  const text = `${JSON.stringify(claims).slice(0, -1)},"${name}":${rawValue}}`;
  return world.rsSigner.signText(JSON.stringify({ alg: 'RS256', kid: world.rs.activeKid }), text);
}

function replaceSignature(token: string, signature: Buffer): string {
  const [h, p] = token.split('.');
  return `${h}.${p}.${b64(signature)}`;
}

function publicPem(): string {
  const jwk = world.rs.publicJwks().keys[0];
  return createPublicKey({ key: jwk as never, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

function hs256(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string): string {
  const input = `${json(header)}.${json(claims)}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}

// ------------------------------------------------------------------------------------------------
// The catalog

interface Attack {
  /** Test name: the attack, and what stops it. */
  name: string;
  target: 'rs' | 'es';
  build: () => Promise<string>;
  code: TokenErrorCode;
  /** Extra verifier options for the core-level test (the allowlist, mostly). */
  options?: Partial<VerifierOptions>;
  /** The refusal must happen before any key is fetched. */
  noFetch?: boolean;
  /** Status through Express. */
  http: 400 | 401;
  /**
   * How the token travels: the Authorization header (default), or an `access_token` form field (RFC 6750
   * §2.2) for tokens no HTTP header can carry (over Node's 16 KiB header limit, or with a line feed).
   */
  via?: 'body';
}

const ALL_ALGS = { algorithms: SUPPORTED_ALGORITHMS };
const RSA_FAMILY = { algorithms: ['RS256', 'PS256', 'RS384'] } as const;

const attacks: Attack[] = [];

for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
  attacks.push(
    {
      name: `alg "${alg}" with an empty signature (CVE-2015-9235 family) → token_malformed`,
      target: 'rs',
      build: async () => `${json({ alg, kid: world.rs.activeKid })}.${json(await claimsOf(world.rs))}.`,
      code: 'token_malformed',
      options: ALL_ALGS,
      noFetch: true,
      http: 401,
    },
    {
      name: `alg "${alg}" with a non-empty signature → alg_not_allowed`,
      target: 'rs',
      build: async () => {
        const { signature } = parts(await world.rs.mint());
        return `${json({ alg, kid: world.rs.activeKid })}.${json(await claimsOf(world.rs))}.${b64(signature)}`;
      },
      code: 'alg_not_allowed',
      options: ALL_ALGS,
      noFetch: true,
      http: 401,
    },
  );
}

attacks.push(
  {
    name: 'HS256 keyed with the issuer public key as PEM (RS/HS key confusion, CVE-2016-10555) → alg_not_allowed',
    target: 'rs',
    build: async () =>
      hs256({ alg: 'HS256', kid: world.rs.activeKid }, await claimsOf(world.rs), publicPem()),
    code: 'alg_not_allowed',
    options: ALL_ALGS,
    noFetch: true,
    http: 401,
  },
  {
    name: 'HS256 keyed with the issuer public JWK JSON (key confusion, CVE-2022-23540 family) → alg_not_allowed',
    target: 'rs',
    build: async () =>
      hs256(
        { alg: 'HS256', kid: world.rs.activeKid },
        await claimsOf(world.rs),
        JSON.stringify(world.rs.publicJwks().keys[0]),
      ),
    code: 'alg_not_allowed',
    options: ALL_ALGS,
    noFetch: true,
    http: 401,
  },
  {
    name: 'header alg PS256 on an RS256-bound key (algorithm substitution, RFC 8725 §3.1) → alg_not_allowed',
    target: 'rs',
    build: () => rsSignedWithHeader({ alg: 'PS256' }),
    code: 'alg_not_allowed',
    options: RSA_FAMILY,
    http: 401,
  },
  {
    name: 'header alg RS384 on an RS256-bound key (algorithm substitution) → alg_not_allowed',
    target: 'rs',
    build: () => rsSignedWithHeader({ alg: 'RS384' }),
    code: 'alg_not_allowed',
    options: RSA_FAMILY,
    http: 401,
  },
  {
    name: 'header alg PS256 with the default RS256-only allowlist → alg_not_allowed before any key fetch',
    target: 'rs',
    build: () => rsSignedWithHeader({ alg: 'PS256' }),
    code: 'alg_not_allowed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'embedded "jwk" header with the attacker key, issuer kid (CVE-2018-0114) → signature_invalid',
    target: 'rs',
    build: () => attackerSigned({ alg: 'RS256', kid: world.rs.activeKid, jwk: world.attacker.publicJwk }),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'embedded "jwk" header with the attacker key and its own kid → key_not_found',
    target: 'rs',
    build: () => attackerSigned({ alg: 'RS256', kid: 'attacker', jwk: world.attacker.publicJwk }),
    code: 'key_not_found',
    http: 401,
  },
  {
    name: 'embedded "jwk" header and no kid → the configured key is used, signature_invalid',
    target: 'rs',
    build: () => attackerSigned({ alg: 'RS256', jwk: world.attacker.publicJwk }),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: '"jku" pointing at the attacker server, attacker kid (RFC 8725 §3.10, SSRF) → key_not_found, never fetched',
    target: 'rs',
    build: () => attackerSigned({ alg: 'RS256', kid: 'attacker', jku: `${world.trap.origin}/jwks.json` }),
    code: 'key_not_found',
    http: 401,
  },
  {
    name: '"jku" pointing at the attacker server, issuer kid → signature_invalid, never fetched',
    target: 'rs',
    build: () =>
      attackerSigned({ alg: 'RS256', kid: world.rs.activeKid, jku: `${world.trap.origin}/jwks.json` }),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: '"x5u" pointing at the attacker server → key_not_found, never fetched',
    target: 'rs',
    build: () => attackerSigned({ alg: 'RS256', kid: 'attacker', x5u: `${world.trap.origin}/cert.pem` }),
    code: 'key_not_found',
    http: 401,
  },
  {
    name: '"x5c" carrying the attacker public key, issuer kid → signature_invalid',
    target: 'rs',
    build: () =>
      attackerSigned({
        alg: 'RS256',
        kid: world.rs.activeKid,
        x5c: [world.attacker.spkiDer.toString('base64')],
      }),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: '"x5c" with cert-ish garbage and no kid → signature_invalid',
    target: 'rs',
    build: () => attackerSigned({ alg: 'RS256', x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }),
    code: 'signature_invalid',
    http: 401,
  },
);

for (const [label, kid] of [
  ['path traversal "../../dev/null"', '../../dev/null'],
  ['path traversal to a file "../../../../etc/passwd"', '../../../../etc/passwd'],
  ['SQL injection "\' OR 1=1 --"', "' OR 1=1 --"],
  ['NUL byte "\\u0000"', '\u0000'],
  ['command injection "$(curl trap)"', '$(curl http://127.0.0.1:1/)'],
  ['a URL of the attacker server', 'http://127.0.0.1:1/jwks.json'],
  ['a very long kid (8,000 characters)', 'k'.repeat(8000)],
] as const) {
  attacks.push({
    name: `kid ${label} → key_not_found, and only the JWKS URL is fetched`,
    target: 'rs',
    build: () => rsSignedWithHeader({ kid }),
    code: 'key_not_found',
    http: 401,
  });
}

attacks.push(
  {
    name: '"crit" naming a registered claim (crit: ["exp"]) → token_malformed',
    target: 'rs',
    build: () => rsSignedWithHeader({ crit: ['exp'], exp: 1 }),
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: '"crit" naming an unknown extension → token_malformed',
    target: 'rs',
    build: () => rsSignedWithHeader({ crit: ['urn:example:unknown'], 'urn:example:unknown': true }),
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    // Known core bug (reported): compact.ts renders `crit` with `header.crit.map(String)`, and String() of a
    // deeply nested array recurses until the stack overflows. The RangeError is not a TokenError, so
    // `verify` reports it as `jwks_unavailable` and HTTP adapters answer 503: any client can make the API
    // claim its key server is down, with a 16 KB header.
    name: '"crit" holding a deeply nested array (stack exhaustion, ~16 KB header) → token_malformed',
    target: 'rs',
    build: async () => {
      const depth = 6100;
      const token = `${b64(`{"alg":"RS256","crit":[${'['.repeat(depth)}${']'.repeat(depth)}]}`)}.e30.AA`;
      expect(token.length).toBeLessThanOrEqual(16_384); // under the default maxTokenLength
      return token;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 401,
    via: 'body',
  },
  {
    name: '"b64": false with crit (RFC 7797 unencoded payload) → token_malformed',
    target: 'rs',
    build: () => rsSignedWithHeader({ b64: false, crit: ['b64'] }),
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: '"b64": false without crit → token_malformed',
    target: 'rs',
    build: () => rsSignedWithHeader({ b64: false }),
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'ECDSA r = s = 0 ("psychic signatures", CVE-2022-21449) → signature_invalid',
    target: 'es',
    build: async () => replaceSignature(await world.es.mint(), Buffer.alloc(64)),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'ECDSA r = s = n (the group order, reduces to 0) → signature_invalid',
    target: 'es',
    build: async () => {
      const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
      return replaceSignature(await world.es.mint(), Buffer.concat([n, n]));
    },
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'ECDSA signature in DER instead of raw r‖s (RFC 7518 §3.4) → signature_invalid',
    target: 'es',
    build: async () => {
      const token = await world.es.mint();
      return replaceSignature(token, rawToDer(parts(token).signature));
    },
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'ECDSA signature truncated by one byte → signature_invalid',
    target: 'es',
    build: async () => {
      const token = await world.es.mint();
      return replaceSignature(token, parts(token).signature.subarray(0, 63));
    },
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'ECDSA signature with a trailing zero byte → signature_invalid',
    target: 'es',
    build: async () => {
      const token = await world.es.mint();
      return replaceSignature(token, Buffer.concat([parts(token).signature, Buffer.alloc(1)]));
    },
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'RSA signature truncated by one byte → signature_invalid',
    target: 'rs',
    build: async () => {
      const token = await world.rs.mint();
      return replaceSignature(token, parts(token).signature.subarray(0, 255));
    },
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'RSA signature with a leading zero byte (over-long) → signature_invalid',
    target: 'rs',
    build: async () => {
      const token = await world.rs.mint();
      return replaceSignature(token, Buffer.concat([Buffer.alloc(1), parts(token).signature]));
    },
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'signature stripped (empty third segment) with a real alg → token_malformed',
    target: 'rs',
    build: async () => `${(await world.rs.mint()).split('.').slice(0, 2).join('.')}.`,
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'duplicate "alg" in the header (RS256 then none: parser differential) → token_malformed',
    target: 'rs',
    build: async () =>
      world.rsSigner.signText(
        `{"alg":"RS256","alg":"none","kid":${JSON.stringify(world.rs.activeKid)}}`,
        JSON.stringify(await claimsOf(world.rs)),
      ),
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'duplicate "alg" in the header (none then RS256) → token_malformed',
    target: 'rs',
    build: async () =>
      world.rsSigner.signText(
        `{"alg":"none","kid":${JSON.stringify(world.rs.activeKid)},"alg":"RS256"}`,
        JSON.stringify(await claimsOf(world.rs)),
      ),
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'duplicate "aud" in the payload (validly signed) → token_malformed',
    target: 'rs',
    build: async () => {
      const claims = await claimsOf(world.rs);
      const text = `${JSON.stringify(claims).slice(0, -1)},"aud":"api://someone-else"}`;
      return world.rsSigner.signText(JSON.stringify({ alg: 'RS256', kid: world.rs.activeKid }), text);
    },
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'a space inside the payload segment → token_malformed (400 in HTTP: two tokens)',
    target: 'rs',
    build: async () => {
      const [h, p, s] = (await world.rs.mint()).split('.') as [string, string, string];
      return `${h}.${p.slice(0, 10)} ${p.slice(10)}.${s}`;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 400,
  },
  {
    name: 'a line feed inside the header segment → token_malformed (400 in HTTP: not a b64token)',
    target: 'rs',
    build: async () => {
      const [h, p, s] = (await world.rs.mint()).split('.') as [string, string, string];
      return `${h.slice(0, 8)}\n${h.slice(8)}.${p}.${s}`;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 400,
    via: 'body',
  },
  {
    name: 'standard base64 "+" and "/" instead of base64url → token_malformed',
    target: 'rs',
    build: async () => {
      const [h, p, s] = (await world.rs.mint()).split('.') as [string, string, string];
      const std = Buffer.from(s, 'base64url').toString('base64').replace(/=+$/, '');
      // Make sure the alphabet actually differs, so the test means something.
      return `${h}.${p}.${/[+/]/.test(std) ? std : `${std.slice(0, -1)}+`}`;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'padding "=" after the signature segment → token_malformed',
    target: 'rs',
    build: async () => `${await world.rs.mint()}==`,
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'padding "=" inside the header segment → token_malformed (400 in HTTP: not a b64token)',
    target: 'rs',
    build: async () => {
      const [h, p, s] = (await world.rs.mint()).split('.') as [string, string, string];
      return `${h}=.${p}.${s}`;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 400,
  },
  {
    name: 'a character outside base64url ("!") in the payload segment → token_malformed (400 in HTTP)',
    target: 'rs',
    build: async () => {
      const [h, p, s] = (await world.rs.mint()).split('.') as [string, string, string];
      return `${h}.${p.slice(0, 5)}!${p.slice(6)}.${s}`;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 400,
  },
  {
    name: 'five segments (a JWE presented as a JWS) → token_malformed',
    target: 'rs',
    build: async () => `${await world.rs.mint()}.AAAA.BBBB`,
    code: 'token_malformed',
    noFetch: true,
    http: 401,
  },
  {
    name: 'a multi-megabyte token (3 MB, resource exhaustion) → token_malformed, no JWKS fetch',
    target: 'rs',
    build: async () => {
      const [, p, s] = (await world.rs.mint()).split('.') as [string, string, string];
      return `${'A'.repeat(3 * 1024 * 1024)}.${p}.${s}`;
    },
    code: 'token_malformed',
    noFetch: true,
    http: 401,
    via: 'body',
  },
);

for (const claim of ['exp', 'nbf', 'iat'] as const) {
  for (const [label, raw] of [
    ['a numeric string "9999999999"', '"9999999999"'],
    ['null', 'null'],
    ['1e999 (parses to Infinity)', '1e999'],
    ['-1e999 (parses to -Infinity)', '-1e999'],
    ['a boolean', 'true'],
    ['an array', '[9999999999]'],
    ['an object', '{"$gt":0}'],
  ] as const) {
    attacks.push({
      name: `"${claim}" is ${label} (validly signed) → claim_invalid`,
      target: 'rs',
      build: () => withRawClaim(claim, raw),
      code: 'claim_invalid',
      http: 401,
    });
  }
}

attacks.push(
  {
    name: '"aud": [] (empty audience array) → audience_invalid',
    target: 'rs',
    build: () => world.rs.mint({ aud: [] }),
    code: 'audience_invalid',
    http: 401,
  },
  {
    name: 'a token from another issuer whose key has the same kid → signature_invalid',
    target: 'rs',
    build: () => world.impostor.mint(),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'a token from another issuer, same kid, claiming our "iss" → signature_invalid',
    target: 'rs',
    build: () => world.impostor.mint({ iss: world.rs.issuer }),
    code: 'signature_invalid',
    http: 401,
  },
  {
    name: 'an ID token presented as an access token ("nonce") → claim_invalid',
    target: 'rs',
    build: () => world.rs.mint({ nonce: 'n-0S6_WzA2Mj' }),
    code: 'claim_invalid',
    http: 401,
  },
  {
    name: 'an ID token presented as an access token ("at_hash") → claim_invalid',
    target: 'rs',
    build: () => world.rs.mint({ at_hash: '77QmUPtjPfzWtF2AnpK9RQ' }),
    code: 'claim_invalid',
    http: 401,
  },
  {
    name: 'an ID token presented as an access token ("aud" is the client id) → claim_invalid',
    target: 'rs',
    build: () => world.rs.mint({ aud: DEFAULT_CLIENT_ID, cid: DEFAULT_CLIENT_ID }),
    code: 'claim_invalid',
    options: { audience: ['api://default', DEFAULT_CLIENT_ID] },
    http: 401,
  },
);

// ------------------------------------------------------------------------------------------------
// Core: createVerifier(...).verify

function issuerOf(target: Attack['target']): TestIssuer {
  return target === 'rs' ? world.rs : world.es;
}

function baseOptions(target: Attack['target']): VerifierOptions {
  const issuer = issuerOf(target);
  return {
    issuer: issuer.issuer,
    audience: 'api://default',
    jwksUri: issuer.jwksUri,
    algorithms: target === 'rs' ? ['RS256'] : ['ES256'],
  };
}

describe('attacks through createVerifier().verify against the loopback test issuer', () => {
  it('control: a genuine token from each issuer is accepted (so every refusal below means something)', async () => {
    for (const target of ['rs', 'es'] as const) {
      const verified = await createVerifier(baseOptions(target)).verify(await issuerOf(target).mint());
      expect(verified.scopes).toEqual(['api:read']);
    }
    const signer = world.rsSigner;
    const rebuilt = await signer.sign({ alg: 'RS256', kid: signer.kid }, await claimsOf(world.rs));
    await expect(createVerifier(baseOptions('rs')).verify(rebuilt)).resolves.toMatchObject({
      scopes: ['api:read'],
    });
  });

  it.each(attacks.map((attack) => [attack.name, attack] as const))('%s', async (_name, attack) => {
    const token = await attack.build();
    const recorder = recordingFetch();
    const issuer = issuerOf(attack.target);
    const verifier = createVerifier({
      ...baseOptions(attack.target),
      ...attack.options,
      fetch: recorder.fetch,
    });
    const error = await expectCode(verifier.verify(token), attack.code);
    // The only URL a verifier may ever fetch is the configured JWKS: never jku, x5u, a kid, the trap.
    expect(recorder.urls.filter((url) => url !== issuer.jwksUri)).toEqual([]);
    if (attack.noFetch) expect(recorder.urls).toEqual([]);
    expect(world.trap.requests).toBe(0);
    // The refusal never echoes the token (nor its signature).
    expect(error.message).not.toContain(token.slice(0, 200));
    expect(error.message.length).toBeLessThan(1000);
  });

  it('the catalog covers every attack family of the brief', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(60);
    const codes = new Set(attacks.map((attack) => attack.code));
    for (const code of [
      'token_malformed',
      'alg_not_allowed',
      'key_not_found',
      'signature_invalid',
      'claim_invalid',
      'audience_invalid',
    ] as const) {
      expect(codes.has(code)).toBe(true);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Express: the same tokens, as Bearer tokens

function appFor(target: Attack['target']) {
  const app = express();
  app.use(express.urlencoded({ extended: false, limit: '8mb' }));
  app.use(
    authenticate({
      allowBodyToken: true,
      ...baseOptions(target),
      algorithms: target === 'rs' ? RSA_FAMILY.algorithms : ['ES256'],
      audience: ['api://default'],
      // One shared verifier: an unknown kid is refused at once instead of waiting for the next refresh.
      jwks: { cooldown: 60_000, unknownKidTimeout: 0 },
    }),
  );
  app.all('/orders', requireScope('api:read'), (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

describe('attacks through an Express app (@scopeguard/express authenticate + requireScope)', () => {
  let apps: Record<Attack['target'], express.Express>;
  beforeAll(() => {
    apps = { rs: appFor('rs'), es: appFor('es') };
  });

  it('control: a genuine token gets 200 from each app', async () => {
    for (const target of ['rs', 'es'] as const) {
      const response = await request(apps[target])
        .get('/orders')
        .set('Authorization', `Bearer ${await issuerOf(target).mint()}`);
      expect(response.status).toBe(200);
    }
  });

  it.each(attacks.map((attack) => [attack.http, attack.name, attack] as const))(
    '%i for %s',
    async (status, _name, attack) => {
      const token = await attack.build();
      const app = apps[attack.target];
      const response =
        attack.via === 'body'
          ? await request(app).post('/orders').type('form').send({ access_token: token })
          : await request(app).get('/orders').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(status);
      const challenge = String(response.headers['www-authenticate'] ?? '');
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain(status === 400 ? 'error="invalid_request"' : 'error="invalid_token"');
      expect(response.text).not.toContain(token.slice(0, 100));
      expect(world.trap.requests).toBe(0);
    },
  );

  it('control: a genuine token also works as an access_token form field', async () => {
    const response = await request(apps.rs)
      .post('/orders')
      .type('form')
      .send({ access_token: await world.rs.mint() });
    expect(response.status).toBe(200);
  });
});
