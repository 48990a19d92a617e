import { describe, expect, it } from 'vitest';
import { readApiConfig, readOktaClientConfig } from './config.js';

const ISSUER = 'https://example.okta.com/oauth2/default';

describe('readApiConfig', () => {
  it('reads the verifier options and applies the defaults', () => {
    const config = readApiConfig({ SCOPEGUARD_ISSUER: ISSUER, SCOPEGUARD_AUDIENCE: 'api://default' });
    expect(config).toEqual({
      verifier: { issuer: ISSUER, audience: ['api://default'] },
      readScope: 'customScope',
      writeScope: 'messages:write',
      port: 3000,
      host: '127.0.0.1',
    });
  });

  it('reads optional settings', () => {
    const config = readApiConfig({
      SCOPEGUARD_ISSUER: ISSUER,
      SCOPEGUARD_AUDIENCE: 'api://a, api://b',
      SCOPEGUARD_CLIENT_IDS: '0oa1,0oa2',
      DEMO_READ_SCOPE: 'orders:read',
      DEMO_WRITE_SCOPE: 'orders:write',
      PORT: '0',
      HOST: '::1',
    });
    expect(config.verifier).toEqual({
      issuer: ISSUER,
      audience: ['api://a', 'api://b'],
      clientIds: ['0oa1', '0oa2'],
    });
    expect(config).toMatchObject({
      readScope: 'orders:read',
      writeScope: 'orders:write',
      port: 0,
      host: '::1',
    });
  });

  it('names the missing or invalid variable', () => {
    expect(() => readApiConfig({ SCOPEGUARD_AUDIENCE: 'api://default' })).toThrow(/SCOPEGUARD_ISSUER/);
    expect(() => readApiConfig({ SCOPEGUARD_ISSUER: ISSUER })).toThrow(/SCOPEGUARD_AUDIENCE/);
    const base = { SCOPEGUARD_ISSUER: ISSUER, SCOPEGUARD_AUDIENCE: 'api://default' };
    expect(() => readApiConfig({ ...base, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => readApiConfig({ ...base, DEMO_READ_SCOPE: 'bad"scope' })).toThrow(/DEMO_READ_SCOPE/);
  });
});

describe('readOktaClientConfig', () => {
  it('reads the client and applies the defaults', () => {
    expect(readOktaClientConfig({ OKTA_CLIENT_ID: '0oa1', OKTA_CLIENT_SECRET: 's3cret' })).toEqual({
      clientId: '0oa1',
      clientSecret: 's3cret',
      scope: 'customScope',
      authMethod: 'client_secret_basic',
    });
    expect(
      readOktaClientConfig({
        OKTA_CLIENT_ID: '0oa1',
        OKTA_CLIENT_SECRET: 's3cret',
        OKTA_SCOPE: 'customScope messages:write',
        OKTA_TOKEN_AUTH_METHOD: 'client_secret_post',
      }),
    ).toMatchObject({ scope: 'customScope messages:write', authMethod: 'client_secret_post' });
  });

  it('names the missing variable and never echoes the secret', () => {
    expect(() => readOktaClientConfig({ OKTA_CLIENT_SECRET: 's3cret' })).toThrow(/OKTA_CLIENT_ID/);
    expect(() => readOktaClientConfig({ OKTA_CLIENT_ID: '0oa1', OKTA_CLIENT_SECRET: '  ' })).toThrow(
      /OKTA_CLIENT_SECRET/,
    );
    let message = '';
    try {
      readOktaClientConfig({
        OKTA_CLIENT_ID: '0oa1',
        OKTA_CLIENT_SECRET: 's3cret',
        OKTA_TOKEN_AUTH_METHOD: 'x',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/OKTA_TOKEN_AUTH_METHOD/);
    expect(message).not.toContain('s3cret');
  });
});
