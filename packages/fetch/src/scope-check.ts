import { ConfigError } from '@scopeguard/core';
import { type ScopeRule, scopeRule } from '@scopeguard/http';

/** The scopes one call of the guard requires; when both lists are given, both must hold. */
export interface ScopeCheck {
  /** Scopes that must all be granted (`requireScope` elsewhere). */
  readonly scopes?: readonly string[] | undefined;
  /** Scopes of which at least one must be granted (`requireAnyScope` elsewhere). */
  readonly anyScopes?: readonly string[] | undefined;
}

const KEYS: ReadonlySet<string> = new Set(['scopes', 'anyScopes']);
const NAMES: Readonly<Record<string, string>> = { allOf: 'scopes', anyOf: 'anyScopes' };

/** A `ConfigError` of `scopeRule`, in the words of this API (`scopes`, `anyScopes`). */
function renamed(error: ConfigError): ConfigError {
  const prefix = `${error.option}: `;
  const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new ConfigError(
    NAMES[error.option] ?? error.option,
    detail.replace('allOf: [', 'scopes: [').replace('anyOf: [', 'anyScopes: ['),
  );
}

function checkShape(check: ScopeCheck): void {
  if (typeof check !== 'object' || check === null || Array.isArray(check)) {
    throw new ConfigError('scopes', 'the guard takes { scopes, anyScopes } as its second argument');
  }
  for (const key in check) {
    // A misspelt key (`scope`, `anyScope`) must not leave a route unchecked.
    if (!KEYS.has(key)) throw new ConfigError(key, 'is not a scope check option (scopes, anyScopes)');
  }
}

function validate(check: ScopeCheck): ScopeRule {
  if (check.scopes === undefined && check.anyScopes === undefined) {
    throw new ConfigError('scopes', 'guard(request, { ... }) needs scopes and/or anyScopes');
  }
  try {
    return scopeRule({ allOf: check.scopes, anyOf: check.anyScopes }, { form: 'options' });
  } catch (error) {
    throw error instanceof ConfigError ? renamed(error) : error;
  }
}

/** An unambiguous key for a list of strings (each length-prefixed); undefined for anything else. */
function listKey(list: unknown): string | undefined {
  if (list === undefined) return '-';
  if (!Array.isArray(list)) return undefined;
  let key = '';
  for (const item of list) {
    if (typeof item !== 'string') return undefined;
    key += `${item.length}:${item}`;
  }
  return key;
}

/** Distinct checks remembered; past this, a check is validated on every call (dynamic scope lists). */
const MAX_CACHED = 256;

/**
 * The validated rules of scope checks, remembered by content: `guard(request, { scopes: ['a'] })`
 * written inline builds a new object per request, and validating it each time would cost more than
 * the check itself. Throws `ConfigError` for an empty check, an unknown key or an invalid scope name.
 */
export function createScopeChecks(): (check: ScopeCheck) => ScopeRule {
  const cache = new Map<string, ScopeRule>();
  return (check) => {
    checkShape(check);
    const all = listKey(check.scopes);
    const any = listKey(check.anyScopes);
    // Only lists of strings are cached: anything else is validated (and refused) on every call.
    if (all === undefined || any === undefined) return validate(check);
    const key = `${all}|${any}`;
    let rule = cache.get(key);
    if (rule === undefined) {
      rule = validate(check);
      if (cache.size < MAX_CACHED) cache.set(key, rule);
    }
    return rule;
  };
}
