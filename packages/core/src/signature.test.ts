import {
  constants,
  createHash,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
  privateEncrypt,
  sign,
} from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Algorithm } from './algorithms.js';
import { verifySignature, verifySignatureAsync } from './signature.js';

// RS* signatures are checked by encode-and-compare (RFC 8017 §8.2.2) on the raw RSA public operation,
// not by crypto.verify. Every case below asserts the same verdict as crypto.verify, OpenSSL's own check.

const DIGEST_INFO = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
} as const;
type Hash = keyof typeof DIGEST_INFO;
const RS: readonly (readonly [Algorithm, Hash])[] = [
  ['RS256', 'sha256'],
  ['RS384', 'sha384'],
  ['RS512', 'sha512'],
];

const pair2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pair3072 = generateKeyPairSync('rsa', { modulusLength: 3072 });
const input = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ';

function openssl(hash: Hash, key: KeyObject, data: string, signature: Buffer): boolean {
  try {
    return cryptoVerify(hash, Buffer.from(data), key, signature);
  } catch {
    return false;
  }
}

/** Signs an arbitrary encoded message EM with the private key (s = EM^d mod n), to forge malformed encodings. */
function signRaw(privateKey: KeyObject, em: Buffer): Buffer {
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

function digest(hash: Hash, data: string): Buffer {
  return createHash(hash).update(data).digest();
}

/** EMSA-PKCS1-v1_5 parts, which each case below bends in one way. */
function encode(k: number, hash: Hash, data: string, bend: (parts: Buffer[]) => Buffer[] = (p) => p) {
  const t = Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest(hash, data)]);
  const parts = [Buffer.from([0x00, 0x01]), Buffer.alloc(k - t.length - 3, 0xff), Buffer.from([0x00]), t];
  const em = Buffer.concat(bend(parts));
  if (em.length !== k) throw new Error(`bent encoding is ${em.length} bytes, not ${k}`);
  return em;
}

describe('verifySignature, RS*: encode-and-compare agrees with crypto.verify', () => {
  for (const [alg, hash] of RS) {
    for (const [bits, { publicKey, privateKey }] of [
      [2048, pair2048],
      [3072, pair3072],
    ] as const) {
      it(`${alg}, ${bits}-bit key: a genuine signature verifies, from the token text or its bytes`, () => {
        const signature = sign(hash, Buffer.from(input), privateKey);
        expect(verifySignature(alg, publicKey, input, signature)).toBe(true);
        expect(verifySignature(alg, publicKey, Buffer.from(input), signature)).toBe(true);
        expect(verifySignature(alg, publicKey, `${input}x`, signature)).toBe(false);
      });
    }
  }

  it('a signature made for another hash does not verify (RS384 signature presented as RS256)', () => {
    const signature = sign('sha384', Buffer.from(input), pair2048.privateKey);
    expect(verifySignature('RS256', pair2048.publicKey, input, signature)).toBe(false);
    expect(verifySignature('RS384', pair2048.publicKey, input, signature)).toBe(true);
  });

  it('the threadpool path gives the same verdicts', async () => {
    const signature = sign('sha256', Buffer.from(input), pair2048.privateKey);
    await expect(verifySignatureAsync('RS256', pair2048.publicKey, input, signature)).resolves.toBe(true);
    await expect(verifySignatureAsync('RS256', pair2048.publicKey, `${input}x`, signature)).resolves.toBe(
      false,
    );
  });

  describe('signature lengths other than the modulus length are refused', () => {
    const { publicKey, privateKey } = pair2048;
    const signature = sign('sha256', Buffer.from(input), privateKey);
    const cases: [string, Buffer][] = [
      ['one byte short', signature.subarray(1)],
      ['a zero byte prepended', Buffer.concat([Buffer.from([0]), signature])],
      ['a byte appended', Buffer.concat([signature, Buffer.from([0])])],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [name, bad] of cases) {
      it(name, () => {
        expect(verifySignature('RS256', publicKey, input, bad)).toBe(false);
        expect(openssl('sha256', publicKey, input, bad)).toBe(false);
      });
    }
  });

  it('a signature value not below the modulus (s ≥ n) is refused', () => {
    const n = Buffer.from(pair2048.publicKey.export({ format: 'jwk' }).n as string, 'base64url');
    for (const bad of [n, Buffer.alloc(256, 0xff)]) {
      expect(verifySignature('RS256', pair2048.publicKey, input, bad)).toBe(false);
      expect(openssl('sha256', pair2048.publicKey, input, bad)).toBe(false);
    }
  });

  describe('forged encodings, each signed with the real key, are refused (padding-parsing attacks)', () => {
    const { publicKey, privateKey } = pair2048;
    const k = 256;
    const forgeries: [string, (parts: Buffer[]) => Buffer[]][] = [
      [
        // Bleichenbacher 2006: a shorter padding leaves room for attacker-chosen bytes after the digest,
        // which a parser that reads the DigestInfo and stops would never look at.
        'Bleichenbacher 2006: garbage after the digest, padding shortened to fit',
        ([head, ps, zero, t]) => [head!, ps!.subarray(8), zero!, t!, Buffer.alloc(8, 0x41)],
      ],
      [
        'DigestInfo without the NULL parameters (padding lengthened to fit)',
        ([head, ps, zero, t]) => {
          const noNull = Buffer.concat([
            Buffer.from('302f300b0609608648016503040201', 'hex'),
            t!.subarray(t!.length - 34),
          ]);
          return [head!, Buffer.concat([ps!, Buffer.alloc(2, 0xff)]), zero!, noNull];
        },
      ],
      [
        'a padding byte that is not 0xff',
        ([head, ps, zero, t]) => [
          head!,
          Buffer.concat([ps!.subarray(0, 10), Buffer.from([0xfe]), ps!.subarray(11)]),
          zero!,
          t!,
        ],
      ],
      [
        'block type 2 (encryption padding) instead of 1',
        ([, ps, zero, t]) => [Buffer.from([0x00, 0x02]), ps!, zero!, t!],
      ],
      [
        'no zero byte between padding and DigestInfo',
        ([head, ps, , t]) => [head!, ps!, Buffer.from([0xff]), t!],
      ],
      [
        'the SHA-512 DigestInfo prefix in an RS256 signature',
        ([head, ps, zero, t]) => [
          head!,
          ps!,
          zero!,
          Buffer.concat([Buffer.from(DIGEST_INFO.sha512, 'hex').subarray(0, 19), t!.subarray(19)]),
        ],
      ],
      [
        'a digest with one bit flipped',
        ([head, ps, zero, t]) => {
          const bent = Buffer.from(t!);
          bent[bent.length - 1]! ^= 1;
          return [head!, ps!, zero!, bent];
        },
      ],
    ];
    it('the unbent encoding verifies (the forging method itself is sound)', () => {
      const signature = signRaw(privateKey, encode(k, 'sha256', input));
      expect(verifySignature('RS256', publicKey, input, signature)).toBe(true);
      expect(openssl('sha256', publicKey, input, signature)).toBe(true);
    });
    for (const [name, bend] of forgeries) {
      it(name, () => {
        const signature = signRaw(privateKey, encode(k, 'sha256', input, bend));
        expect(verifySignature('RS256', publicKey, input, signature)).toBe(false);
        expect(openssl('sha256', publicKey, input, signature)).toBe(false);
      });
    }
  });

  it('property: any change to a genuine signature gets the same verdict as crypto.verify', () => {
    const { publicKey, privateKey } = pair2048;
    const signature = sign('sha256', Buffer.from(input), privateKey);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: signature.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, mask) => {
          const bent = Buffer.from(signature);
          bent[index]! ^= mask;
          const ours = verifySignature('RS256', publicKey, input, bent);
          expect(ours).toBe(openssl('sha256', publicKey, input, bent));
          expect(ours).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
