/**
 * Helpers for the attack suite: a trap server that must never be contacted, a fetch that records every
 * URL the verifier asks for, and a way to sign arbitrary header/payload *text* with a test issuer's key
 * (needed for duplicate JSON members and `1e999`, which `JSON.stringify` cannot produce).
 */
import { webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTokenError, TokenError, type TokenErrorCode } from '@scopeguard/core';
import type { TestIssuer } from '@scopeguard/testing';
import { expect, vi } from 'vitest';

export const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');
export const json = (value: unknown): string => b64(JSON.stringify(value));

/** The three segments of a compact JWS, decoded. */
export function parts(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: Buffer;
  segments: [string, string, string];
} {
  const segments = token.split('.') as [string, string, string];
  if (segments.length !== 3) throw new Error('not a compact JWS');
  return {
    header: JSON.parse(Buffer.from(segments[0], 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(segments[1], 'base64url').toString('utf8')) as Record<string, unknown>,
    signature: Buffer.from(segments[2], 'base64url'),
    segments,
  };
}

/** A loopback HTTP server that counts requests; an attack that makes the verifier call it has succeeded. */
export interface Trap {
  readonly origin: string;
  readonly requests: number;
  close(): Promise<void>;
}

export function startTrap(): Promise<Trap> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"keys":[]}');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        get requests() {
          return requests;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** A fetch that records the URL of every request and forwards to `inner`. */
export function recordingFetch(inner: typeof globalThis.fetch = globalThis.fetch) {
  const urls: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return inner(input, init);
  };
  return { fetch, urls };
}

/** Signs raw header and payload text with the issuer's active key, exactly as the issuer would. */
export interface RawSigner {
  readonly alg: string;
  readonly kid: string;
  /** `base64url(headerText).base64url(payloadText).signature` */
  signText(headerText: string, payloadText: string): Promise<string>;
  /** Same, from objects. */
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
}

/**
 * The test issuer does not hand out its private keys; this borrows the active one by watching a `mint()`
 * call (the kit signs with WebCrypto). Only the tests use it, to produce validly signed tokens whose
 * header or payload text `JSON.stringify` could not have written.
 */
export async function captureSigner(issuer: TestIssuer): Promise<RawSigner> {
  const spy = vi.spyOn(webcrypto.subtle, 'sign');
  let template: string;
  let call: unknown[] | undefined;
  try {
    template = await issuer.mint();
    call = spy.mock.calls[0];
  } finally {
    spy.mockRestore();
  }
  if (!call) throw new Error('the test issuer did not sign with WebCrypto');
  const [params, key] = call as unknown as [webcrypto.AlgorithmIdentifier, webcrypto.CryptoKey];
  const { header } = parts(template);
  const signText = async (headerText: string, payloadText: string) => {
    const input = `${b64(headerText)}.${b64(payloadText)}`;
    const signature = await webcrypto.subtle.sign(params, key, new TextEncoder().encode(input));
    return `${input}.${b64(new Uint8Array(signature))}`;
  };
  return {
    alg: String(header['alg']),
    kid: String(header['kid']),
    signText,
    sign: (h, p) => signText(JSON.stringify(h), JSON.stringify(p)),
  };
}

/** Awaits a verification that must fail, and returns the TokenError it failed with. */
export async function refusal(promise: Promise<unknown>): Promise<TokenError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (outcome === undefined) throw new Error('expected the token to be refused, but it was accepted');
  expect(outcome).toBeInstanceOf(TokenError);
  expect(isTokenError(outcome)).toBe(true);
  return outcome as TokenError;
}

export async function expectCode(promise: Promise<unknown>, code: TokenErrorCode): Promise<TokenError> {
  const error = await refusal(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}

/** Raw ECDSA r‖s (P-256) as a DER SEQUENCE of two INTEGERs. */
export function rawToDer(raw: Buffer): Buffer {
  const integer = (bytes: Buffer) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let value = bytes.subarray(start);
    if ((value[0] ?? 0) & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
    return Buffer.concat([Buffer.from([0x02, value.length]), value]);
  };
  const half = raw.length / 2;
  const body = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
