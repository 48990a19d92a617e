import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAuthParams, isToken68, parseAuthorization, schemeIs } from './authorization.js';

describe('parseAuthorization', () => {
  it.each([
    ['Bearer abc', 'Bearer', 'abc'],
    ['  Bearer \t abc  ', 'Bearer', 'abc'],
    ['Basic', 'Basic', ''],
    ['Basic   ', 'Basic', ''],
    ['Digest a=b, c="d e"', 'Digest', 'a=b, c="d e"'],
    ["x!#$%&'*+-.^_`|~9 v", "x!#$%&'*+-.^_`|~9", 'v'],
  ])('splits %j into scheme and rest', (header, scheme, value) => {
    expect(parseAuthorization(header)).toEqual({ kind: 'credentials', scheme, value });
  });

  it.each([[''], ['   '], ['\t \t']])('sees %j as empty', (header) => {
    expect(parseAuthorization(header)).toEqual({ kind: 'empty' });
  });

  it.each([['=abc'], ['{"token": 1}'], ['Bearer=abc'], ['Bearer,abc'], ['"Bearer" abc'], ['Bé abc']])(
    'refuses %j as not scheme [credentials]',
    (header) => {
      expect(parseAuthorization(header)).toEqual({ kind: 'malformed' });
    },
  );
});

describe('isToken68 (= RFC 6750 b64token)', () => {
  it.each([['abc'], ['a-._~+/b'], ['abc=='], ['A0=']])('accepts %j', (value) => {
    expect(isToken68(value)).toBe(true);
  });

  it.each([[''], ['='], ['ab=c'], ['a b'], ['a$'], ['"abc"'], ['a\u0100']])('refuses %j', (value) => {
    expect(isToken68(value)).toBe(false);
  });
});

describe('isAuthParams', () => {
  it.each([
    ['a=b'],
    ['a = b'],
    ['a=b,c=d'],
    ['a=b ,  c="d, e"'],
    ['realm="x\\"y"'],
    ['a="\u00e9"'],
    ['a=""'],
  ])('accepts %j', (value) => {
    expect(isAuthParams(value)).toBe(true);
  });

  it.each([
    ['a'],
    ['a='],
    ['=b'],
    ['a=b,'],
    ['a=b,,c=d'],
    ['a="unterminated'],
    ['a="bad\\'],
    ['a=b c=d'],
    ['a="x"y'],
    ['a="\u0001"'],
  ])('refuses %j', (value) => {
    expect(isAuthParams(value)).toBe(false);
  });
});

describe('schemeIs', () => {
  it('compares auth schemes without regard to ASCII case', () => {
    expect(schemeIs('BeArEr', 'bearer')).toBe(true);
    expect(schemeIs('Bearer', 'bearers')).toBe(false);
    expect(schemeIs('Dpop', 'bearer')).toBe(false);
  });
});

describe('agrees with the grammar as regular expressions state it (which must never touch a header)', () => {
  // The same grammar as the regular expressions the adapter used before (issue 11, F3). They are
  // fine on these short inputs and serve as the oracle; the scanner must agree on every string.
  const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
  const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
  const PARAM = `${TOKEN}[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED})`;
  const oracle = {
    token68: /^[A-Za-z0-9\-._~+/]+=*$/,
    params: new RegExp(`^${PARAM}(?:[ \\t]*,[ \\t]*${PARAM})*$`),
  };
  const alphabet = fc.constantFrom(...'aZ09-._~+/=,;" \t\\\u00e9\u0001!'.split(''));
  const text = fc.array(alphabet, { maxLength: 24 }).map((chars) => chars.join(''));

  it('isToken68', () => {
    fc.assert(fc.property(text, (value) => isToken68(value) === oracle.token68.test(value)));
  });

  it('isAuthParams (on trimmed text, as the parser hands it over)', () => {
    fc.assert(
      fc.property(
        text.map((value) => value.trim()),
        (value) => isAuthParams(value) === oracle.params.test(value),
      ),
      { numRuns: 2000 },
    );
  });
});
