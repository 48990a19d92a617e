import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isSecureOrLoopback } from './loopback.js';

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
