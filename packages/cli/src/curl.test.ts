import { validateDevClients } from '@scopeguard/testing';
import { describe, expect, it } from 'vitest';
import { tokenCurl } from './curl.js';

const url = 'http://127.0.0.1:4000/oauth2/default/v1/token';
const [basic, post, jwt, odd] = validateDevClients([
  { client_id: 'reader', client_secret: 's3cret', scopes: ['a', 'b:c'] },
  { client_id: 'poster', client_secret: 'p w', token_endpoint_auth_method: 'client_secret_post', scopes: [] },
  { client_id: 'signer', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, scopes: ['a'] },
  { client_id: 'odd id', client_secret: 'x:y', scopes: ['a'] },
]);

describe('tokenCurl', () => {
  it('writes a client_secret_basic request with --user, scopes form-encoded', () => {
    expect(tokenCurl(url, basic!, 'print')).toBe(
      `curl --silent --request POST --url ${url} --user reader:s3cret --data 'grant_type=client_credentials&scope=a+b%3Ac'`,
    );
  });
  it('form-encodes id and secret before Basic when --user would not (RFC 6749 §2.3.1)', () => {
    const basicValue = Buffer.from('odd+id:x%3Ay').toString('base64');
    expect(tokenCurl(url, odd!, 'print')).toContain(`--header 'authorization: Basic ${basicValue}'`);
  });
  it('writes a client_secret_post request, secret URL-encoded by curl', () => {
    expect(tokenCurl(url, post!, 'print')).toBe(
      `curl --silent --request POST --url ${url} --data 'grant_type=client_credentials&client_id=poster' --data-urlencode 'client_secret=p w'`,
    );
  });
  it('puts a placeholder, never a secret, when asked, and for a private_key_jwt assertion', () => {
    expect(tokenCurl(url, basic!, 'placeholder')).toContain('--user reader:"$CLIENT_SECRET"');
    expect(tokenCurl(url, basic!, 'placeholder')).not.toContain('s3cret');
    expect(tokenCurl(url, post!, 'placeholder')).toContain('--data-urlencode client_secret="$CLIENT_SECRET"');
    expect(tokenCurl(url, jwt!, 'print')).toContain(
      '--data \'grant_type=client_credentials&scope=a&client_id=signer&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer\' --data "client_assertion=$CLIENT_ASSERTION"',
    );
  });
});
