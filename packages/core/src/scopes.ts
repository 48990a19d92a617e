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
    if (!Array.isArray(scp) || !scp.every((s) => typeof s === 'string' && s.length > 0 && !/\s/.test(s))) {
      return undefined;
    }
    fromScp = scp as string[];
  }
  if (scope !== undefined) {
    if (typeof scope !== 'string') return undefined;
    fromScope = scope.split(' ').filter((s) => s.length > 0);
  }
  if (fromScp && fromScope) {
    // Both present: accept only when they say the same thing, otherwise the token is ambiguous.
    const a = new Set(fromScp);
    const b = new Set(fromScope);
    if (a.size !== b.size || [...a].some((s) => !b.has(s))) return undefined;
  }
  return fromScp ?? fromScope ?? [];
}

function grantedOf(source: VerifiedToken | readonly string[]): readonly string[] {
  return Array.isArray(source) ? (source as readonly string[]) : (source as VerifiedToken).scopes;
}

/** True when the token (or scope list) satisfies the requirement. An empty requirement is satisfied. */
export function hasScopes(source: VerifiedToken | readonly string[], requirement: ScopeRequirement): boolean {
  const granted = grantedOf(source);
  const allOf = requirement.allOf ?? [];
  const anyOf = requirement.anyOf ?? [];
  if (!allOf.every((s) => granted.includes(s))) return false;
  return anyOf.length === 0 || anyOf.some((s) => granted.includes(s));
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
