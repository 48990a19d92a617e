import { describe, expect, it } from 'vitest';
import { buildAccessToken, DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID } from './access-token.js';

const context = {
  issuer: 'https://example.okta.com/oauth2/default',
  audience: DEFAULT_AUDIENCE,
  alg: 'RS256',
  kid: 'k1',
};

describe('buildAccessToken', () => {
  it('shapes a client-credentials token like Okta: ver, jti, iss, aud, iat, exp, cid, sub = cid, scp', () => {
    const { header, payload } = buildAccessToken(context, {}, { issuedAt: 1_700_000_000 });
    expect(header).toEqual({ alg: 'RS256', kid: 'k1' });
    expect(payload).toEqual({
      ver: 1,
      jti: expect.stringMatching(/^AT\.[\w-]+$/),
      iss: context.issuer,
      aud: 'api://default',
      iat: 1_700_000_000,
      exp: 1_700_003_600,
      cid: DEFAULT_CLIENT_ID,
      sub: DEFAULT_CLIENT_ID,
      scp: ['api:read'],
    });
  });

  it('gives every token a different jti', () => {
    expect(buildAccessToken(context).payload['jti']).not.toBe(buildAccessToken(context).payload['jti']);
  });

  it('issues at the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const { payload } = buildAccessToken(context);
    expect(payload['iat']).toBeGreaterThanOrEqual(before);
    expect(payload['iat']).toBeLessThanOrEqual(before + 1);
  });

  it('lets every claim be overridden and removes claims given as undefined', () => {
    const { payload } = buildAccessToken(context, {
      aud: ['api://orders', 'api://billing'],
      scp: ['orders:write'],
      uid: '00u1',
      ver: undefined,
      jti: undefined,
      custom: { nested: true },
    });
    expect(payload['aud']).toEqual(['api://orders', 'api://billing']);
    expect(payload['scp']).toEqual(['orders:write']);
    expect(payload['uid']).toBe('00u1');
    expect(payload['custom']).toEqual({ nested: true });
    expect(payload).not.toHaveProperty('ver');
    expect(payload).not.toHaveProperty('jti');
  });

  it('uses an overridden cid as the subject too', () => {
    const { payload } = buildAccessToken(context, { cid: '0oaOther' });
    expect(payload).toMatchObject({ cid: '0oaOther', sub: '0oaOther' });
  });

  it('mints an expired token when expiresIn is negative', () => {
    const { payload } = buildAccessToken(context, {}, { issuedAt: 1000, expiresIn: -60 });
    expect(payload['exp']).toBe(940);
  });

  it('lets an explicit exp claim win over expiresIn', () => {
    const { payload } = buildAccessToken(context, { exp: 5 }, { expiresIn: 100 });
    expect(payload['exp']).toBe(5);
  });

  it('computes exp from an overridden iat', () => {
    const { payload } = buildAccessToken(context, { iat: 2000 });
    expect(payload['exp']).toBe(5600);
  });

  it('sets nbf relative to iat when notBefore is given, and omits it otherwise', () => {
    expect(buildAccessToken(context, {}, { issuedAt: 1000, notBefore: 300 }).payload['nbf']).toBe(1300);
    expect(buildAccessToken(context).payload).not.toHaveProperty('nbf');
  });

  it('writes scopes as scp for Okta', () => {
    expect(buildAccessToken(context, {}, { scopes: ['a', 'b'] }).payload['scp']).toEqual(['a', 'b']);
  });

  it('shapes an RFC 9068 token with client_id, a scope string and typ at+jwt', () => {
    const { header, payload } = buildAccessToken(
      context,
      { client_id: 'svc' },
      { profile: 'rfc9068', scopes: ['a', 'b'], issuedAt: 10 },
    );
    expect(header).toEqual({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' });
    expect(payload).toEqual({
      iss: context.issuer,
      sub: 'svc',
      aud: DEFAULT_AUDIENCE,
      exp: 3610,
      iat: 10,
      jti: expect.any(String),
      client_id: 'svc',
      scope: 'a b',
    });
  });

  it('sends no typ by default, like Okta, and sets it on request', () => {
    expect(buildAccessToken(context).header).not.toHaveProperty('typ');
    expect(buildAccessToken(context, {}, { typ: 'at+jwt' }).header['typ']).toBe('at+jwt');
  });

  it('applies header overrides last and removes header members given as undefined', () => {
    const { header } = buildAccessToken(
      context,
      {},
      { typ: 'JWT', header: { kid: undefined, typ: 'at+JWT', x5t: 'abc' } },
    );
    expect(header).toEqual({ alg: 'RS256', typ: 'at+JWT', x5t: 'abc' });
  });

  it('uses the issuer-wide lifetime when no expiresIn is given', () => {
    expect(buildAccessToken({ ...context, lifetime: 60 }, {}, { issuedAt: 0 }).payload['exp']).toBe(60);
  });
});
