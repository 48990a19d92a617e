import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isSecureOrLoopback, redirectRefusal } from './loopback.js';

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['[::1]', true],
    ['127.0.0.256', false],
    ['128.0.0.1', false],
    ['localhost.example', false],
    ['::ffff:127.0.0.1', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('isSecureOrLoopback', () => {
  it.each([
    ['https://issuer.example/keys', true],
    ['http://127.0.0.1:8080/keys', true],
    ['http://[::1]/keys', true],
    ['http://localhost/keys', true],
    ['http://issuer.example/keys', false],
    ['http://127.0.0.1.evil.com/keys', false],
    ['http://localhost.evil.com/keys', false],
    ['http://[::2]/keys', false],
    ['http://10.0.0.1/keys', false],
    ['ftp://127.0.0.1/keys', false],
  ])('%s → %s (plain http is trusted on loopback only)', (url, expected) => {
    expect(isSecureOrLoopback(new URL(url))).toBe(expected);
  });
});

describe('redirectRefusal', () => {
  it.each([
    ['https://a.example/k', 'https://b.example/k', undefined],
    ['http://127.0.0.1/k', 'http://localhost:8080/k', undefined],
    ['http://127.0.0.1/k', 'https://[::1]/k', undefined],
    ['https://a.example/k', 'http://a.example/k', 'drop TLS'],
    ['https://a.example/k', 'http://127.0.0.1/k', 'drop TLS'],
    ['http://127.0.0.1/k', 'http://0.0.0.0/k', 'loopback'],
    ['http://localhost/k', 'https://evil.example/k', 'loopback'],
    ['https://localhost/k', 'https://evil.example/k', 'loopback'],
    ['https://a.example/k', 'ftp://a.example/k', 'not http: or https:'],
  ])('%s → %s: %s', (from, to, refusal) => {
    const why = redirectRefusal(new URL(from), new URL(to));
    if (refusal === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(refusal);
  });
});
