import type { ScopeRule } from './scope-rule.js';

/**
 * How an adapter finds the scopes its routes require, for RFC 9728's `scopes_supported`: each
 * scope-checking handler it creates is marked with its rule, and the adapter walks its framework's
 * route table (Express's router stack, Hono's `app.routes`, Fastify's `onRoute`, …) for marked
 * handlers. Only scopes that routes actually use are advertised, never those of another app in the
 * same process.
 */

// A registered symbol, so the ESM and CJS builds of a package loaded side by side read each other's marks.
const RULE = Symbol.for('@scopeguard/http.scope-rule');
type Marked = { [RULE]?: ScopeRule };

/** Marks a handler (middleware, guard, hook) as checking `rule`; returns it. */
export function markScopeRule<T extends object>(handler: T, rule: ScopeRule): T {
  Object.defineProperty(handler, RULE, { value: rule, enumerable: false });
  return handler;
}

/** The rule a handler was marked with, if any. */
export function scopeRuleOf(handler: unknown): ScopeRule | undefined {
  if ((typeof handler !== 'function' && typeof handler !== 'object') || handler === null) return undefined;
  return (handler as Marked)[RULE];
}

/** Adds the scopes of every marked handler in `handlers` to `into` (a new set by default), and returns it. */
export function collectScopes(handlers: Iterable<unknown>, into: Set<string> = new Set()): Set<string> {
  for (const handler of handlers) {
    const rule = scopeRuleOf(handler);
    if (rule !== undefined) for (const scope of rule.scopes) into.add(scope);
  }
  return into;
}
