import { createHash, createHmac, randomBytes, type webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { signCompactJws } from './compact-jws.js';
import type { MintOptions, TestIssuer } from './create-test-issuer.js';
import type { AccessTokenClaims } from './access-token.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-key.js';

/**
 * One way to break a DPoP proof, for each check of RFC 9449 §4.3 a resource server must run (check 1, "at
 * most one DPoP header", is the request's concern: send two proofs). Each breaks only its own check:
 * - `typ` (4): `typ` is `JWT`, not `dpop+jwt`;
 * - `alg-none` (5): `alg: none` and an empty signature; `alg-hs256` (5): `alg: HS256`, MAC keyed with the
 *   public JWK's JSON (the key-confusion attack);
 * - `signature` (6): a valid-looking signature over other content;
 * - `private-jwk` (7): the `jwk` header carries the private key (`d`, …); `no-jwk`: no `jwk` header at all;
 * - `htm` (8), `htu` (9): another method; the same path on `https://attacker.example`;
 * - `missing-jti`, `missing-htm`, `missing-htu`, `missing-iat`, `missing-ath` (3): the claim is left out;
 * - `missing-nonce`, `nonce` (10): no `nonce`, or one the server never issued;
 * - `stale-iat`, `future-iat` (11): `iat` an hour ago, or an hour ahead;
 * - `ath` (12): the hash of another access token;
 * - `foreign-key` (12): a valid proof by another key than the one the token is bound to (`cnf.jkt`).
 */
export type DpopProofDefect =
  | 'typ'
  | 'alg-none'
  | 'alg-hs256'
  | 'signature'
  | 'private-jwk'
  | 'no-jwk'
  | 'htm'
  | 'htu'
  | 'missing-jti'
  | 'missing-htm'
  | 'missing-htu'
  | 'missing-iat'
  | 'missing-ath'
  | 'missing-nonce'
  | 'nonce'
  | 'stale-iat'
  | 'future-iat'
  | 'ath'
  | 'foreign-key';

/** Every {@link DpopProofDefect}. */
export const DPOP_PROOF_DEFECTS: readonly DpopProofDefect[] = Object.freeze([
  'typ',
  'alg-none',
  'alg-hs256',
  'signature',
  'private-jwk',
  'no-jwk',
  'htm',
  'htu',
  'missing-jti',
  'missing-htm',
  'missing-htu',
  'missing-iat',
  'missing-ath',
  'missing-nonce',
  'nonce',
  'stale-iat',
  'future-iat',
  'ath',
  'foreign-key',
]);

/** The request a proof is made for. */
export interface DpopProofRequest {
  /** HTTP method (`htm`), e.g. `GET`. */
  method: string;
  /** Target URI (`htu`); query and fragment are removed, as RFC 9449 §4.2 asks. */
  url: string | URL;
  /** The access token sent with the proof: its hash goes in `ath`. */
  accessToken?: string;
  /** The server's nonce (`DPoP-Nonce`), for `nonce`. */
  nonce?: string;
}

/** Options of {@link DpopKey.proof}. */
export interface DpopProofOptions {
  /** Break the proof in one way (see {@link DpopProofDefect}). */
  defect?: DpopProofDefect;
  /** `iat` in epoch seconds; default now. */
  iat?: number;
  /** `jti`; default 16 random bytes, base64url. Reuse one to make a replay. */
  jti?: string;
  /** Claim overrides, applied last; `undefined` removes a claim. */
  claims?: Record<string, unknown>;
  /** Header overrides, applied last; `undefined` removes a member. The signature stays the key's own. */
  header?: Record<string, unknown>;
}

/** A client's DPoP key pair, and the proofs it makes. */
export interface DpopKey {
  /** The algorithm the key signs with. */
  readonly alg: SigningAlgorithm;
  /** The public JWK sent in each proof's `jwk` header (key members only). */
  readonly publicJwk: Readonly<JWK>;
  /** Its RFC 7638 SHA-256 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  readonly jkt: string;
  /** The private key, for clients that sign their own proofs (e.g. openid-client's `getDPoPHandle`). */
  readonly privateKey: webcrypto.CryptoKey;
  /** The public key as a `CryptoKey`. */
  readonly publicKey: webcrypto.CryptoKey;
  /** Makes a proof for `request` (RFC 9449 §4.2): good by default, or broken by `options.defect`. */
  proof(request: DpopProofRequest, options?: DpopProofOptions): Promise<string>;
}

function stripQueryAndFragment(url: string | URL): string {
  const parsed = new URL(String(url));
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

function applyOverrides(
  target: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): void {
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
}

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');
const tokenHash = (token: string) => createHash('sha256').update(token, 'ascii').digest('base64url');

interface KeyPair {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  publicJwk: JWK;
}

async function generateDpopKeyPair(alg: SigningAlgorithm): Promise<KeyPair> {
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    throw new TypeError(
      `Unsupported DPoP algorithm "${String(alg)}"; use one of ${SIGNING_ALGORITHMS.join(', ')}`,
    );
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const { kty, crv, x, y, n, e } = await exportJWK(publicKey);
  const publicJwk: JWK = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined),
  );
  return { privateKey, publicKey, publicJwk };
}

/**
 * Creates a DPoP key pair (ES256 by default; RS256, PS256, ES384, EdDSA, … too) whose `proof()` makes DPoP
 * proofs (RFC 9449 §4.2): `typ: dpop+jwt`, the public `jwk` in the header, `jti`, `htm`, `htu` (without query
 * and fragment), `iat`, and `ath` / `nonce` when the request has a token / nonce. `options.defect` breaks a
 * proof in exactly one way, for each failure RFC 9449 §4.3 names.
 *
 * @example
 * const key = await createDpopKey();
 * const token = await mintDpopBoundToken(issuer, key, { scp: ['orders:read'] });
 * const proof = await key.proof({ method: 'GET', url: 'https://api.example.com/orders', accessToken: token });
 * // Authorization: DPoP <token>, DPoP: <proof>
 * await key.proof({ method: 'GET', url, accessToken: token }, { defect: 'stale-iat' }); // refused
 */
export async function createDpopKey(alg: SigningAlgorithm = 'ES256'): Promise<DpopKey> {
  const own = await generateDpopKeyPair(alg);
  const jkt = await calculateJwkThumbprint(own.publicJwk, 'sha256');
  let foreign: Promise<KeyPair> | undefined;
  const foreignKey = () => {
    foreign ??= generateDpopKeyPair(alg);
    return foreign;
  };

  async function proof(request: DpopProofRequest, options: DpopProofOptions = {}): Promise<string> {
    const { defect } = options;
    const signer = defect === 'foreign-key' ? await foreignKey() : own;
    const url = stripQueryAndFragment(request.url);
    const now = Math.floor(Date.now() / 1000);

    const header: Record<string, unknown> = { typ: 'dpop+jwt', alg, jwk: { ...signer.publicJwk } };
    const claims: Record<string, unknown> = {
      jti: options.jti ?? randomBytes(16).toString('base64url'),
      htm: request.method,
      htu: url,
      iat: options.iat ?? now,
    };
    if (request.accessToken !== undefined) claims['ath'] = tokenHash(request.accessToken);
    if (request.nonce !== undefined) claims['nonce'] = request.nonce;

    switch (defect) {
      case 'typ':
        header['typ'] = 'JWT';
        break;
      case 'alg-none':
        header['alg'] = 'none';
        break;
      case 'alg-hs256':
        header['alg'] = 'HS256';
        break;
      case 'private-jwk':
        header['jwk'] = await exportJWK(signer.privateKey);
        break;
      case 'no-jwk':
        delete header['jwk'];
        break;
      case 'htm':
        claims['htm'] = request.method === 'DELETE' ? 'GET' : 'DELETE';
        break;
      case 'htu': {
        const target = new URL(url);
        claims['htu'] = `https://attacker.example${target.pathname}`;
        break;
      }
      case 'missing-jti':
      case 'missing-htm':
      case 'missing-htu':
      case 'missing-iat':
      case 'missing-ath':
      case 'missing-nonce':
        delete claims[defect.slice('missing-'.length)];
        break;
      case 'nonce':
        claims['nonce'] = randomBytes(32).toString('base64url');
        break;
      case 'stale-iat':
        claims['iat'] = (options.iat ?? now) - 3600;
        break;
      case 'future-iat':
        claims['iat'] = (options.iat ?? now) + 3600;
        break;
      case 'ath':
        claims['ath'] = tokenHash(`not-${request.accessToken ?? 'the-token'}`);
        break;
      default:
        break;
    }
    applyOverrides(header, options.header);
    applyOverrides(claims, options.claims);

    if (defect === 'alg-none') {
      return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.`;
    }
    if (defect === 'alg-hs256') {
      const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
      const mac = createHmac('sha256', JSON.stringify(own.publicJwk)).update(input).digest('base64url');
      return `${input}.${mac}`;
    }
    const signed = await signCompactJws(header, claims, { alg, privateKey: signer.privateKey });
    if (defect !== 'signature') return signed;
    // A signature of the right shape and length, made by the right key, but over other content.
    const other = await signCompactJws(
      header,
      { ...claims, jti: `${claims['jti']}-other` },
      {
        alg,
        privateKey: signer.privateKey,
      },
    );
    return `${signed.slice(0, signed.lastIndexOf('.'))}${other.slice(other.lastIndexOf('.'))}`;
  }

  return Object.freeze({
    alg,
    publicJwk: Object.freeze({ ...own.publicJwk }),
    jkt,
    privateKey: own.privateKey,
    publicKey: own.publicKey,
    proof,
  });
}

/**
 * Mints a DPoP-bound access token (RFC 9449 §6.1): the issuer's usual token plus `cnf: { jkt }`, where `jkt`
 * is the key's RFC 7638 thumbprint (or the thumbprint given). Explicit `claims` win, so `{ cnf: undefined }`
 * or a malformed `cnf` are possible too.
 */
export function mintDpopBoundToken(
  issuer: Pick<TestIssuer, 'mint'>,
  key: Pick<DpopKey, 'jkt'> | string,
  claims: AccessTokenClaims = {},
  options?: MintOptions,
): Promise<string> {
  const jkt = typeof key === 'string' ? key : key.jkt;
  return issuer.mint({ cnf: { jkt }, ...claims }, options);
}
