import { describe, expect, it } from 'vitest';
import { normalizeHttpUri } from './htu.js';

describe('normalizeHttpUri (RFC 3986 §6.2.2, §6.2.3)', () => {
  it.each([
    ['https://api.example.com/messages', 'https://api.example.com/messages'],
    // §6.2.2.1: case of scheme and host; percent-encoding hex in upper case
    ['HTTPS://API.Example.COM/Messages', 'https://api.example.com/Messages'],
    ['https://api.example.com/a%2fb%c3%a9', 'https://api.example.com/a%2Fb%C3%A9'],
    // §6.2.2.2: percent-encoded unreserved characters decoded (host lower-cased after decoding)
    ['https://api.example.com/%7Euser/%41%2D%5F%2E', 'https://api.example.com/~user/A-_.'],
    ['https://%41PI.example.com/', 'https://api.example.com/'],
    // §6.2.2.3: dot segments
    ['https://api.example.com/a/b/c/./../../g', 'https://api.example.com/a/g'],
    ['https://api.example.com/a/%2E%2E/b', 'https://api.example.com/b'],
    ['https://api.example.com/..', 'https://api.example.com/'],
    ['https://api.example.com/a/.', 'https://api.example.com/a/'],
    // §6.2.3: empty path, default port, empty port
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com:443/x', 'https://api.example.com/x'],
    ['http://api.example.com:80/x', 'http://api.example.com/x'],
    ['https://api.example.com:/x', 'https://api.example.com/x'],
    ['https://api.example.com:8443/x', 'https://api.example.com:8443/x'],
    ['https://api.example.com:08443/x', 'https://api.example.com:8443/x'],
    ['http://api.example.com:443/x', 'http://api.example.com:443/x'],
    // RFC 9449 §4.3 (9): query and fragment ignored
    ['https://api.example.com/x?a=1&b=2#frag', 'https://api.example.com/x'],
    ['https://api.example.com?q', 'https://api.example.com/'],
    ['https://api.example.com#f', 'https://api.example.com/'],
    // IP literals
    ['http://[::1]:3000/a', 'http://[::1]:3000/a'],
    ['http://[FE80::1]/', 'http://[fe80::1]/'],
    ['http://127.0.0.1:80/', 'http://127.0.0.1/'],
    // sub-delims, ":" and "@" are allowed in a path; empty segments are kept
    ["https://h/a;b=c/d:e@f!$&'()*+,=//", "https://h/a;b=c/d:e@f!$&'()*+,=//"],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalizeHttpUri(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const uri of ['HTTPS://H:443/%7e/./a/../b%2f', 'http://[::1]:8080', 'https://h/a?b#c']) {
      const once = normalizeHttpUri(uri)!;
      expect(normalizeHttpUri(once)).toBe(once);
    }
  });

  it.each([
    ['another scheme', 'ftp://api.example.com/x'],
    ['a relative reference', '/x'],
    ['no authority', 'https:/x'],
    ['an empty host', 'https:///x'],
    ['userinfo (a host confusion vector)', 'https://api.example.com@evil.example/x'],
    ['empty userinfo', 'https://@api.example.com/x'],
    [
      'a backslash, which WHATWG URL reads as "/" (host confusion)',
      'https://evil.example\\@api.example.com/',
    ],
    ['a space', 'https://api.example.com/a b'],
    ['a non-ASCII character', 'https://api.example.com/é'],
    ['a lone percent sign', 'https://api.example.com/100%'],
    ['a bad percent-encoding', 'https://api.example.com/%zz'],
    ['a port over 65535', 'https://api.example.com:65536/'],
    ['a non-numeric port', 'https://api.example.com:https/'],
    ['an unclosed IP literal', 'http://[::1/'],
    ['a control character', 'https://api.example.com/\n'],
    ['a scheme with a bad character', 'ht_tp://api.example.com/'],
  ])('refuses %s', (_, input) => {
    expect(normalizeHttpUri(input)).toBeUndefined();
  });

  it('normalises a long hostile path (100,000 dot segments and escapes) without a regular expression', () => {
    const long = `https://h/${'./'.repeat(100_000)}${'%41'.repeat(100_000)}`;
    expect(normalizeHttpUri(long)).toBe(`https://h/${'A'.repeat(100_000)}`);
  });
});
