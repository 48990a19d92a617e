import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { DEFAULTS, resolveOptions } from './options.js';

const base = { issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' };

function configError(options: unknown): ConfigError {
  try {
    resolveOptions(options as Parameters<typeof resolveOptions>[0]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveOptions: configuration mistakes fail at construction', () => {
  it('fills documented defaults', () => {
    const o = resolveOptions(base);
    expect(o.algorithms).toEqual(['RS256']);
    expect(o.claims.clockTolerance).toBe(DEFAULTS.clockTolerance);
    expect(o.jwks).toEqual(DEFAULTS.jwks);
    expect(o.cacheMaxEntries).toBe(DEFAULTS.cache.maxEntries);
    expect(o.claims.audiences).toEqual(['api://default']);
  });

  it.each([
    'http://localhost:8080/oauth2/default',
    'http://127.0.0.1:9000',
    'http://127.8.9.10',
    'http://[::1]:3000/issuer',
  ])('allows plain http on a loopback issuer (%s)', (issuer) => {
    expect(resolveOptions({ ...base, issuer }).issuer).toBe(issuer);
  });

  it.each([
    'http://example.okta.com/oauth2/default',
    'http://10.0.0.1',
    'http://127.0.0.1.evil.example',
    'http://localhost.evil.example',
    'ftp://example.com',
    'not a url',
    '',
  ])('refuses a non-https, non-loopback issuer (%s)', (issuer) => {
    expect(configError({ ...base, issuer }).option).toBe('issuer');
  });

  it('refuses a missing audience, naming the option', () => {
    expect(configError({ issuer: base.issuer }).message).toMatch(/^audience: /);
    expect(configError({ ...base, audience: [] }).option).toBe('audience');
  });

  it.each(['none', 'None', 'NONE', 'HS256', 'hs512'])('can never enable %s', (alg) => {
    expect(configError({ ...base, algorithms: ['RS256', alg] }).message).toMatch(/can never be enabled/);
  });

  it('refuses unknown algorithms and an empty list', () => {
    expect(configError({ ...base, algorithms: ['RS1'] }).option).toBe('algorithms');
    expect(configError({ ...base, algorithms: [] }).option).toBe('algorithms');
  });

  it.each([
    ['HTTPS://example.okta.com/oauth2/default', 'https://example.okta.com/oauth2/default'],
    [' https://example.okta.com/oauth2/default', 'https://example.okta.com/oauth2/default'],
    ['https://example.okta.com/oauth2/default ', 'https://example.okta.com/oauth2/default'],
    ['https://example.okta.com/oauth2/de\nfault', 'https://example.okta.com/oauth2/default'],
    ['https://example.okta.com/oauth2/x/../default', 'https://example.okta.com/oauth2/default'],
    ['https://EXAMPLE.okta.com', 'https://example.okta.com'],
  ])('refuses issuer %j, which a URL parser reads as %j, and says to configure that', (issuer, canonical) => {
    const error = configError({ ...base, issuer });
    expect(error.option).toBe('issuer');
    expect(error.message).toContain(`configure ${JSON.stringify(canonical)}`);
  });

  it.each([
    'https://example.okta.com',
    'https://example.okta.com/',
    'https://example.okta.com/oauth2/default/',
  ])('keeps a canonical issuer exactly as written (%s): it is compared exactly with iss', (issuer) => {
    expect(resolveOptions({ ...base, issuer }).issuer).toBe(issuer);
  });

  it('refuses an issuer with a query or an empty fragment (RFC 8414 §2)', () => {
    expect(configError({ ...base, issuer: 'https://example.okta.com/x?tenant=1' }).message).toMatch(/query/);
    expect(configError({ ...base, issuer: 'https://example.okta.com/x?' }).message).toMatch(/query/);
    expect(configError({ ...base, issuer: 'https://example.okta.com/x#' }).message).toMatch(/fragment/);
  });

  it('stores jwksUri in canonical form, judged on the parsed URL', () => {
    expect(resolveOptions({ ...base, jwksUri: ' HTTPS://Keys.Example/a/../keys' }).jwksUri).toBe(
      'https://keys.example/keys',
    );
    expect(configError({ ...base, jwksUri: ' HTTP://keys.example/keys' }).option).toBe('jwksUri');
  });

  it('refuses a non-boolean warnings option', () => {
    expect(configError({ ...base, warnings: 'off' }).option).toBe('warnings');
    expect(resolveOptions(base).warnings).toBe(true);
  });

  it('refuses an http jwksUri off loopback', () => {
    expect(configError({ ...base, jwksUri: 'http://keys.example.com/keys' }).option).toBe('jwksUri');
  });

  it.each([
    ['clockTolerance', { clockTolerance: -1 }],
    ['jwks.cooldown', { jwks: { cooldown: Number.NaN } }],
    ['jwks.fetchTimeout', { jwks: { fetchTimeout: 0 } }],
    ['typ', { typ: 'lenient' }],
    ['requiredClaims.cid', { requiredClaims: { cid: null } }],
  ])('refuses a bad %s', (option, extra) => {
    expect(configError({ ...base, ...extra }).option).toBe(option);
  });

  it('disables the verified-token cache with cache: false', () => {
    expect(resolveOptions({ ...base, cache: false }).cacheMaxEntries).toBe(0);
  });
});
