import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCompact } from './compact.js';
import { TokenError } from './errors.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const sig = Buffer.from('signature-bytes').toString('base64url');
const token = (header: unknown = { alg: 'RS256', kid: 'k1' }, payload: unknown = { iss: 'x' }) =>
  `${b64(header)}.${b64(payload)}.${sig}`;

function refusal(input: unknown, maxLength = 16_384): TokenError {
  try {
    parseCompact(input, maxLength);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  }
  throw new Error('expected parseCompact to refuse the input');
}

describe('parseCompact: strict compact JWS parsing', () => {
  it('splits a well-formed token into header, payload, signing input and signature', () => {
    const t = token();
    const parsed = parseCompact(t, 16_384);
    expect(parsed.header).toEqual({ alg: 'RS256', kid: 'k1' });
    expect(parsed.payload).toEqual({ iss: 'x' });
    expect(parsed.signingInput.toString()).toBe(t.slice(0, t.lastIndexOf('.')));
    expect(parsed.signature.toString()).toBe('signature-bytes');
  });

  it('refuses an over-long token before decoding it (multi-megabyte tokens cost nothing)', () => {
    const huge = `${'a'.repeat(4 * 1024 * 1024)}.b.c`;
    const error = refusal(huge);
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/over the limit of 16384/);
    expect(error.message).not.toContain('aaaa');
  });

  it.each([
    ['two segments', 'aaa.bbb'],
    ['four segments', 'a.b.c.d'],
    ['no dot at all', 'abc'],
  ])('refuses %s', (_, input) => {
    expect(refusal(input).code).toBe('token_malformed');
  });

  it('refuses a JWE (five segments) and says so', () => {
    expect(refusal('a.b.c.d.e').message).toMatch(/JWE/);
  });

  it('refuses a JSON serialisation', () => {
    expect(refusal(JSON.stringify({ payload: 'x', signatures: [] })).code).toBe('token_malformed');
  });

  it.each([
    ['padding', (t: string) => `${t}==`],
    ['a trailing space', (t: string) => `${t} `],
    ['a leading newline', (t: string) => `\n${t}`],
    ['standard base64 "+" characters', (t: string) => t.replace(/-/g, '+').replace(/_/g, '/') + '+'],
    ['an empty signature', (t: string) => t.slice(0, t.lastIndexOf('.') + 1)],
    ['an empty header', (t: string) => t.slice(t.indexOf('.'))],
  ])('refuses %s', (_, mutate) => {
    expect(refusal(mutate(token())).code).toBe('token_malformed');
  });

  it.each([
    ['header', 0],
    ['payload', 1],
    ['signature', 2],
  ] as const)(
    'refuses a character outside base64url in the %s segment, and names that segment',
    (name, index) => {
      const t = token();
      parseCompact(t, 16_384); // the header is now one already seen: its segment text is remembered
      for (const junk of ['+', '/', '=', ' ', '\t', '%', '\u00e9']) {
        const segments = t.split('.');
        segments[index] = `${segments[index]?.slice(0, 4)}${junk}${segments[index]?.slice(4)}`;
        const error = refusal(segments.join('.'));
        expect(error.code).toBe('token_malformed');
        expect(error.message).toBe(`the ${name} segment is not base64url (unpadded, URL-safe alphabet)`);
      }
    },
  );

  it('refuses a remembered header followed by anything but two base64url segments', () => {
    const t = token();
    parseCompact(t, 16_384);
    const [h, p] = t.split('.');
    expect(refusal(`${h}.${p}`).message).toMatch(/found 2/);
    expect(refusal(`${h}.${p}.${sig}.${sig}`).message).toMatch(/found 4/);
    expect(refusal(`${h}..${sig}`).message).toMatch(/payload segment is empty/);
    expect(refusal(`${h}.${p}.${sig}\n`).message).toMatch(/signature segment is not base64url/);
  });

  it('refuses non-canonical base64url (a second spelling of the same bytes)', () => {
    // "QQ" decodes to "A"; "QR" decodes to "A" too, with non-zero trailing bits.
    const t = token();
    const [h, p] = t.split('.');
    expect(refusal(`${h}.${p}.QR`).message).toMatch(/canonical/);
    expect(parseCompact(`${h}.${p}.QQ`, 16_384).signature.toString()).toBe('A');
  });

  it.each([
    ['a JSON array header', ['RS256']],
    ['a JSON string header', 'RS256'],
    ['a null header', null],
    ['a header that is not JSON', '{alg: RS256}'],
  ])('refuses %s', (_, header) => {
    const raw = typeof header === 'string' ? Buffer.from(header).toString('base64url') : b64(header);
    expect(refusal(`${raw}.${b64({})}.${sig}`).code).toBe('token_malformed');
  });

  it('refuses a payload that is not a JSON object', () => {
    expect(refusal(`${b64({ alg: 'RS256' })}.${b64([1, 2])}.${sig}`).claim).toBe('payload');
  });

  it('refuses duplicate member names in the header (two parsers must never disagree on alg)', () => {
    const header = Buffer.from('{"alg":"RS256","kid":"k1","alg":"none"}').toString('base64url');
    expect(refusal(`${header}.${b64({})}.${sig}`).claim).toBe('header');
  });

  it('refuses duplicate member names in the payload (e.g. two aud)', () => {
    const payload = Buffer.from('{"aud":"api://default","aud":"api://other"}').toString('base64url');
    expect(refusal(`${b64({ alg: 'RS256' })}.${payload}.${sig}`).claim).toBe('payload');
  });

  it('accepts the same name nested at different depths (only top-level names must be distinct)', () => {
    const payload = { a: { x: 1 }, b: { x: 2 }, c: [{ x: 1 }, { x: 2 }], 'x,"y"': 'q' };
    expect(parseCompact(token(undefined, payload), 16_384).payload).toEqual(payload);
  });

  it.each([
    ['crit naming an unknown extension', { alg: 'RS256', crit: ['exp'], exp: 1 }, 'header.crit'],
    ['b64: false (RFC 7797 unencoded payload)', { alg: 'RS256', b64: false, crit: ['b64'] }, 'header.crit'],
    ['b64: false without crit', { alg: 'RS256', b64: false }, 'header.b64'],
    ['zip', { alg: 'RS256', zip: 'DEF' }, 'header.zip'],
    ['enc (a JWE header)', { alg: 'RSA-OAEP', enc: 'A256GCM' }, 'header.enc'],
    ['a missing alg', { kid: 'k1' }, 'header.alg'],
    ['a numeric alg', { alg: 256 }, 'header.alg'],
    ['a non-string kid', { alg: 'RS256', kid: 7 }, 'header.kid'],
    ['a non-string typ', { alg: 'RS256', typ: ['JWT'] }, 'header.typ'],
  ])('refuses %s', (_, header, claim) => {
    const error = refusal(token(header));
    expect(error.code).toBe('token_malformed');
    expect(error.claim).toBe(claim);
  });

  it('never follows jku, x5u, x5c or jwk: it only passes them through untrusted', () => {
    const header = {
      alg: 'RS256',
      jku: 'http://127.0.0.1:1/keys',
      x5u: 'http://127.0.0.1:1/x',
      jwk: { kty: 'RSA' },
    };
    expect(parseCompact(token(header), 16_384).header).toEqual(header);
  });

  it.each([[undefined], [null], [42], [{}], ['']])('refuses a non-string or empty token (%j)', (input) => {
    expect(refusal(input).code).toBe('token_malformed');
  });

  it('never puts the token in its messages', () => {
    const t = `${token()}==`;
    expect(refusal(t).message).not.toContain(t.split('.')[1]);
  });
});

describe('parseCompact: header and payload must be valid UTF-8', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))).toString(
      'base64url',
    );

  it.each([
    ['a lone continuation byte', [0x80]],
    ['0xFF', [0xff]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence at the end of a string', [0xe2, 0x82]],
  ])('refuses %s in the payload (it would silently read as U+FFFD)', (_name, invalid) => {
    const error = refusal(`${b64({ alg: 'RS256' })}.${bytes('{"sub":"', invalid, '"}')}.${sig}`);
    expect(error.code).toBe('token_malformed');
    expect(error.message).toBe('the payload is not valid UTF-8');
  });

  it('refuses invalid UTF-8 in the header', () => {
    const error = refusal(`${bytes('{"alg":"RS256","kid":"', [0xff], '"}')}.${b64({ iss: 'x' })}.${sig}`);
    expect(error.message).toBe('the header is not valid UTF-8');
  });

  it('accepts a genuine U+FFFD and other multi-byte characters', () => {
    const parsed = parseCompact(token({ alg: 'RS256' }, { sub: '\uFFFD é 😀' }), 16_384);
    expect(parsed.payload.sub).toBe('\uFFFD é 😀');
  });
});

describe('parseCompact: one spelling per token, whichever path parses it', () => {
  const STRICT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
  const canonical = (segment: string) => Buffer.from(segment, 'base64url').toString('base64url') === segment;
  // U+0141 and U+4141 end in the byte of "A": a decoder that read a character by its low byte would take
  // them for base64url.
  const CHARACTERS = 'Aa0_-+/=. \t\n%é\u00a0\u0141\u4141\uFF21\uFFFD';

  it('accepts an edited token only if it is three canonical base64url segments (header remembered or not)', () => {
    const t = token({ alg: 'RS256', kid: 'prop' }, { iss: 'x', sub: 'y', n: 12345 });
    parseCompact(t, 16_384); // remember the header, so the remembered-header path is taken too
    fc.assert(
      fc.property(
        fc.nat({ max: t.length }),
        fc.nat({ max: 3 }),
        fc.constantFrom(...CHARACTERS),
        (at, removed, character) => {
          const edited = `${t.slice(0, at)}${character}${t.slice(at + removed)}`;
          let accepted = true;
          try {
            parseCompact(edited, 16_384);
          } catch (error) {
            expect(error).toBeInstanceOf(TokenError);
            accepted = false;
          }
          if (accepted) {
            expect(edited).toMatch(STRICT);
            expect(edited.split('.').every(canonical)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("rests on Node's base64url decoder dropping every character but the two alphabets' (U+0000 to U+00FF)", () => {
    // The remembered-header path checks a segment by the number of bytes it decodes to: it holds only
    // while the decoder skips (or stops at) every other character. If a Node release changes that, this
    // fails before any malformed token could pass.
    const kept: string[] = [];
    for (let code = 0; code <= 0xff; code++) {
      const character = String.fromCharCode(code);
      if (Buffer.from(`AA${character}A`, 'base64url').length === 3) kept.push(character);
    }
    expect(kept.join('')).toBe('+-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz');
  });

  it('refuses, on the remembered-header path, characters above U+00FF whose low byte is base64url', () => {
    const t = token({ alg: 'RS256', kid: 'low-byte' }, { iss: 'x' });
    parseCompact(t, 16_384);
    const [h, p, s] = t.split('.') as [string, string, string];
    for (const wide of ['\u0141', '\u4141', '\u0130']) {
      expect(refusal(`${h}.${p.slice(0, 4)}${wide}${p.slice(5)}.${s}`).code).toBe('token_malformed');
      expect(refusal(`${h}.${p}.${s.slice(0, 4)}${wide}${s.slice(5)}`).code).toBe('token_malformed');
    }
  });

  it('gives the same verdict and message on the remembered-header path as on the first parse', () => {
    const [h = '', p = '', s = ''] = token({ alg: 'RS256', kid: 'second' }, { iss: 'x' }).split('.');
    const faults = [`${h}.${p}=.${s}`, `${h}.${p}.${s}=`, `${h}.${p.slice(0, -1)}R.${s}`, `${h}.${p}.${s} `];
    const first = faults.map((f) => refusal(f).message);
    parseCompact(`${h}.${p}.${s}`, 16_384);
    expect(faults.map((f) => refusal(f).message)).toEqual(first);
  });
});
