import { describeValue, TokenError } from './errors.js';
import type { VerifiedToken } from './types.js';

/** A scope requirement: every scope in `allOf`, and at least one in `anyOf` (either may be omitted). */
export interface ScopeRequirement {
  allOf?: readonly string[];
  anyOf?: readonly string[];
}

/**
 * Reads the granted scopes from a claim set: `scp` (an array of strings, Okta) or `scope`
 * (a space-delimited string, RFC 9068 / RFC 8693), whichever is present. Returns `undefined` when a
 * present claim has the wrong shape, so the caller can refuse the token.
 */
export function readScopes(claims: Record<string, unknown>): string[] | undefined {
  const { scp, scope } = claims;
  let fromScp: string[] | undefined;
  let fromScope: string[] | undefined;
  if (scp !== undefined) {
    if (!Array.isArray(scp)) return undefined;
    for (const s of scp) {
      if (typeof s !== 'string' || s.length === 0 || WHITESPACE.test(s)) return undefined;
    }
    fromScp = scp as string[];
  }
  if (scope !== undefined) {
    if (typeof scope !== 'string') return undefined;
    fromScope = scope.split(' ');
    if (fromScope.includes('')) fromScope = fromScope.filter((s) => s.length > 0);
  }
  // Both present: accept only when they say the same thing, otherwise the token is ambiguous.
  if (fromScp && fromScope && !sameList(fromScp, fromScope) && !sameSet(fromScp, fromScope)) return undefined;
  return fromScp ?? fromScope ?? [];
}

const WHITESPACE = /\s/;

/** The common case when both claims are present: the same scopes in the same order. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((s) => setB.has(s));
}

function grantedOf(source: VerifiedToken | readonly string[]): readonly string[] {
  return Array.isArray(source) ? (source as readonly string[]) : (source as VerifiedToken).scopes;
}

/** True when the token (or scope list) satisfies the requirement. An empty requirement is satisfied. */
export function hasScopes(source: VerifiedToken | readonly string[], requirement: ScopeRequirement): boolean {
  const granted = grantedOf(source);
  const { allOf, anyOf } = requirement;
  // Plain loops: this runs on every request that passes a scope rule.
  if (allOf !== undefined) {
    for (let i = 0; i < allOf.length; i++) if (!granted.includes(allOf[i] as string)) return false;
  }
  if (anyOf === undefined || anyOf.length === 0) return true;
  for (let i = 0; i < anyOf.length; i++) if (granted.includes(anyOf[i] as string)) return true;
  return false;
}

/**
 * Throws `TokenError('insufficient_scope')` unless the token satisfies the requirement. The error's
 * `requiredScopes` lists what the requirement asked for (for RFC 6750's `scope="…"`).
 */
export function assertScopes(source: VerifiedToken | readonly string[], requirement: ScopeRequirement): void {
  if (hasScopes(source, requirement)) return;
  const granted = grantedOf(source);
  const allOf = requirement.allOf ?? [];
  const anyOf = requirement.anyOf ?? [];
  const missing = allOf.filter((s) => !granted.includes(s));
  const parts: string[] = [];
  if (missing.length > 0)
    parts.push(`all of ${describeValue(allOf.join(' '))} (missing ${describeValue(missing.join(' '))})`);
  if (anyOf.length > 0 && !anyOf.some((s) => granted.includes(s)))
    parts.push(`one of ${describeValue(anyOf.join(' '))}`);
  throw new TokenError(
    'insufficient_scope',
    `scope must include ${parts.join(' and ')}; token has ${describeValue(granted.join(' '))}`,
    { requiredScopes: [...allOf, ...anyOf.filter((s) => !allOf.includes(s))] },
  );
}
