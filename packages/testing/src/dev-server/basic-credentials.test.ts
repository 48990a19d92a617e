import { describe, expect, it } from 'vitest';
import { parseBasicCredentials } from './basic-credentials.js';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('parseBasicCredentials', () => {
  it('reads client id and secret', () => {
    expect(parseBasicCredentials(basic('client:secret'))).toEqual({
      clientId: 'client',
      clientSecret: 'secret',
    });
  });

  it('form-decodes both parts, as RFC 6749 §2.3.1 requires', () => {
    expect(parseBasicCredentials(basic('my%3Aclient:p%40ss+word%2B%25'))).toEqual({
      clientId: 'my:client',
      clientSecret: 'p@ss word+%',
    });
  });

  it('splits at the first colon only', () => {
    expect(parseBasicCredentials(basic('client:a:b'))).toEqual({ clientId: 'client', clientSecret: 'a:b' });
  });

  it('accepts any case of the scheme name', () => {
    expect(parseBasicCredentials(`bAsIc ${Buffer.from('c:s').toString('base64')}`)).not.toBeNull();
  });

  it.each([
    ['another scheme', 'Bearer abc'],
    ['no colon', basic('client')],
    ['an empty client id', basic(':secret')],
    ['invalid percent-encoding', basic('client:%E0%A4%A')],
    ['no credentials', 'Basic '],
    ['not base64', 'Basic !!!'],
  ])('rejects %s', (_, header) => {
    expect(parseBasicCredentials(header)).toBeNull();
  });
});
