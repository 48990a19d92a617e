import { describeValue, TokenError } from './errors.js';
import { readScopes } from './scopes.js';
import type { AccessTokenClaims, ClaimRequirement, JsonValue } from './types.js';

/** What the claim checks need to know; built once from the verifier's options. */
export interface ClaimPolicy {
  issuer: string;
  audiences: readonly string[];
  clientIds: readonly string[] | undefined;
  clockTolerance: number;
  maxTokenAge: number | undefined;
  typ: 'any' | 'strict';
  requiredClaims: readonly (readonly [string, ClaimRequirement])[];
}

/** The claims as checked, with what `verify` reports. */
export interface CheckedClaims {
  claims: AccessTokenClaims;
  scopes: string[];
  clientId: string | undefined;
  subject: string | undefined;
}

interface Context {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  policy: ClaimPolicy;
  /** Seconds since the epoch. */
  now: number;
  /** Header `typ` in lower case, when it is a string. */
  typ: string | undefined;
  /** `aud` as a list, or undefined when it has the wrong shape (computed once, used by several rows). */
  audiences: string[] | undefined;
  /** `cid` / `client_id`, as `readClientId` reads them. */
  clientId: string | undefined;
  /** The scopes, or undefined when `scp` / `scope` have the wrong shape. */
  scopes: string[] | undefined;
}

type Check = (ctx: Context) => void;

const AT_JWT_TYPES = new Set(['at+jwt', 'application/at+jwt']);

function fail(code: TokenError['code'], claim: string, message: string): never {
  throw new TokenError(code, message, { claim });
}

/** Latest NumericDate accepted: 9999-12-31T23:59:59Z. Later (or `1e308`) is no date a token means. */
export const MAX_NUMERIC_DATE = 253_402_300_799;

/**
 * Reads a NumericDate claim (RFC 7519 §2: seconds since the epoch, fractions allowed): a finite number
 * from 0 to {@link MAX_NUMERIC_DATE}. Anything else (a string, `1e999`, `1e308`, a negative time) is
 * `claim_invalid`, so `expiresAt` is always a valid `Date`.
 */
function numericDate(ctx: Context, name: 'exp' | 'nbf' | 'iat', required: boolean): number | undefined {
  const value = ctx.claims[name];
  if (value === undefined) {
    if (required) fail('claim_invalid', name, `claim "${name}" is required but missing`);
    return undefined;
  }
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_NUMERIC_DATE)) {
    fail(
      'claim_invalid',
      name,
      `claim "${name}" must be a NumericDate (seconds since 1970, from 0 to ${MAX_NUMERIC_DATE}), found ${describeValue(value)}`,
    );
  }
  return value;
}

function optionalString(ctx: Context, name: string): string | undefined {
  const value = ctx.claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    fail('claim_invalid', name, `claim "${name}" must be a string, found ${describeValue(value)}`);
  return value;
}

/** The client id from `cid` (Okta) or `client_id` (RFC 9068); both present must agree. */
export function readClientId(claims: Record<string, unknown>): string | undefined {
  const { cid, client_id } = claims;
  if (typeof cid === 'string' && typeof client_id === 'string' && cid !== client_id) return undefined;
  return typeof cid === 'string' ? cid : typeof client_id === 'string' ? client_id : undefined;
}

function audienceList(aud: unknown): string[] | undefined {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) return aud as string[];
  return undefined;
}

/**
 * Claim checks as a table: each row is one rule, run in order, and throws a `TokenError` whose message
 * says what was expected and what was found. Adding a rule is adding a row.
 */
const CHECKS: readonly (readonly [string, Check])[] = [
  [
    'typ',
    ({ header, policy, typ }) => {
      if (policy.typ === 'strict' && (typ === undefined || !AT_JWT_TYPES.has(typ))) {
        fail(
          'claim_invalid',
          'header.typ',
          `header "typ" must be "at+jwt" (RFC 9068), found ${describeValue(header.typ)}`,
        );
      }
    },
  ],
  [
    'not an ID token',
    ({ header, claims, clientId, audiences: aud, typ = '' }) => {
      const reason =
        claims.nonce !== undefined
          ? 'it has a "nonce" claim'
          : claims.at_hash !== undefined
            ? 'it has an "at_hash" claim'
            : typ.includes('id_token') || typ.includes('id-token')
              ? `its "typ" is ${describeValue(header.typ)}`
              : clientId !== undefined && aud?.includes(clientId)
                ? 'its "aud" is the client id'
                : undefined;
      if (reason) {
        fail(
          'claim_invalid',
          'typ',
          `expected an access token, found what looks like an ID token: ${reason}`,
        );
      }
    },
  ],
  [
    'iss',
    ({ claims, policy }) => {
      if (claims.iss !== policy.issuer) {
        fail(
          'issuer_invalid',
          'iss',
          `iss ${describeValue(claims.iss)} is not ${describeValue(policy.issuer)}`,
        );
      }
    },
  ],
  [
    'aud',
    ({ claims, policy, audiences: aud }) => {
      if (!aud) {
        fail(
          'audience_invalid',
          'aud',
          `aud must be a string or a non-empty array of strings, found ${describeValue(claims.aud)}`,
        );
      }
      if (!aud.some((a) => policy.audiences.includes(a))) {
        const expected = policy.audiences.length === 1 ? policy.audiences[0] : policy.audiences;
        fail('audience_invalid', 'aud', `aud ${describeValue(claims.aud)} is not ${describeValue(expected)}`);
      }
    },
  ],
  [
    'exp',
    (ctx) => {
      const exp = numericDate(ctx, 'exp', true) as number;
      if (ctx.now >= exp + ctx.policy.clockTolerance) {
        fail(
          'token_expired',
          'exp',
          `token expired ${Math.round(ctx.now - exp)} s ago (exp ${exp}, now ${Math.floor(ctx.now)}, tolerance ${ctx.policy.clockTolerance} s)`,
        );
      }
    },
  ],
  [
    'nbf',
    (ctx) => {
      const nbf = numericDate(ctx, 'nbf', false);
      if (nbf !== undefined && ctx.now + ctx.policy.clockTolerance < nbf) {
        fail(
          'token_not_yet_valid',
          'nbf',
          `token not valid for another ${Math.round(nbf - ctx.now)} s (nbf ${nbf}, now ${Math.floor(ctx.now)}, tolerance ${ctx.policy.clockTolerance} s)`,
        );
      }
    },
  ],
  [
    'iat',
    (ctx) => {
      const { maxTokenAge, clockTolerance } = ctx.policy;
      const iat = numericDate(ctx, 'iat', maxTokenAge !== undefined);
      if (iat === undefined) return;
      if (ctx.now + clockTolerance < iat) {
        fail(
          'token_not_yet_valid',
          'iat',
          `token issued ${Math.round(iat - ctx.now)} s in the future (iat ${iat}, now ${Math.floor(ctx.now)})`,
        );
      }
      if (maxTokenAge !== undefined && ctx.now - iat > maxTokenAge + clockTolerance) {
        fail(
          'token_expired',
          'iat',
          `token is ${Math.round(ctx.now - iat)} s old, over maxTokenAge ${maxTokenAge} s`,
        );
      }
    },
  ],
  [
    'sub',
    (ctx) => {
      optionalString(ctx, 'sub');
    },
  ],
  [
    'cid / client_id',
    (ctx) => {
      const cid = optionalString(ctx, 'cid');
      const clientIdClaim = optionalString(ctx, 'client_id');
      if (cid !== undefined && clientIdClaim !== undefined && cid !== clientIdClaim) {
        fail(
          'claim_invalid',
          'client_id',
          `cid ${describeValue(cid)} and client_id ${describeValue(clientIdClaim)} disagree`,
        );
      }
      const allowed = ctx.policy.clientIds;
      if (!allowed) return;
      const clientId = cid ?? clientIdClaim;
      if (clientId === undefined) {
        fail('client_not_allowed', 'cid', `a client id (cid or client_id) is required, found none`);
      }
      if (!allowed.includes(clientId)) {
        fail(
          'client_not_allowed',
          cid !== undefined ? 'cid' : 'client_id',
          `client ${describeValue(clientId)} is not one of ${describeValue(allowed)}`,
        );
      }
    },
  ],
  [
    'scp / scope',
    ({ claims, scopes }) => {
      if (scopes === undefined) {
        fail(
          'claim_invalid',
          claims.scp !== undefined ? 'scp' : 'scope',
          `scp must be an array of scope strings and scope a space-delimited string (agreeing when both are present), found scp ${describeValue(claims.scp)}, scope ${describeValue(claims.scope)}`,
        );
      }
    },
  ],
  [
    'required claims',
    ({ claims, policy }) => {
      checkRequiredClaims(claims, policy);
    },
  ],
];

/** The rows' checks alone, in order: the loop `checkClaims` runs on every token. */
const CHECK_FUNCTIONS: readonly Check[] = CHECKS.map(([, check]) => check);

function containsValue(claim: unknown, wanted: string | number): boolean {
  if (Array.isArray(claim)) return claim.includes(wanted);
  if (typeof claim === 'string' && typeof wanted === 'string') return claim.split(' ').includes(wanted);
  return false;
}

/**
 * Runs every `requiredClaims` rule in order; throws `claim_invalid` for the first that fails. Exported on
 * its own because the verified-token cache re-runs it on every hit: a predicate may change its answer.
 */
export function checkRequiredClaims(claims: Record<string, unknown>, policy: ClaimPolicy): void {
  for (const [name, rule] of policy.requiredClaims) checkRequirement(claims, name, rule);
}

function checkRequirement(claims: Record<string, unknown>, name: string, rule: ClaimRequirement): void {
  const value = claims[name];
  if (typeof rule === 'function') {
    let ok = false;
    try {
      ok = rule(value as JsonValue | undefined, claims as AccessTokenClaims) === true;
    } catch {
      ok = false;
    }
    if (!ok)
      fail('claim_invalid', name, `claim "${name}" ${describeValue(value)} failed the configured check`);
    return;
  }
  if (typeof rule === 'object') {
    const wanted = Array.isArray(rule.includes) ? rule.includes : [rule.includes as string | number];
    const missing = wanted.filter((w) => !containsValue(value, w));
    if (missing.length > 0) {
      fail(
        'claim_invalid',
        name,
        `claim "${name}" must include ${describeValue(missing)}, found ${describeValue(value)}`,
      );
    }
    return;
  }
  if (value !== rule)
    fail('claim_invalid', name, `claim "${name}" ${describeValue(value)} is not ${describeValue(rule)}`);
}

/** What every row reads, computed once per token. */
function claimContext(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  policy: ClaimPolicy,
  nowMs: number,
): Context {
  return {
    header,
    claims,
    policy,
    now: nowMs / 1000,
    typ: typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined,
    audiences: audienceList(claims.aud),
    clientId: readClientId(claims),
    scopes: readScopes(claims),
  };
}

/**
 * Runs every claim rule against a payload whose signature has already been verified, and returns the
 * claims with the scopes and client id read out. Throws the first `TokenError` found.
 */
export function checkClaims(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  policy: ClaimPolicy,
  nowMs: number,
): CheckedClaims {
  const ctx = claimContext(header, claims, policy, nowMs);
  for (let i = 0; i < CHECK_FUNCTIONS.length; i++) (CHECK_FUNCTIONS[i] as Check)(ctx);
  return {
    claims: claims as AccessTokenClaims,
    scopes: ctx.scopes ?? [],
    clientId: ctx.clientId,
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
  };
}

/** One row of the claim table and what it made of a token (see {@link runClaimChecks}). */
export interface ClaimCheckResult {
  /** The row's name in the table: `typ`, `not an ID token`, `iss`, `aud`, `exp`, `nbf`, `iat`, … */
  readonly name: string;
  /** Why the row refused the token; `undefined` when it passed. */
  readonly error: TokenError | undefined;
}

/**
 * Runs every row of the claim table on its own and reports each outcome, where {@link checkClaims} stops at
 * the first failure (`explainToken` uses it to report every claim problem at once). Same rows, same order,
 * same context, so the first failure reported here is the one `checkClaims` throws.
 */
export function runClaimChecks(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  policy: ClaimPolicy,
  nowMs: number,
): ClaimCheckResult[] {
  const ctx = claimContext(header, claims, policy, nowMs);
  return CHECKS.map(([name, check]) => {
    try {
      check(ctx);
      return { name, error: undefined };
    } catch (error) {
      if (error instanceof TokenError) return { name, error };
      throw error;
    }
  });
}
