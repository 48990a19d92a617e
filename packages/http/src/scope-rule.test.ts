import { ConfigError } from '@scopeguard/core';
import { describe, expect, it } from 'vitest';
import { scopeFailure, scopeRule, scopeRuleFromArguments } from './scope-rule.js';
import type { AuthInfo } from './types.js';

function auth(scopes: string[]): AuthInfo {
  return {
    claims: { iss: 'i', aud: 'a', exp: 0 } as AuthInfo['claims'],
    header: { alg: 'RS256' },
    scopes,
    clientId: 'c',
    subject: 's',
    expiresAt: new Date(0),
    issuer: 'i',
    token: 'secret.token.value',
  };
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('scopeRule', () => {
  it.each([
    [{ allOf: ['a'] }, 'This resource requires the scope: a'],
    [{ allOf: ['a', 'b'] }, 'This resource requires all of these scopes: a, b'],
    [{ anyOf: ['a', 'b'] }, 'This resource requires one of these scopes: a, b'],
    [
      { allOf: ['a'], anyOf: ['x', 'y'] },
      'This resource requires the scope: a; and one of these scopes: x, y',
    ],
  ])('describes %j so that "all of" and "one of" cannot be confused', (requirement, description) => {
    expect(scopeRule(requirement).description).toBe(description);
  });

  it('lists allOf then anyOf, once each, for the challenge', () => {
    expect(scopeRule({ allOf: ['a', 'b'], anyOf: ['b', 'c'] }).scopes).toEqual(['a', 'b', 'c']);
  });

  it("suggests requireScope('read', 'write') for requireScope('read write')", () => {
    const error = configError(() => scopeRuleFromArguments(['read write'], 'allOf', 'requireScope'));
    expect(error.option).toBe('allOf');
    expect(error.message).toContain(`"read write" is not a valid scope name`);
    expect(error.message).toContain(
      "to require several scopes, pass each one separately: requireScope('read', 'write')",
    );
  });

  it("suggests requireAnyScope('read', 'write') for requireAnyScope('read write')", () => {
    const error = configError(() => scopeRuleFromArguments(['read  write'], 'anyOf', 'requireAnyScope'));
    expect(error.message).toContain(
      "to accept any of several scopes, pass each one separately: requireAnyScope('read', 'write')",
    );
  });

  it("suggests allOf: ['read', 'write'] in the options form", () => {
    const error = configError(() =>
      scopeRuleFromArguments([{ allOf: ['read write'] }], 'allOf', 'requireScope'),
    );
    expect(error.message).toContain("pass each one separately: allOf: ['read', 'write']");
  });

  it('suggests spreading a list passed as one argument', () => {
    const error = configError(() => scopeRuleFromArguments([['a', 'b']], 'allOf', 'requireScope'));
    expect(error.message).toContain("pass the scopes as separate arguments: requireScope('a', 'b')");
  });

  it('suggests nothing it cannot be sure of', () => {
    const error = configError(() => scopeRuleFromArguments(['a"b'], 'allOf', 'requireScope'));
    expect(error.message).not.toContain('separately');
  });

  it('refuses an empty requirement', () => {
    expect(configError(() => scopeRuleFromArguments([], 'allOf', 'requireScope')).message).toBe(
      'scopes: requireScope() needs at least one scope',
    );
    expect(configError(() => scopeRuleFromArguments([{}], 'allOf', 'requireScope')).message).toBe(
      'scopes: requireScope({ ... }) needs allOf and/or anyOf',
    );
    expect(configError(() => scopeRule({ allOf: [] })).option).toBe('allOf');
  });
});

describe('scopeFailure', () => {
  it('passes a token that satisfies the rule', () => {
    expect(scopeFailure(auth(['a', 'y']), scopeRule({ allOf: ['a'], anyOf: ['x', 'y'] }))).toBeUndefined();
  });

  it('refuses with 403 insufficient_scope, the rule description and its scopes', () => {
    const failure = scopeFailure(auth(['z']), scopeRule({ anyOf: ['a', 'b'] }));
    expect(failure).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      description: 'This resource requires one of these scopes: a, b',
      requiredScopes: ['a', 'b'],
    });
    expect(String((failure?.cause as Error | undefined)?.message)).toContain('token has');
  });

  it('gives the full message (with the token scopes) only with exposeErrorDetails', () => {
    const failure = scopeFailure(auth(['z']), scopeRule({ allOf: ['a'] }), { exposeErrorDetails: true });
    expect(failure?.description).toBe("scope must include all of 'a' (missing 'a'); token has 'z'");
  });
});
