import { hash, type KeyObject } from 'node:crypto';
import { type Algorithm, isSupportedAlgorithm, SUPPORTED_ALGORITHMS } from './algorithms.js';
import { parseCompact } from './compact.js';
import type { DpopNonces } from './dpop-nonce.js';
import { ConfigError, describeValue } from './errors.js';
import { normalizeHttpUri } from './htu.js';
import { importJwk } from './jwk-import.js';
import { jwkThumbprint } from './jwk-thumbprint.js';
import { createMemoryReplayStore } from './memory-replay-store.js';
import type { ReplayStore } from './replay-store.js';
import { type SenderConstraintCheck, SenderConstraintError } from './sender-constraint-error.js';
import { verifySignature } from './signature.js';

/**
 * DPoP proof algorithms accepted by default: every asymmetric algorithm scopeguard verifies, ES256 first
 * (the `algs` of a `WWW-Authenticate: DPoP` challenge list them in this order). `none` and MACs can never
 * be enabled (RFC 9449 §4.3 check 5).
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly Algorithm[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
]);

/** Documented defaults of {@link DpopVerifierOptions} (seconds unless said otherwise). */
export const DPOP_DEFAULTS = Object.freeze({
  /** How old a proof's `iat` may be. */
  maxAge: 60,
  /** Leeway for clocks: how far in the future `iat` may be, and added to `maxAge`. */
  clockTolerance: 5,
  /** Longest proof accepted, in characters (checked before any decoding). */
  maxProofLength: 8192,
});

/** Options of {@link createDpopVerifier}; validated once, at construction. */
export interface DpopVerifierOptions {
  /** Allowed proof algorithms (asymmetric only). Default {@link DEFAULT_DPOP_ALGORITHMS}. */
  algorithms?: readonly Algorithm[];
  /** Seconds a proof stays acceptable after its `iat` (RFC 9449 §11.1). Default 60. */
  maxAge?: number;
  /** Seconds of clock leeway on `iat`, both ways. Default 5. */
  clockTolerance?: number;
  /**
   * Server nonces (RFC 9449 §9), from `createDpopNonces`. When set, every proof must carry a `nonce` that
   * `nonces.check` accepts; otherwise the proof is refused with `dpop_nonce_required`.
   */
  nonces?: DpopNonces;
  /**
   * Where accepted proofs are remembered, so that each is accepted once (RFC 9449 §11.1). Default: a
   * per-process `createMemoryReplayStore()`. Use a shared store (e.g. `@scopeguard/redis`) when several
   * instances serve the API.
   */
  replayStore?: ReplayStore;
  /** Longest proof accepted, in characters. Default 8192. */
  maxProofLength?: number;
  /** Clock, in milliseconds since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** One request, as the HTTP layer describes it to {@link DpopVerifier.verify}. */
export interface DpopRequest {
  /**
   * Every `DPoP` header value of the request, each as received (`req.headersDistinct.dpop` in Node), or the
   * single value. More than one (or one holding a `,`, as Node joins repeated headers) is a malformed request.
   */
  proofs: readonly string[] | string | undefined;
  /** The request method, e.g. `GET` (compared exactly with `htm`). */
  method: string;
  /**
   * The absolute URI of the request as this server is configured to know it (its public origin, or the
   * `resource` URL, plus the request path): never built from `Host` or `X-Forwarded-*` alone. Query and
   * fragment are ignored.
   */
  url: string | URL;
  /** The access token presented with the proof (`Authorization: DPoP <token>`): `ath` must be its hash. */
  accessToken?: string;
  /**
   * The verified token's `cnf.jkt` (from `readTokenBinding`): the proof's key must have this thumbprint.
   * Required when `accessToken` is given.
   */
  boundJkt?: string;
}

/** A proof that passed every check. Frozen. */
export interface VerifiedDpopProof {
  /** RFC 7638 thumbprint of the proof's key: bind a new token to it (`cnf.jkt`), or compare it. */
  readonly jkt: string;
  /** The proof's algorithm. */
  readonly alg: Algorithm;
  /** The proof's `jti`. */
  readonly jti: string;
  /** The proof's `iat` (seconds since the epoch). */
  readonly iat: number;
  /** The proof's public key, as sent (`jwk` header). */
  readonly jwk: Readonly<Record<string, unknown>>;
  /** Every claim of the proof. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Checks DPoP proofs (RFC 9449 §4.3) for one API. */
export interface DpopVerifier {
  /** The allowed algorithms, in order: the `algs` of a `WWW-Authenticate: DPoP` challenge (§7.1). */
  readonly algorithms: readonly Algorithm[];
  /** The nonces in use, when nonces are on: `nonces.issue()` is the `DPoP-Nonce` to send (§9). */
  readonly nonces: DpopNonces | undefined;
  /**
   * Runs every check of RFC 9449 §4.3 and the replay check of §11.1 on the request's proof. Resolves with
   * the verified proof, or rejects with a `SenderConstraintError` (and nothing else) whose `code` says the
   * HTTP answer and whose `check` says which rule failed.
   */
  verify(request: DpopRequest): Promise<VerifiedDpopProof>;
}

/** What the proof's header yields once checked; kept per distinct header text. */
interface ProofKey {
  readonly alg: Algorithm;
  readonly key: KeyObject;
  readonly jkt: string;
  readonly jwk: Readonly<Record<string, unknown>>;
}

/** Members of a private or symmetric JWK (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'r', 't', 'k'] as const;
const DPOP_TYPES = new Set(['dpop+jwt', 'application/dpop+jwt']);
const KEY_CACHE_SIZE = 256;
const ATH_CACHE_SIZE = 256;
const TARGET_CACHE_SIZE = 256;

function fail(check: SenderConstraintCheck, message: string, cause?: unknown): never {
  throw new SenderConstraintError('dpop_proof_invalid', check, message, { cause });
}

function positiveSeconds(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(option, `must be a non-negative number of seconds, found ${describeValue(value)}`);
  }
  return value;
}

function algorithmList(value: unknown): Algorithm[] {
  if (value === undefined) return [...DEFAULT_DPOP_ALGORITHMS];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError('algorithms', `must be a non-empty array, found ${describeValue(value)}`);
  }
  for (const alg of value) {
    if (!isSupportedAlgorithm(alg)) {
      throw new ConfigError(
        'algorithms',
        `${describeValue(alg)} is not an asymmetric algorithm scopeguard verifies (${SUPPORTED_ALGORITHMS.join(', ')}); none and HS* can never be enabled`,
      );
    }
  }
  return [...new Set(value as Algorithm[])];
}

/** The one proof of the request, or the reason there is not exactly one (§4.3 check 1). */
function singleProof(proofs: DpopRequest['proofs']): string {
  const list = typeof proofs === 'string' ? [proofs] : (proofs ?? []);
  if (list.length > 1 || (list.length === 1 && typeof list[0] === 'string' && list[0].includes(','))) {
    throw new SenderConstraintError(
      'dpop_request_invalid',
      'header',
      `the request carries ${list.length > 1 ? list.length : 'several (comma-joined)'} DPoP headers; RFC 9449 §4.3 allows one`,
    );
  }
  const proof = list[0];
  if (typeof proof !== 'string' || proof.length === 0) fail('header', 'the request carries no DPoP proof');
  return proof;
}

/**
 * Creates the DPoP proof check of a resource server (RFC 9449 §4.3, §7.1, §11.1), framework-free: the HTTP
 * layer reads the headers, builds the request URI from configuration, and maps the error codes to answers.
 *
 * `verify` runs, for every request (the verified-token cache never serves a proof):
 * 1. exactly one `DPoP` header (two → `dpop_request_invalid`, HTTP 400);
 * 2. one strict compact JWS (our `parseCompact`: size cap first, canonical base64url, distinct JSON names);
 * 3. `jti` (non-empty string), `htm`, `htu` (strings), `iat` (finite number), and `ath` when a token is given;
 * 4. `typ` is `dpop+jwt`;
 * 5. `alg` is one of `algorithms` (asymmetric; `none` and `HS*` never);
 * 6. the signature verifies with the header's `jwk` (bound to `alg` by `kty`/`crv`, RSA ≥ 2048 bits);
 * 7. `jwk` is a public key: no `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`;
 * 8. `htm` equals the method;
 * 9. `htu` equals `url` without query and fragment after RFC 3986 §6.2.2/§6.2.3 normalisation;
 * 10. with `nonces`, the `nonce` claim is a current nonce (else `dpop_nonce_required`);
 * 11. `iat` is no more than `maxAge` (+ `clockTolerance`) old and no more than `clockTolerance` ahead;
 * 12. with a token, `ath` = base64url(SHA-256(token)), and the key's RFC 7638 thumbprint = `boundJkt`;
 * then §11.1: the proof is claimed in the replay store under SHA-256(jkt, target URI, `jti`) until it would
 * be stale anyway; a second use is refused (`dpop_proof_invalid`, check `replay`), and a store that cannot
 * answer fails closed (`replay_store_unavailable`, HTTP 503). Very long `jti`s cost nothing extra: only their
 * hash is stored. The store is asked last, so only fully valid proofs take a slot.
 *
 * Cost: one signature check, one SHA-256 of a short input (the replay key), the strict parse and a few map
 * lookups. The key import and its thumbprint are done once per distinct proof header (a client reuses its
 * key), `ath`'s SHA-256 once per distinct token, and the normalisation once per distinct request URI, each
 * kept in a small map that is emptied when full.
 */
export function createDpopVerifier(options: DpopVerifierOptions = {}): DpopVerifier {
  const algorithms = algorithmList(options.algorithms);
  const maxAge = positiveSeconds('maxAge', options.maxAge, DPOP_DEFAULTS.maxAge);
  const clockTolerance = positiveSeconds(
    'clockTolerance',
    options.clockTolerance,
    DPOP_DEFAULTS.clockTolerance,
  );
  const maxProofLength = options.maxProofLength ?? DPOP_DEFAULTS.maxProofLength;
  if (!Number.isSafeInteger(maxProofLength) || maxProofLength < 1) {
    throw new ConfigError(
      'maxProofLength',
      `must be a positive integer, found ${describeValue(maxProofLength)}`,
    );
  }
  const nonces = options.nonces;
  if (nonces !== undefined && (typeof nonces.check !== 'function' || typeof nonces.issue !== 'function')) {
    throw new ConfigError('nonces', 'must come from createDpopNonces()');
  }
  const store = options.replayStore ?? createMemoryReplayStore();
  if (typeof store?.claim !== 'function') {
    throw new ConfigError('replayStore', 'must have a claim(key, expiresAt) method');
  }
  const now = options.now ?? Date.now;
  const keys = new Map<string, ProofKey>();
  // A client sends the same token with many proofs: its hash (for `ath`) is kept, in a small map emptied
  // when full, so a flood of tokens costs the flooder one SHA-256 each and no memory.
  const aths = new Map<string, string>();
  // The API's request URIs repeat too: each is normalised once (same bounded map).
  const targets = new Map<string, string | undefined>();
  const targetOf = (requestUrl: string): string | undefined => {
    // Keyed without the query (which varies, and which the comparison ignores anyway).
    const question = requestUrl.indexOf('?');
    const fragment = requestUrl.indexOf('#');
    const cut = question < 0 ? fragment : fragment < 0 ? question : Math.min(question, fragment);
    const url = cut < 0 ? requestUrl : requestUrl.slice(0, cut);
    let target = targets.get(url);
    if (target === undefined && !targets.has(url)) {
      target = normalizeHttpUri(url);
      if (targets.size >= TARGET_CACHE_SIZE) targets.clear();
      targets.set(url, target);
    }
    return target;
  };
  const athOf = (token: string): string => {
    let value = aths.get(token);
    if (value === undefined) {
      value = hash('sha256', token, 'base64url');
      if (aths.size >= ATH_CACHE_SIZE) aths.clear();
      aths.set(token, value);
    }
    return value;
  };

  /** §4.3 checks 4, 5, 7 and the key half of 6, once per distinct header text. */
  function proofKey(headerText: string, header: Record<string, unknown>): ProofKey {
    const cached = keys.get(headerText);
    if (cached !== undefined) return cached;
    const typ = header['typ'];
    if (typeof typ !== 'string' || !DPOP_TYPES.has(typ.toLowerCase())) {
      fail('typ', `header "typ" must be "dpop+jwt", found ${describeValue(typ)}`);
    }
    const alg = header['alg'];
    if (!isSupportedAlgorithm(alg) || !algorithms.includes(alg)) {
      fail(
        'alg',
        `header "alg" ${describeValue(alg)} is not an allowed DPoP algorithm (${algorithms.join(', ')})`,
      );
    }
    const jwk = header['jwk'];
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
      fail('jwk', `header "jwk" must be a JSON Web Key object, found ${describeValue(jwk)}`);
    }
    const members = jwk as Record<string, unknown>;
    const secret = PRIVATE_MEMBERS.find((name) => members[name] !== undefined);
    if (secret !== undefined) {
      fail(
        'jwk',
        `header "jwk" holds the private or symmetric key member "${secret}": a proof carries a public key only`,
      );
    }
    const imported = importJwk(members, [alg]);
    if ('ignored' in imported)
      fail('jwk', `header "jwk" is not a usable ${alg} public key: ${imported.ignored}`);
    const jkt = jwkThumbprint(members);
    if (jkt === undefined) fail('jwk', 'header "jwk" has no RFC 7638 thumbprint');
    const entry: ProofKey = Object.freeze({ alg, key: imported.key, jkt, jwk: members });
    if (keys.size >= KEY_CACHE_SIZE) keys.clear();
    keys.set(headerText, entry);
    return entry;
  }

  async function verify(request: DpopRequest): Promise<VerifiedDpopProof> {
    const proof = singleProof(request.proofs);

    let parsed: ReturnType<typeof parseCompact>;
    try {
      parsed = parseCompact(proof, maxProofLength);
    } catch (error) {
      fail('jwt', `the DPoP proof is not a well-formed JWT: ${(error as Error).message}`, error);
    }
    const { header, payload: claims, signingInput, signature } = parsed;
    const key = proofKey(signingInput.slice(0, signingInput.indexOf('.')), header);

    const { jti, htm, htu, iat } = claims;
    if (typeof jti !== 'string' || jti.length === 0) {
      fail('claims', `claim "jti" must be a non-empty string, found ${describeValue(jti)}`);
    }
    if (typeof htm !== 'string') fail('claims', `claim "htm" must be a string, found ${describeValue(htm)}`);
    if (typeof htu !== 'string') fail('claims', `claim "htu" must be a string, found ${describeValue(htu)}`);
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      fail('claims', `claim "iat" must be a finite number (NumericDate), found ${describeValue(iat)}`);
    }
    const { accessToken } = request;
    if (accessToken !== undefined && typeof claims['ath'] !== 'string') {
      fail('claims', `claim "ath" is required with an access token, found ${describeValue(claims['ath'])}`);
    }

    if (htm !== request.method) {
      fail(
        'htm',
        `claim "htm" ${describeValue(htm)} is not the request method ${describeValue(request.method)}`,
      );
    }
    const target = targetOf(typeof request.url === 'string' ? request.url : request.url.href);
    if (target === undefined) {
      fail('htu', `the request URI ${describeValue(String(request.url))} is not an absolute http(s) URI`);
    }
    if (htu !== target && normalizeHttpUri(htu) !== target) {
      fail('htu', `claim "htu" ${describeValue(htu)} is not the request URI ${describeValue(target)}`);
    }

    const nowMs = now();
    const nowSeconds = nowMs / 1000;
    if (iat > nowSeconds + clockTolerance) {
      fail(
        'iat',
        `claim "iat" is ${Math.round(iat - nowSeconds)} s in the future (tolerance ${clockTolerance} s)`,
      );
    }
    if (iat < nowSeconds - maxAge - clockTolerance) {
      fail(
        'iat',
        `claim "iat" is ${Math.round(nowSeconds - iat)} s old, over the ${maxAge} s (+${clockTolerance} s) limit`,
      );
    }

    if (accessToken !== undefined) {
      if (claims['ath'] !== athOf(accessToken)) {
        fail('ath', 'claim "ath" is not the SHA-256 hash of the access token presented with the proof');
      }
      if (request.boundJkt === undefined) {
        throw new SenderConstraintError(
          'binding_invalid',
          'cnf',
          'an access token was presented with a DPoP proof, but it is not DPoP-bound (no cnf.jkt)',
        );
      }
    }
    if (request.boundJkt !== undefined && request.boundJkt !== key.jkt) {
      fail(
        'jkt',
        `the proof's key (thumbprint ${key.jkt}) is not the key the token is bound to (cnf.jkt ${request.boundJkt})`,
      );
    }

    if (!verifySignature(key.alg, key.key, signingInput, signature)) {
      fail('signature', `the DPoP proof's ${key.alg} signature does not verify with its jwk`);
    }

    if (nonces !== undefined && !nonces.check(claims['nonce'], nowMs)) {
      throw new SenderConstraintError(
        'dpop_nonce_required',
        'nonce',
        claims['nonce'] === undefined
          ? 'the DPoP proof has no "nonce" claim, and this server requires one'
          : 'the DPoP proof\'s "nonce" is not a current server nonce',
      );
    }

    // §11.1: once per target URI within the window the proof is acceptable in, with one tolerance of slack for
    // other instances' clocks. jkt is part of the key so that nobody can burn another client's jti.
    const replayKey = `dpop:${hash('sha256', `${key.jkt}\n${target}\n${jti}`, 'base64url')}`;
    const expiresAt = Math.ceil((iat + maxAge + 2 * clockTolerance) * 1000);
    let first: unknown;
    try {
      first = await store.claim(replayKey, expiresAt);
    } catch (error) {
      throw new SenderConstraintError(
        'replay_store_unavailable',
        'replay',
        `the replay store could not record the proof, so it was not accepted: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    }
    if (first !== true) {
      if (first === false) fail('replay', 'this DPoP proof (its jti, for this URI and key) was already used');
      throw new SenderConstraintError(
        'replay_store_unavailable',
        'replay',
        `the replay store answered ${describeValue(first)} instead of true or false`,
      );
    }
    return Object.freeze({ jkt: key.jkt, alg: key.alg, jti, iat, jwk: key.jwk, claims });
  }

  return Object.freeze({ algorithms: Object.freeze(algorithms), nonces, verify });
}
