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

describe('agrees with a character-by-character reading of the grammar', () => {
  // An independent oracle: the grammar read one character at a time, as a hand-written scanner would.
  const tchar = (c: string) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]$/.test(c);
  const b64 = (c: string) => /^[A-Za-z0-9\-._~+/]$/.test(c);
  const ws = (c: string | undefined) => c === ' ' || c === '\t';
  const qdtext = (c: string) => {
    const code = c.charCodeAt(0);
    return (
      code === 9 ||
      code === 0x20 ||
      code === 0x21 ||
      (code >= 0x23 && code <= 0x5b) ||
      (code >= 0x5d && code <= 0x7e) ||
      (code >= 0x80 && code <= 0xff)
    );
  };
  const pairable = (c: string) => {
    const code = c.charCodeAt(0);
    return code === 9 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
  };
  function token68(value: string): boolean {
    let i = 0;
    while (i < value.length && b64(value[i] as string)) i++;
    if (i === 0) return false;
    while (i < value.length && value[i] === '=') i++;
    return i === value.length;
  }
  function authParams(value: string): boolean {
    let i = 0;
    const n = value.length;
    for (;;) {
      const nameStart = i;
      while (i < n && tchar(value[i] as string)) i++;
      if (i === nameStart) return false;
      while (ws(value[i])) i++;
      if (value[i] !== '=') return false;
      i++;
      while (ws(value[i])) i++;
      if (i >= n) return false;
      if (value[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) return false;
          const c = value[i] as string;
          if (c === '"') break;
          if (c === '\\') {
            if (i + 1 >= n || !pairable(value[i + 1] as string)) return false;
            i += 2;
          } else if (qdtext(c)) i++;
          else return false;
        }
        i++;
      } else {
        const valueStart = i;
        while (i < n && tchar(value[i] as string)) i++;
        if (i === valueStart) return false;
      }
      while (ws(value[i])) i++;
      if (i === n) return true;
      if (value[i] !== ',') return false;
      i++;
      while (ws(value[i])) i++;
    }
  }
  const alphabet = fc.constantFrom(...'aZ09-._~+/=,;" \t\\\u00e9\u0001!'.split(''));
  const text = fc.array(alphabet, { maxLength: 24 }).map((chars) => chars.join(''));

  it('isToken68', () => {
    fc.assert(
      fc.property(text, (value) => isToken68(value) === token68(value)),
      { numRuns: 2000 },
    );
  });

  it('isAuthParams (on trimmed text, as the parser hands it over)', () => {
    fc.assert(
      fc.property(
        text.map((value) => value.trim()),
        (value) => isAuthParams(value) === authParams(value),
      ),
      { numRuns: 3000 },
    );
  });
});
