import type { KeyObject, JsonWebKey } from 'node:crypto';
import {
  assertScopes,
  createVerifier,
  isTokenError,
  type TokenErrorCode,
  type VerifiedToken,
} from '@scopeguard/core';
import { createTestIssuer, DEFAULT_CLIENT_ID, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOktaVerifier,
  type OktaVerdict,
  oktaOutcome,
  oktaOutcomeIsolated,
} from './support/okta-reference.js';
import {
  craftingKey,
  decodePart,
  nonCanonicalSignature,
  publicPem,
  signRawJws,
  tamperedSignature,
  withPayload,
} from './support/raw-jws.js';

// Differential test against Okta's reference verifier, `@okta/jwt-verifier` 4 (njwt + jwks-rsa).
//
// Both judge the same corpus of Okta-shaped access tokens, configured alike: the issuer, the audience
// `api://default`, RS256, the client id `cid` and the required scope `api:read` (Okta: `assertClaims`
// { cid, 'scp.includes' }; scopeguard: `clientIds` plus `assertScopes`, as a route would). Each token is
// judged by a freshly built pair of verifiers, so no case depends on what another left in a cache.
//
// Where they disagree, the case is listed in DISAGREEMENTS with the reason scopeguard's answer is the
// right one. The last test asserts that the disagreements observed are exactly the listed ones: a change
// on either side that adds, removes or flips one fails it.

const AUDIENCE = 'api://default';
const CLIENT_ID = DEFAULT_CLIENT_ID;
const REQUIRED_SCOPE = 'api:read';
const CRAFTING_KID = 'differential-crafting-key';
const CRAFTED_JWKS_PATH = '/v1/keys-with-crafting-key';

type ScopeguardOutcome = 'accepted' | TokenErrorCode;
type OktaOutcome = OktaVerdict['outcome'];

interface Fixture {
  issuer: TestIssuer;
  /** A published RS384 key of the issuer. */
  rs384Kid: string;
  /** A published ES256 key of the issuer. */
  es256Kid: string;
  /** An RS256 key of the issuer that is not in its JWKS. */
  unpublishedKid: string;
  /** A key this test holds, listed only at CRAFTED_JWKS_PATH, for tokens the test kit cannot mint. */
  crafting: { privateKey: KeyObject; publicJwk: JsonWebKey };
}

interface Case {
  name: string;
  token(fixture: Fixture): Promise<string>;
  /** Signed with the crafting key: both verifiers then read the JWKS that also lists it. */
  crafted?: true;
  /** Judge it with Okta's verifier in a child process (it may crash the process it runs in). */
  isolate?: true;
  scopeguard: ScopeguardOutcome;
  okta: OktaOutcome;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const valid = { scp: [REQUIRED_SCOPE, 'api:write'] };

/** A valid token's claims as JSON text, `edit`ed, for tokens signed by the crafting key. */
async function craftedPayload(f: Fixture, edit: (json: string) => string = (json) => json): Promise<string> {
  return edit(JSON.stringify(decodePart(await f.issuer.mint(valid), 1)));
}

function craftedHeader(edit: (json: string) => string = (json) => json): string {
  return edit(JSON.stringify({ alg: 'RS256', kid: CRAFTING_KID }));
}

const CASES: readonly Case[] = [
  // --- accepted by both ---------------------------------------------------------------------------------
  {
    name: 'valid Okta-shaped token',
    token: (f) => f.issuer.mint(valid),
    scopeguard: 'accepted',
    okta: 'accepted',
  },
  {
    name: 'aud is an array containing the expected audience',
    token: (f) => f.issuer.mint({ ...valid, aud: ['api://other', AUDIENCE] }),
    scopeguard: 'accepted',
    okta: 'accepted',
  },
  {
    name: 'typ header "JWT"',
    token: (f) => f.issuer.mint(valid, { typ: 'JWT' }),
    scopeguard: 'accepted',
    okta: 'accepted',
  },
  {
    name: 'typ header "at+jwt" on an Okta-shaped token',
    token: (f) => f.issuer.mint(valid, { typ: 'at+jwt' }),
    scopeguard: 'accepted',
    okta: 'accepted',
  },
  {
    name: 'jku and x5u headers pointing elsewhere are ignored (keys come from the configured JWKS only)',
    token: (f) =>
      f.issuer.mint(valid, {
        header: { jku: 'https://attacker.example/jwks', x5u: 'https://attacker.example/c' },
      }),
    scopeguard: 'accepted',
    okta: 'accepted',
  },
  {
    name: 'valid token signed by the crafting key (control for the crafted cases)',
    crafted: true,
    token: async (f) => signRawJws(craftedHeader(), await craftedPayload(f), { alg: 'RS256', ...f.crafting }),
    scopeguard: 'accepted',
    okta: 'accepted',
  },

  // --- time ---------------------------------------------------------------------------------------------
  {
    name: 'expired an hour ago',
    token: (f) => f.issuer.mint(valid, { expiresIn: -3600 }),
    scopeguard: 'token_expired',
    okta: 'refused',
  },
  {
    name: 'expired one second ago (within the default 5 s clock tolerance)',
    token: (f) => f.issuer.mint({ ...valid, exp: nowSeconds() - 1 }),
    scopeguard: 'accepted',
    okta: 'refused',
  },
  {
    name: 'nbf a minute in the future',
    token: (f) => f.issuer.mint(valid, { notBefore: 60 }),
    scopeguard: 'token_not_yet_valid',
    okta: 'refused',
  },
  {
    name: 'iat an hour in the future',
    token: (f) => f.issuer.mint(valid, { issuedAt: nowSeconds() + 3600 }),
    scopeguard: 'token_not_yet_valid',
    okta: 'accepted',
  },
  {
    name: 'exp missing',
    token: (f) => f.issuer.mint({ ...valid, exp: undefined }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },
  {
    name: 'exp a numeric string in the future',
    token: (f) => f.issuer.mint({ ...valid, exp: String(nowSeconds() + 3600) }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },
  {
    name: 'exp a numeric string in the past',
    token: (f) => f.issuer.mint({ ...valid, exp: String(nowSeconds() - 3600) }),
    scopeguard: 'claim_invalid',
    okta: 'refused',
  },
  {
    name: 'exp null',
    token: (f) => f.issuer.mint({ ...valid, exp: null }),
    scopeguard: 'claim_invalid',
    okta: 'refused',
  },
  {
    name: 'nbf not a date ("soon")',
    token: (f) => f.issuer.mint({ ...valid, nbf: 'soon' }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },

  // --- issuer and audience ------------------------------------------------------------------------------
  {
    name: 'iss of another authorization server of the same org',
    token: (f) => f.issuer.mint({ ...valid, iss: `${f.issuer.origin}/oauth2/aus0other00000000001` }),
    scopeguard: 'issuer_invalid',
    okta: 'refused',
  },
  {
    name: 'iss with a trailing slash',
    token: (f) => f.issuer.mint({ ...valid, iss: `${f.issuer.issuer}/` }),
    scopeguard: 'issuer_invalid',
    okta: 'refused',
  },
  {
    name: 'aud of another API',
    token: (f) => f.issuer.mint({ ...valid, aud: 'api://payments' }),
    scopeguard: 'audience_invalid',
    okta: 'refused',
  },
  {
    name: 'aud array without the expected audience',
    token: (f) => f.issuer.mint({ ...valid, aud: ['api://payments', 'api://other'] }),
    scopeguard: 'audience_invalid',
    okta: 'refused',
  },
  {
    name: 'aud missing',
    token: (f) => f.issuer.mint({ ...valid, aud: undefined }),
    scopeguard: 'audience_invalid',
    okta: 'refused',
  },
  {
    name: 'aud array holding the expected audience and a number',
    token: (f) => f.issuer.mint({ ...valid, aud: [AUDIENCE, 42] }),
    scopeguard: 'audience_invalid',
    okta: 'accepted',
  },

  // --- signature, keys, algorithms ----------------------------------------------------------------------
  {
    name: 'signed by a foreign key under the issuer’s kid',
    token: (f) => f.issuer.mint(valid, { foreignKey: true }),
    scopeguard: 'signature_invalid',
    okta: 'refused',
  },
  {
    name: 'signature with one bit flipped',
    token: async (f) => tamperedSignature(await f.issuer.mint(valid)),
    scopeguard: 'signature_invalid',
    okta: 'refused',
  },
  {
    name: 'payload changed after signing (scope elevated)',
    token: async (f) => {
      const token = await f.issuer.mint(valid);
      return withPayload(token, { ...decodePart(token, 1), scp: [REQUIRED_SCOPE, 'admin'] });
    },
    scopeguard: 'signature_invalid',
    okta: 'refused',
  },
  {
    name: 'unknown kid',
    token: (f) => f.issuer.mint(valid, { header: { kid: 'no-such-key' } }),
    scopeguard: 'key_not_found',
    okta: 'refused',
  },
  {
    name: 'signed by a key of the issuer that its JWKS does not list',
    token: (f) => f.issuer.mint(valid, { kid: f.unpublishedKid }),
    scopeguard: 'key_not_found',
    okta: 'refused',
  },
  {
    name: 'no kid while the JWKS lists a single RS256 key',
    token: (f) => f.issuer.mint(valid, { header: { kid: undefined } }),
    scopeguard: 'accepted',
    okta: 'refused',
  },
  {
    name: 'alg none, no signature',
    token: (f) => f.issuer.mint(valid, { unsigned: true }),
    scopeguard: 'token_malformed', // the empty signature segment is refused while parsing, before alg
    okta: 'refused',
  },
  {
    name: 'HS256 keyed with the issuer’s public key (RS/HS key confusion)',
    token: async (f) => {
      const jwk = f.issuer.publicJwks().keys.find((key) => key.kid === f.issuer.activeKid)!;
      const header = JSON.stringify({ alg: 'HS256', kid: f.issuer.activeKid });
      return signRawJws(header, await craftedPayload(f), {
        alg: 'HS256',
        secret: publicPem(jwk as JsonWebKey),
      });
    },
    scopeguard: 'alg_not_allowed',
    okta: 'refused',
  },
  {
    name: 'RS384, by a published RS384 key',
    token: (f) => f.issuer.mint(valid, { kid: f.rs384Kid }),
    scopeguard: 'alg_not_allowed',
    okta: 'refused',
  },
  {
    name: 'ES256, by a published ES256 key',
    token: (f) => f.issuer.mint(valid, { kid: f.es256Kid }),
    scopeguard: 'alg_not_allowed',
    okta: 'refused',
  },
  {
    name: 'header claims RS512 over an RS256 signature',
    token: (f) => f.issuer.mint(valid, { header: { alg: 'RS512' } }),
    scopeguard: 'alg_not_allowed',
    okta: 'refused',
  },
  {
    name: 'header claims RS256 over the RS384 key’s signature',
    token: (f) => f.issuer.mint(valid, { kid: f.rs384Kid, header: { alg: 'RS256' } }),
    scopeguard: 'key_not_found', // an RS384 JWK is never imported when only RS256 is allowed
    okta: 'refused',
  },
  {
    name: 'signature segment empty ("header.payload."), kid of a published key',
    isolate: true,
    token: async (f) => (await f.issuer.mint(valid)).replace(/[^.]+$/, ''),
    scopeguard: 'token_malformed',
    okta: 'crashed',
  },
  {
    name: 'five segments (JWE-like)',
    token: async (f) => `${await f.issuer.mint(valid)}.AAAA.AAAA`,
    scopeguard: 'token_malformed',
    okta: 'refused',
  },
  {
    name: 'signature segment with base64 padding',
    token: async (f) => `${await f.issuer.mint(valid)}==`,
    scopeguard: 'token_malformed',
    okta: 'accepted',
  },
  {
    name: 'signature segment spelled non-canonically (spare bits set, same bytes)',
    token: async (f) => nonCanonicalSignature(await f.issuer.mint(valid)),
    scopeguard: 'token_malformed',
    okta: 'accepted',
  },
  {
    name: 'crit header naming an extension nobody implements',
    token: (f) =>
      f.issuer.mint(valid, {
        header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': 1 },
      }),
    scopeguard: 'token_malformed',
    okta: 'accepted',
  },
  {
    name: 'validly signed token over 16 KiB',
    token: (f) => f.issuer.mint({ ...valid, padding: 'x'.repeat(17_000) }),
    scopeguard: 'token_malformed',
    okta: 'accepted',
  },
  {
    name: 'duplicate header member ("alg": "none" then "alg": "RS256")',
    crafted: true,
    token: async (f) =>
      signRawJws(
        craftedHeader((json) => json.replace('{', '{"alg":"none",')),
        await craftedPayload(f),
        { alg: 'RS256', ...f.crafting },
      ),
    scopeguard: 'token_malformed',
    okta: 'accepted',
  },
  {
    name: 'duplicate payload member ("aud" of another API, then the expected one)',
    crafted: true,
    token: async (f) =>
      signRawJws(
        craftedHeader(),
        await craftedPayload(f, (json) => json.replace('{', '{"aud":"api://payments",')),
        { alg: 'RS256', ...f.crafting },
      ),
    scopeguard: 'token_malformed',
    okta: 'accepted',
  },

  // --- client and scopes --------------------------------------------------------------------------------
  {
    name: 'cid of a client that is not allowed',
    token: (f) => f.issuer.mint({ ...valid, cid: '0oaotherclient000001' }),
    scopeguard: 'client_not_allowed',
    okta: 'refused',
  },
  {
    name: 'no client id at all',
    token: (f) => f.issuer.mint({ ...valid, cid: undefined }),
    scopeguard: 'client_not_allowed',
    okta: 'refused',
  },
  {
    name: 'cid allowed, but client_id names another client',
    token: (f) => f.issuer.mint({ ...valid, cid: CLIENT_ID, client_id: '0oaotherclient000001' }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },
  {
    name: 'RFC 9068 claim names (client_id, scope) instead of Okta’s (cid, scp)',
    token: (f) => f.issuer.mint({}, { profile: 'rfc9068', scopes: [REQUIRED_SCOPE] }),
    scopeguard: 'accepted',
    okta: 'refused',
  },
  {
    name: 'scp without the required scope',
    token: (f) => f.issuer.mint({ scp: ['api:write'] }),
    scopeguard: 'insufficient_scope',
    okta: 'refused',
  },
  {
    name: 'scp missing',
    token: (f) => f.issuer.mint({ scp: undefined }),
    scopeguard: 'insufficient_scope',
    okta: 'refused',
  },
  {
    name: 'scp a space-delimited string holding the required scope',
    token: (f) => f.issuer.mint({ scp: `${REQUIRED_SCOPE} api:write` }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },
  {
    name: 'scp a string that merely contains the required scope as a substring ("api:readonly")',
    token: (f) => f.issuer.mint({ scp: 'api:readonly' }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },
  {
    name: 'sub a number',
    token: (f) => f.issuer.mint({ ...valid, sub: 12345 }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },

  // --- ID tokens ----------------------------------------------------------------------------------------
  {
    name: 'an ID token (aud is the client id, nonce, amr, no scp)',
    token: (f) =>
      f.issuer.mint({
        ver: 1,
        sub: '00uuser00000000000001',
        aud: CLIENT_ID,
        cid: undefined,
        scp: undefined,
        nonce: 'n-0S6_WzA2Mj',
        amr: ['pwd'],
        idp: '00oidp00000000000001',
        auth_time: nowSeconds() - 60,
      }),
    scopeguard: 'claim_invalid',
    okta: 'refused',
  },
  {
    name: 'ID-token-shaped (nonce, at_hash) but carrying the API audience, cid and scp',
    token: (f) => f.issuer.mint({ ...valid, nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }),
    scopeguard: 'claim_invalid',
    okta: 'accepted',
  },
];

/**
 * Every case where the two verifiers disagree, and why scopeguard's answer is the right one. Exactly these
 * cases must disagree (see the last test).
 */
const DISAGREEMENTS: Readonly<Record<string, string>> = {
  // Okta accepts, scopeguard refuses.
  'iat an hour in the future':
    'iat is the time the token was issued (RFC 7519 §4.1.6); one "issued" an hour from now comes from a broken issuer clock or was minted ahead of use, and would also defeat any maxTokenAge policy. scopeguard refuses iat beyond the clock tolerance; njwt never reads iat.',
  'exp missing':
    'RFC 9068 §2.2 makes exp REQUIRED in a JWT access token; a token without it would be valid forever. njwt computes new Date(undefined * 1000), an invalid date that is never "in the past".',
  'exp a numeric string in the future':
    'RFC 7519 §2 defines NumericDate as a JSON number; njwt coerces the string with `*`, so "9999999999" is honoured while "2030-01-01" silently becomes "never expires". A claim of the wrong type is refused, not guessed at.',
  'nbf not a date ("soon")':
    'nbf must be a NumericDate (RFC 7519 §4.1.5); njwt compares an invalid date, which is never "in the future", so the claim is silently ignored.',
  'aud array holding the expected audience and a number':
    'RFC 7519 §4.1.3: aud is a StringOrURI or an array of them; a malformed claim set is refused as a whole rather than searched.',
  'signature segment with base64 padding':
    'RFC 7515 §2 and §7.1: compact JWS segments are unpadded base64url. Accepting other spellings gives one token many strings (token caches, replay lists and logs keyed by the string see different tokens).',
  'signature segment spelled non-canonically (spare bits set, same bytes)':
    'Same reason as padding: a second string for the same signature (malleability). RFC 4648 §3.5 lets decoders reject non-zero pad bits, and scopeguard does, so each token has exactly one spelling.',
  'crit header naming an extension nobody implements':
    'RFC 7515 §4.1.11: if crit lists an extension the recipient does not understand, the JWS MUST be rejected. njwt ignores crit.',
  'validly signed token over 16 KiB':
    'scopeguard bounds the token length (maxTokenLength, default 16,384) before decoding anything, so an unauthenticated request cannot make it parse and hash megabytes; Okta access tokens are far smaller.',
  'duplicate header member ("alg": "none" then "alg": "RS256")':
    'RFC 7515 §4 lets a parser keep the last duplicate, but a first-wins parser elsewhere would read "none": two components reading different algorithms is a parser-differential attack. I-JSON (RFC 7493 §2.3) forbids duplicate names; scopeguard refuses.',
  'duplicate payload member ("aud" of another API, then the expected one)':
    'As for the header: a first-wins component (gateway, logger, policy engine) would see aud "api://payments" while njwt sees "api://default"; refusing removes the ambiguity (RFC 7519 §4, RFC 7493 §2.3).',
  'cid allowed, but client_id names another client':
    'Two claims naming two different clients make the client identity ambiguous; Okta only reads cid, an RFC 9068 component only client_id. scopeguard refuses rather than pick one.',
  'scp a space-delimited string holding the required scope':
    'Okta issues scp as a JSON array; njwt-based assertClaims runs String.prototype.includes on a string, i.e. substring matching. scopeguard refuses a scp of the wrong type.',
  'scp a string that merely contains the required scope as a substring ("api:readonly")':
    'An authorization bypass in the reference: "api:readonly".includes("api:read") is true, so a token granted only api:readonly passes a check for api:read. scopeguard compares whole scope tokens (RFC 6749 §3.3) and refuses a non-array scp.',
  'sub a number':
    'RFC 7519 §4.1.2: sub is a StringOrURI; applications key users and clients on it, and a number where a string is expected is a malformed token.',
  'ID-token-shaped (nonce, at_hash) but carrying the API audience, cid and scp':
    'nonce and at_hash are ID-token claims (OpenID Connect Core §2, §3.1.3.6); RFC 8725 §3.11–3.12 ask for validation rules that keep kinds of JWT mutually exclusive, so an ID token is never taken for an access token.',
  'signature segment empty ("header.payload."), kid of a published key':
    'Not a refusal but a crash: njwt calls base64urlUnescape(undefined) inside the key-resolver callback, a TypeError nothing catches, so one unauthenticated request with a public kid kills a Node process using @okta/jwt-verifier 4.0.2 (denial of service). scopeguard refuses it as token_malformed before any key lookup.',
  // Okta refuses, scopeguard accepts.
  'expired one second ago (within the default 5 s clock tolerance)':
    'RFC 7519 §4.1.4 allows "some small leeway, usually no more than a few minutes, to account for clock skew"; scopeguard allows 5 s (configurable), njwt none, so clock drift between issuer and resource server rejects valid tokens.',
  'no kid while the JWKS lists a single RS256 key':
    'kid is OPTIONAL (RFC 7515 §4.1.4); with exactly one key able to verify RS256 there is no ambiguity and the signature still has to verify with the issuer’s key. With several candidate keys scopeguard refuses (key_not_found).',
  'RFC 9068 claim names (client_id, scope) instead of Okta’s (cid, scp)':
    'RFC 9068 §2.2 names these claims client_id and scope; scopeguard reads either spelling (and refuses when both are present and differ), so the same allowlist and scope rules hold. Okta’s assertClaims only looks at cid and scp.',
};

/** What a resource server built on scopeguard answers: verify, then require the scope. */
async function scopeguardOutcome(verify: () => Promise<VerifiedToken>): Promise<ScopeguardOutcome> {
  try {
    assertScopes(await verify(), { allOf: [REQUIRED_SCOPE] });
    return 'accepted';
  } catch (error) {
    if (isTokenError(error)) return error.code;
    throw error;
  }
}

interface Observed {
  scopeguard: ScopeguardOutcome;
  okta: OktaOutcome;
  /** Okta's message, when it refused (shown when an assertion fails). */
  oktaReason?: string;
}

describe('differential against @okta/jwt-verifier', () => {
  let fixture: Fixture;
  const observed = new Map<string, Observed>();

  beforeAll(async () => {
    const crafting = craftingKey(CRAFTING_KID);
    const issuer = await createTestIssuer({
      routes: [
        {
          name: 'jwks-with-crafting-key',
          method: 'GET',
          path: CRAFTED_JWKS_PATH,
          handle: (_request, self) =>
            Response.json({ keys: [...self.publicJwks().keys, crafting.publicJwk] }),
        },
      ],
    });
    fixture = {
      issuer,
      crafting,
      rs384Kid: (await issuer.addKey({ algorithm: 'RS384' })).kid,
      es256Kid: (await issuer.addKey({ algorithm: 'ES256' })).kid,
      unpublishedKid: (await issuer.addKey({ publish: false })).kid,
    };

    // Each token is minted right before both verifiers judge it (the leeway case depends on it).
    for (const testCase of CASES) {
      const jwksUri = testCase.crafted ? `${issuer.issuer}${CRAFTED_JWKS_PATH}` : undefined;
      const scopeguard = createVerifier({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        clientIds: [CLIENT_ID],
        ...(jwksUri === undefined ? {} : { jwksUri }), // otherwise discovered from the issuer's metadata
      });
      const oktaOptions = {
        issuer: issuer.issuer,
        ...(jwksUri === undefined ? {} : { jwksUri }), // otherwise Okta's fixed `${issuer}/v1/keys`
        assertClaims: { cid: CLIENT_ID, 'scp.includes': [REQUIRED_SCOPE] },
      };
      const token = await testCase.token(fixture);
      const sg = await scopeguardOutcome(() => scopeguard.verify(token));
      const reference = testCase.isolate
        ? await oktaOutcomeIsolated(oktaOptions, token, AUDIENCE)
        : await oktaOutcome(createOktaVerifier(oktaOptions), token, AUDIENCE);
      observed.set(testCase.name, {
        scopeguard: sg,
        okta: reference.outcome,
        ...(reference.outcome === 'accepted' ? {} : { oktaReason: reference.reason }),
      });
    }
  }, 30_000);

  afterAll(async () => {
    await fixture?.issuer.close();
  });

  it('judges a corpus of at least 25 tokens, each name unique', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('read the keys where each looks for them: Okta at the issuer’s /v1/keys, scopeguard through discovery', () => {
    const { requests, jwksUri } = fixture.issuer;
    expect(jwksUri).toBe(`${fixture.issuer.issuer}/v1/keys`);
    expect(requests.count(new URL(jwksUri).pathname)).toBeGreaterThan(0);
    expect(requests.count(new URL(fixture.issuer.metadataUrl).pathname)).toBeGreaterThan(0);
    expect(requests.count(`${new URL(fixture.issuer.issuer).pathname}${CRAFTED_JWKS_PATH}`)).toBeGreaterThan(
      0,
    );
  });

  it.each(CASES)('$name: scopeguard → $scopeguard, Okta → $okta', (testCase) => {
    const seen = observed.get(testCase.name);
    expect(seen, 'case was not run').toBeDefined();
    expect({ scopeguard: seen?.scopeguard, okta: seen?.okta }, seen?.oktaReason).toEqual({
      scopeguard: testCase.scopeguard,
      okta: testCase.okta,
    });
  });

  it('disagrees exactly where the DISAGREEMENTS table says, and each entry gives a reason', () => {
    const disagreements = CASES.filter((c) => {
      const seen = observed.get(c.name);
      const scopeguard = seen?.scopeguard === 'accepted' ? 'accepted' : 'refused';
      return seen !== undefined && scopeguard !== seen.okta;
    }).map((c) => c.name);

    expect(disagreements.sort()).toEqual(Object.keys(DISAGREEMENTS).sort());
    for (const reason of Object.values(DISAGREEMENTS)) expect(reason.length).toBeGreaterThan(40);
  });
});
