import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { DEFAULT_MAX_ISSUERS, DEFAULTS, resolveMultiOptions, resolveOptions } from './options.js';

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

describe('resource (RFC 8707 / RFC 9728): names this API', () => {
  const issuer = base.issuer;

  it('is the audience when no audience is given', () => {
    const o = resolveOptions({ issuer, resource: 'https://api.example.com/orders' });
    expect(o.resource).toBe('https://api.example.com/orders');
    expect(o.claims.audiences).toEqual(['https://api.example.com/orders']);
  });

  it('leaves the audience alone when one is given (the resource is then not an accepted audience)', () => {
    const o = resolveOptions({ issuer, audience: 'api://default', resource: 'https://api.example.com/' });
    expect(o.claims.audiences).toEqual(['api://default']);
    expect(o.resource).toBe('https://api.example.com/');
  });

  it.each([
    'https://api.example.com',
    'https://api.example.com/',
    'https://api.example.com/v1/orders',
    'https://api.example.com/v1?tenant=1',
    'http://localhost:3000',
    'http://127.0.0.1:3000/api',
  ])('keeps a canonical resource exactly as written (%s): it is compared exactly with aud', (resource) => {
    expect(resolveOptions({ issuer, resource }).resource).toBe(resource);
  });

  it.each([
    ['http://api.example.com/', /https:/],
    ['https://api.example.com/#frag', /fragment/],
    ['https://api.example.com/#', /fragment/],
    ['api://default', /https: URL/],
    ['urn:example:api', /https: URL/],
    ['HTTPS://API.example.com/', /configure "https:\/\/api.example.com\/"/],
    ['https://api.example.com:443/', /configure "https:\/\/api.example.com\/"/],
    ['not a url', /absolute URL/],
  ])('refuses resource %j at construction, naming the option', (resource, message) => {
    const error = configError({ issuer, resource });
    expect(error.option).toBe('resource');
    expect(error.message).toMatch(message);
  });
});

describe('resolveMultiOptions: several issuers, validated at construction', () => {
  const a = 'https://a.example.com/oauth2/default';
  const b = 'https://b.example.com/oauth2/default';

  function multiError(options: unknown): ConfigError {
    try {
      resolveMultiOptions(options as Parameters<typeof resolveMultiOptions>[0]);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected a ConfigError');
  }

  it('lets each issuer override the top-level settings, and merges jwks member by member', () => {
    const m = resolveMultiOptions({
      issuers: [
        { issuer: a },
        {
          issuer: b,
          audience: 'api://b',
          algorithms: ['ES256'],
          clientIds: ['svc'],
          typ: 'strict',
          clockTolerance: 0,
          maxTokenAge: 60,
          requiredClaims: { ver: 1 },
          jwks: { maxAge: 1000 },
          jwksUri: 'https://b.example.com/keys',
        },
      ],
      audience: 'api://default',
      algorithms: ['RS256', 'PS256'],
      requiredClaims: { tenant: 'x' },
      jwks: { cooldown: 1 },
    });
    const [first, second] = m.issuers ?? [];
    expect(first?.claims).toMatchObject({
      issuer: a,
      audiences: ['api://default'],
      clientIds: undefined,
      typ: 'any',
      clockTolerance: 5,
      requiredClaims: [['tenant', 'x']],
    });
    expect(first?.algorithms).toEqual(['RS256', 'PS256']);
    expect(first?.jwks).toEqual({ ...DEFAULTS.jwks, cooldown: 1 });
    expect(second?.claims).toMatchObject({
      issuer: b,
      audiences: ['api://b'],
      clientIds: ['svc'],
      typ: 'strict',
      clockTolerance: 0,
      maxTokenAge: 60,
      requiredClaims: [['ver', 1]],
    });
    expect(second?.algorithms).toEqual(['ES256']);
    expect(second?.jwks).toEqual({ ...DEFAULTS.jwks, cooldown: 1, maxAge: 1000 });
    expect(second?.jwksUri).toBe('https://b.example.com/keys');
  });

  it('uses resource as every issuer’s default audience when no audience is given', () => {
    const m = resolveMultiOptions({ issuers: [{ issuer: a }], resource: 'https://api.example.com/' });
    expect(m.issuers?.[0]?.claims.audiences).toEqual(['https://api.example.com/']);
    expect(m.shared.resource).toBe('https://api.example.com/');
  });

  it.each([
    ['issuers', { issuer: a, issuers: [{ issuer: b }], audience: 'x' }, /either issuer .* or issuers/],
    ['issuers', { issuers: [], audience: 'x' }, /non-empty array/],
    ['issuers', { issuers: 'https://a.example.com', audience: 'x' }, /non-empty array/],
    ['jwksUri', { issuers: [{ issuer: a }], audience: 'x', jwksUri: 'https://k' }, /per issuer/],
    ['issuers[1].issuer', { issuers: [{ issuer: a }, { issuer: a }], audience: 'x' }, /already issuers\[0\]/],
    ['issuers[1].audience', { issuers: [{ issuer: a, audience: 'x' }, { issuer: b }] }, /no audience/],
    [
      'issuers[1].jwksUri',
      { issuers: [{ issuer: a }, { issuer: b, jwksUri: 'http://b.example.com/k' }], audience: 'x' },
      /https:/,
    ],
    ['issuers[0].issuer', { issuers: [{ issuer: 'http://a.example.com' }], audience: 'x' }, /https:/],
    ['issuers[0].issuer', { issuers: [{ issuer: 'HTTPS://a.example.com/x' }], audience: 'x' }, /canonical/],
    ['issuers[0].issuer', { issuers: [{}], audience: 'x' }, /URL string/],
    ['issuers[0]', { issuers: ['https://a.example.com'], audience: 'x' }, /must be an object/],
    ['issuers[0].algorithms', { issuers: [{ issuer: a, algorithms: ['HS256'] }], audience: 'x' }, /never/],
    ['issuers[0].typ', { issuers: [{ issuer: a, typ: 'lax' }], audience: 'x' }, /"any" or "strict"/],
    [
      'issuers[0].jwks.cooldown',
      { issuers: [{ issuer: a, jwks: { cooldown: -1 } }], audience: 'x' },
      /non-negative/,
    ],
    [
      'issuers[0].requiredClaims.tid',
      { issuers: [{ issuer: a, requiredClaims: { tid: null } }], audience: 'x' },
      /predicate/,
    ],
    ['issuers[0].fetch', { issuers: [{ issuer: a, fetch: () => {} }], audience: 'x' }, /verifier-wide/],
    ['issuers[0].cache', { issuers: [{ issuer: a, cache: false }], audience: 'x' }, /verifier-wide/],
    [
      'issuers[0].jwksURI',
      { issuers: [{ issuer: a, jwksURI: 'https://k' }], audience: 'x' },
      /not a per-issuer setting/,
    ],
    [
      'maxIssuers',
      { issuers: [{ issuer: a }], audience: 'x', maxIssuers: 5 },
      /only when issuers is a function/,
    ],
    ['maxIssuers', { issuers: () => undefined, audience: 'x', maxIssuers: 0 }, /positive/],
    ['maxIssuers', { issuers: () => undefined, audience: 'x', maxIssuers: 1.5 }, /whole number/],
    ['resolver.timeout', { issuers: () => undefined, audience: 'x', resolver: { timeout: 0 } }, /positive/],
    ['resolver', { issuers: () => undefined, audience: 'x', resolver: 5 }, /object/],
  ])('refuses %s: %j', (option, options, message) => {
    const error = multiError(options);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('refuses the multi-issuer options in the single-issuer form', () => {
    expect(configError({ ...base, maxIssuers: 3 }).option).toBe('maxIssuers');
    expect(configError({ ...base, issuers: [{ issuer: a }] }).option).toBe('issuers');
  });

  it('fills the documented defaults of an issuers function', () => {
    const m = resolveMultiOptions({ issuers: () => undefined });
    expect(m.maxIssuers).toBe(DEFAULT_MAX_ISSUERS);
    expect(m.resolver).toEqual({ maxAge: 600_000, refusedMaxAge: 60_000, maxRefused: 1_000, timeout: 5_000 });
    expect(m.defaults.audiences).toBeUndefined();
  });
});
