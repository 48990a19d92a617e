import { assertScopes, ConfigError, hasScopes } from '@scopeguard/core';
import { isValidScopeToken, sanitizeDescription } from './rfc6750.js';
import type { AuthFailure, AuthInfo, HttpOptions } from './types.js';

/** A scope requirement as users write it: every scope in `allOf`, and at least one in `anyOf`. */
export interface ScopeRequirement {
  /** Scopes that must all be granted. */
  allOf?: readonly string[];
  /** Scopes of which at least one must be granted. */
  anyOf?: readonly string[];
}

/** A validated requirement, with what its 403 answers say, computed once at startup. */
export interface ScopeRule {
  readonly allOf: readonly string[] | undefined;
  readonly anyOf: readonly string[] | undefined;
  /** The challenge's `scope` attribute (RFC 6750 §3): `allOf` then `anyOf`, without repeats. */
  readonly scopes: readonly string[];
  /**
   * The 403 `error_description`, explicit about "all of" and "one of": `scope="a b"` alone reads as
   * "a and b" (or as one scope named "a b"), which is wrong for `anyOf`.
   */
  readonly description: string;
}

/** How the user wrote the requirement, so a configuration error can show the corrected call. */
export interface ScopeRuleSource {
  /** The function the requirement was given to (`requireScope`, `requireAnyScope`, `@RequireScope`, …). */
  readonly callee?: string | undefined;
  /** Scope names as the function's arguments (`requireScope('a', 'b')`), or an `{ allOf, anyOf }` object. */
  readonly form?: 'arguments' | 'options' | undefined;
}

function words(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const char of text) {
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      if (current !== '') out.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

const quote = (scope: string) => `'${scope}'`;

function invalidScope(name: 'allOf' | 'anyOf', scope: unknown, source: ScopeRuleSource): ConfigError {
  let message = `${JSON.stringify(scope) ?? String(scope)} is not a valid scope name (RFC 6750 scope-token: no spaces, no " and no \\)`;
  if (typeof scope === 'string') {
    const parts = words(scope);
    if (parts.length > 1 && parts.every(isValidScopeToken)) {
      const what = name === 'allOf' ? 'require several scopes' : 'accept any of several scopes';
      const fixed =
        source.callee !== undefined && source.form === 'arguments'
          ? `${source.callee}(${parts.map(quote).join(', ')})`
          : `${name}: [${parts.map(quote).join(', ')}]`;
      message += `; to ${what}, pass each one separately: ${fixed}`;
    }
  } else if (Array.isArray(scope) && source.callee !== undefined && source.form === 'arguments') {
    message += `; pass the scopes as separate arguments: ${source.callee}(${scope.map((s) => quote(String(s))).join(', ')})`;
  }
  return new ConfigError(name, message);
}

function checkList(
  name: 'allOf' | 'anyOf',
  scopes: unknown,
  source: ScopeRuleSource,
): readonly string[] | undefined {
  if (scopes === undefined) return undefined;
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new ConfigError(name, 'must be a non-empty list of scope names');
  }
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !isValidScopeToken(scope)) throw invalidScope(name, scope, source);
  }
  return Object.freeze([...scopes]);
}

function describe(allOf: readonly string[] | undefined, anyOf: readonly string[] | undefined): string {
  const parts: string[] = [];
  if (allOf !== undefined) {
    parts.push(allOf.length === 1 ? `the scope: ${allOf[0]}` : `all of these scopes: ${allOf.join(', ')}`);
  }
  if (anyOf !== undefined) {
    parts.push(anyOf.length === 1 ? `the scope: ${anyOf[0]}` : `one of these scopes: ${anyOf.join(', ')}`);
  }
  return sanitizeDescription(`This resource requires ${parts.join('; and ')}`);
}

/**
 * Validates a requirement and prepares its answers. Throws `ConfigError` at startup for an empty
 * requirement or an invalid scope name; `requireScope('read write')` is told to write
 * `requireScope('read', 'write')`.
 */
export function scopeRule(requirement: ScopeRequirement, source: ScopeRuleSource = {}): ScopeRule {
  const allOf = checkList('allOf', requirement.allOf, source);
  const anyOf = checkList('anyOf', requirement.anyOf, source);
  if (allOf === undefined && anyOf === undefined) {
    const what = source.callee === undefined ? 'a scope requirement' : `${source.callee}({ ... })`;
    throw new ConfigError('scopes', `${what} needs allOf and/or anyOf`);
  }
  const scopes = [...new Set([...(allOf ?? []), ...(anyOf ?? [])])];
  return Object.freeze({
    allOf,
    anyOf,
    scopes: Object.freeze(scopes),
    description: describe(allOf, anyOf),
  });
}

/**
 * The scopes-or-options arguments of `requireScope(...)`-style functions: scope names
 * (`requireScope('a', 'b')`, read as `mode`), or one options object with `allOf` / `anyOf` and
 * adapter options. Returns the rule and the options (empty for the scope-names form).
 */
export function scopeRuleFromArguments<O extends ScopeRequirement>(
  args: readonly unknown[],
  mode: 'allOf' | 'anyOf',
  callee: string,
): { rule: ScopeRule; options: O | Record<string, never> } {
  const first = args[0];
  if (args.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const options = first as O;
    return { rule: scopeRule(options, { callee, form: 'options' }), options };
  }
  if (args.length === 0) throw new ConfigError('scopes', `${callee}() needs at least one scope`);
  return {
    rule: scopeRule({ [mode]: args as readonly string[] }, { callee, form: 'arguments' }),
    options: {},
  };
}

/**
 * Checks a verified token against a rule: undefined when it satisfies it, else the 403
 * `insufficient_scope` failure, whose description says "all of" or "one of" and whose challenge lists
 * the rule's scopes. With `exposeErrorDetails`, the description is the core's full message (which
 * also lists the token's scopes).
 */
export function scopeFailure(
  auth: AuthInfo,
  rule: ScopeRule,
  options: Pick<HttpOptions, 'exposeErrorDetails'> = {},
): AuthFailure | undefined {
  if (hasScopes(auth, rule)) return undefined;
  let cause: unknown;
  try {
    assertScopes(auth, rule);
  } catch (error) {
    cause = error;
  }
  const description =
    options.exposeErrorDetails && cause instanceof Error
      ? sanitizeDescription(cause.message, auth.token)
      : rule.description;
  return {
    status: 403,
    error: 'insufficient_scope',
    description,
    code: 'insufficient_scope',
    requiredScopes: rule.scopes,
    cause,
  };
}
