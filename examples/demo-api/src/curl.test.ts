import { describe, expect, it } from 'vitest';
import { apiRequestCurl, shellQuote, tokenRequestCurl } from './curl.js';
import { redact, redactAll } from './redact.js';

const SECRET = 'dev-only-reader-secret-not-for-production';
const TOKEN_ENDPOINT = 'https://example.okta.com/oauth2/default/v1/token';

describe('redact', () => {
  it('keeps at most 8 characters, and at most a quarter of short values', () => {
    expect(redact('eyJraWQiOiJhYmMifQ.eyJzdWIiOiIxIn0.c2ln')).toBe('eyJraWQi…');
    expect(redact('short-secret')).toBe('sho…');
    expect(redact('abc')).toBe('…');
  });

  it('redactAll replaces every occurrence of every secret', () => {
    const text = `a ${SECRET} b ${SECRET} c tok-1234567890abcdef`;
    const result = redactAll(text, [SECRET, 'tok-1234567890abcdef', undefined, '']);
    expect(result).not.toContain(SECRET);
    expect(result).not.toContain('tok-1234567890abcdef');
    expect(result).toBe('a dev-only… b dev-only… c tok-1…');
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('https://example.com/a')).toBe('https://example.com/a');
    expect(shellQuote('accept: application/json')).toBe(`'accept: application/json'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
  });
});

describe('tokenRequestCurl', () => {
  it('prints client_secret_basic like Okta guides, without any byte of the secret', () => {
    const line = tokenRequestCurl(
      TOKEN_ENDPOINT,
      { method: 'client_secret_basic', clientId: '0oa1b2c3d4e5f6g7h8i9', clientSecret: SECRET },
      'customScope',
    );
    expect(line).toBe(
      [
        'curl --request POST',
        `  --url ${TOKEN_ENDPOINT}`,
        `  --header 'accept: application/json'`,
        `  --header 'authorization: Basic MG9hMWIy…'`,
        `  --header 'content-type: application/x-www-form-urlencoded'`,
        `  --data 'grant_type=client_credentials&scope=customScope'`,
      ].join(' \\\n'),
    );
    const full = Buffer.from(`0oa1b2c3d4e5f6g7h8i9:${SECRET}`).toString('base64');
    expect(line).not.toContain(full);
  });

  it('shows no secret bit in Basic credentials even for a very short client id', () => {
    const line = tokenRequestCurl(TOKEN_ENDPOINT, {
      method: 'client_secret_basic',
      clientId: 'ab',
      clientSecret: SECRET,
    });
    expect(line).toContain(`'authorization: Basic …'`);
  });

  it('prints client_secret_post with the secret redacted and the scope form-encoded', () => {
    const line = tokenRequestCurl(
      TOKEN_ENDPOINT,
      { method: 'client_secret_post', clientId: 'demo', clientSecret: SECRET },
      'customScope messages:write',
    );
    expect(line).toContain(
      `--data 'grant_type=client_credentials&scope=customScope+messages%3Awrite&client_id=demo&client_secret=dev-only…'`,
    );
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain('authorization');
  });

  it('prints private_key_jwt with a placeholder or a redacted assertion', () => {
    const placeholder = tokenRequestCurl(TOKEN_ENDPOINT, { method: 'private_key_jwt', clientId: 'jwt' });
    expect(placeholder).toContain(
      'client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer',
    );
    expect(placeholder).toContain('client_assertion=<signed JWT>');
    const assertion = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqd3QifQ.c2lnbmF0dXJl';
    const line = tokenRequestCurl(TOKEN_ENDPOINT, {
      method: 'private_key_jwt',
      clientId: 'jwt',
      clientAssertion: assertion,
    });
    expect(line).toContain('client_assertion=eyJhbGci…');
    expect(line).not.toContain(assertion);
  });
});

describe('apiRequestCurl', () => {
  it('prints the bearer token redacted', () => {
    const token = 'eyJraWQiOiJhYmMifQ.eyJzdWIiOiIxIn0.c2ln';
    const line = apiRequestCurl({ method: 'GET', url: 'http://127.0.0.1:3000/api/messages', token });
    expect(line).toBe(
      [
        'curl --request GET',
        '  --url http://127.0.0.1:3000/api/messages',
        `  --header 'accept: application/json'`,
        `  --header 'authorization: Bearer eyJraWQi…'`,
      ].join(' \\\n'),
    );
    expect(line).not.toContain(token);
  });

  it('adds a JSON body, quoted for the shell', () => {
    const line = apiRequestCurl({ method: 'POST', url: 'http://h/api/messages', body: { text: "it's" } });
    expect(line).toContain(`--header 'content-type: application/json'`);
    expect(line).toContain(`--data '{"text":"it'\\''s"}'`);
  });
});
