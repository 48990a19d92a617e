import { describe, expect, it } from 'vitest';
import { type KeyOwner, VerifiedTokenCache } from './token-cache.js';
import type { ImportedKey, VerifiedToken } from './types.js';

const KEY = { kid: 'k1', alg: 'RS256' } as unknown as ImportedKey;
const OWNER: KeyOwner = { keyIsCurrent: () => true };
const result = (name: string) => ({ subject: name }) as unknown as VerifiedToken;
/** A token-like string: a shared prefix and a distinct end of `tail` characters. */
const token = (i: number, tail = 'x'.repeat(60)) =>
  `header.payload-${i}.${tail}${i.toString().padStart(6, '0')}`;

function filled(maxEntries: number, count: number) {
  const cache = new VerifiedTokenCache<KeyOwner>(maxEntries);
  for (let i = 0; i < count; i++) cache.set(token(i), result(`t${i}`), KEY, OWNER, 0, 10_000);
  return cache;
}

describe('VerifiedTokenCache', () => {
  it('returns what was stored for the same token string, within its time window', () => {
    const cache = filled(10, 1);
    expect(cache.get(token(0), 5_000)?.result).toEqual(result('t0'));
    expect(cache.get(token(0), 10_000)).toBeUndefined(); // validUntil is exclusive, and the entry is dropped
    expect(cache.size).toBe(0);
  });

  it('is never fooled by a token that only ends like a cached one (the map is keyed by the end)', () => {
    const cache = new VerifiedTokenCache<KeyOwner>(10);
    const tail = 's'.repeat(80);
    const genuine = `header.claims-of-alice.${tail}`;
    const forged = `header.claims-of-mallory.${tail}`;
    cache.set(genuine, result('alice'), KEY, OWNER, 0, 10_000);
    expect(cache.get(forged, 1)).toBeUndefined();
    expect(cache.get(genuine, 1)?.result).toEqual(result('alice'));
  });

  it('keeps two tokens that share their end apart: storing one replaces the other, never mixes them', () => {
    const cache = new VerifiedTokenCache<KeyOwner>(10);
    const tail = 's'.repeat(80);
    cache.set(`a.one.${tail}`, result('one'), KEY, OWNER, 0, 10_000);
    cache.set(`a.two.${tail}`, result('two'), KEY, OWNER, 0, 10_000);
    expect(cache.get(`a.one.${tail}`, 1)).toBeUndefined();
    expect(cache.get(`a.two.${tail}`, 1)?.result).toEqual(result('two'));
  });

  it('stores short strings whole', () => {
    const cache = new VerifiedTokenCache<KeyOwner>(10);
    cache.set('a.b.c', result('short'), KEY, OWNER, 0, 10_000);
    expect(cache.get('a.b.c', 1)?.result).toEqual(result('short'));
    expect(cache.get('x.b.c', 1)).toBeUndefined();
  });

  it('drops an entry whose key is no longer current', () => {
    let current = true;
    const owner: KeyOwner = { keyIsCurrent: () => current };
    const cache = new VerifiedTokenCache<KeyOwner>(10);
    cache.set(token(1), result('t1'), KEY, owner, 0, 10_000);
    current = false;
    expect(cache.get(token(1), 1)).toBeUndefined();
    current = true;
    expect(cache.get(token(1), 1)).toBeUndefined(); // it was dropped, not just hidden
  });

  it('never holds more than maxEntries, evicting the entry placed longest ago', () => {
    const cache = filled(100, 250);
    expect(cache.size).toBe(100);
    expect(cache.get(token(149), 1)).toBeUndefined();
    expect(cache.get(token(150), 1)?.result).toEqual(result('t150'));
    expect(cache.get(token(249), 1)?.result).toEqual(result('t249'));
  });

  it('never evicts a token that is hit at least once every maxEntries / 2 insertions', () => {
    const max = 1_000;
    const cache = filled(max, 1);
    const hot = token(0);
    for (let i = 1; i <= 20 * max; i++) {
      cache.set(token(i), result(`t${i}`), KEY, OWNER, 0, 10_000);
      if (i % (max / 2) === 0) expect(cache.get(hot, 1)?.result).toEqual(result('t0'));
    }
    expect(cache.size).toBe(max);
  });

  it('with fewer than 4 entries, every hit counts (exact LRU)', () => {
    const cache = filled(2, 2); // token 0, token 1
    expect(cache.get(token(0), 1)).toBeDefined(); // token 0 is now the most recent
    cache.set(token(2), result('t2'), KEY, OWNER, 0, 10_000); // evicts token 1
    expect(cache.get(token(1), 1)).toBeUndefined();
    expect(cache.get(token(0), 1)).toBeDefined();
  });

  it('evicts a token that is not hit, however often it was hit before', () => {
    const max = 100;
    const cache = filled(max, 1);
    for (let k = 0; k < 1_000; k++) cache.get(token(0), 1);
    for (let i = 1; i <= max; i++) cache.set(token(i), result(`t${i}`), KEY, OWNER, 0, 10_000);
    expect(cache.get(token(0), 1)).toBeUndefined();
  });
});

describe('VerifiedTokenCache: the last hit, tried first', () => {
  it('serves the same token again, and never an entry that has left the map', () => {
    let current = true;
    const owner: KeyOwner = { keyIsCurrent: () => current };
    const cache = new VerifiedTokenCache<KeyOwner>(2);
    cache.set(token(1), result('t1'), KEY, owner, 0, 10_000);
    expect(cache.get(token(1), 1)?.result).toEqual(result('t1')); // now the last hit
    expect(cache.get(`${token(1)}`.slice(0), 2)?.result).toEqual(result('t1'));
    cache.set(token(2), result('t2'), KEY, owner, 0, 10_000);
    cache.set(token(3), result('t3'), KEY, owner, 0, 10_000); // evicts token 1, the last hit
    expect(cache.get(token(1), 3)).toBeUndefined();
    expect(cache.get(token(3), 3)?.result).toEqual(result('t3'));
    current = false; // the key is withdrawn: the last hit is checked like any other
    expect(cache.get(token(3), 4)).toBeUndefined();
    current = true;
    expect(cache.get(token(3), 5)).toBeUndefined(); // and it was dropped
    expect(cache.get(token(2), 5)?.result).toEqual(result('t2'));
    cache.clear();
    expect(cache.get(token(2), 6)).toBeUndefined();
  });

  it('never serves the last hit for another token, however alike', () => {
    const cache = filled(10, 2);
    expect(cache.get(token(0), 1)?.result).toEqual(result('t0'));
    expect(cache.get(token(1), 1)?.result).toEqual(result('t1'));
    expect(cache.get(token(1).replace('payload-1', 'payload-X'), 1)).toBeUndefined();
  });

  it('replacing an entry with the same key retires the old one', () => {
    const cache = new VerifiedTokenCache<KeyOwner>(10);
    const tail = 's'.repeat(80);
    cache.set(`a.one.${tail}`, result('one'), KEY, OWNER, 0, 10_000);
    expect(cache.get(`a.one.${tail}`, 1)).toBeDefined(); // the last hit
    cache.set(`a.two.${tail}`, result('two'), KEY, OWNER, 0, 10_000);
    expect(cache.get(`a.one.${tail}`, 1)).toBeUndefined();
  });
});
