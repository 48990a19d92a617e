import type { ImportedKey, VerifiedToken } from './types.js';

/** Whatever verified a cached token (its trusted issuer): asked, on every hit, whether its key still holds. */
export interface KeyOwner {
  keyIsCurrent(key: ImportedKey): boolean;
}

/** One remembered verification. */
export interface CachedVerification<O extends KeyOwner> {
  readonly result: VerifiedToken;
  /** The trusted issuer whose key verified it (a verifier with several issuers re-checks with this one). */
  readonly owner: O;
}

interface Entry<O extends KeyOwner> extends CachedVerification<O> {
  /** The whole token: the map is keyed by its end only (see {@link keyOf}). */
  readonly token: string;
  key: ImportedKey;
  /** Milliseconds since the epoch before which the entry must not be served (`nbf`, `iat`, less tolerance). */
  validFrom: number;
  /** Milliseconds since the epoch from which the entry must not be served (`exp`, `maxTokenAge`, plus tolerance). */
  validUntil: number;
  /** The insertion count when the entry was (re)inserted: its place in the map's order. */
  stamp: number;
  /** Its key in the map (the token's end). */
  readonly mapKey: string;
  /** False once the entry has left the map (expired, evicted, replaced, cleared). */
  live: boolean;
}

/**
 * Characters at the end of a token that key the map. A token taken from a request is a new string, and a
 * `Map` lookup hashes every character of its key: about 1.6 µs for an 800-character token, against 0.3 µs
 * for its last 48 characters (36 bytes of signature: no two tokens a verifier accepts share them by
 * chance). Only a token equal, character for character, to the one stored is a hit, so a token made to end
 * like a cached one is an ordinary miss.
 */
const KEY_LENGTH = 48;

function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(token.length - KEY_LENGTH);
}

/**
 * A bounded cache of tokens already verified, so a client that sends the same token many times pays for
 * one signature check. It remembers only what cannot change for a given token string: that the signature
 * verified, and the claim checks that depend on nothing but the token (`iss`, `aud`, `typ`, client id,
 * scopes, claim types). A hit re-checks, every time, what can change:
 * the time window (`exp`, `nbf`, `iat` and `maxTokenAge`, with the clock tolerance: outside it the entry is
 * dropped and the token verified afresh), and that the key that verified it is still in the JWKS of the
 * issuer that verified it (its `owner`: with several issuers, that issuer's own key set, and only while it
 * is still trusted); the
 * verifier then re-runs every `requiredClaims` rule (predicates can change their answer: a deny-list, an
 * `auth_time` rule). Memory is bounded by `maxEntries` × (token length + decoded claims), about 2–3 KB per
 * Okta token.
 *
 * Eviction is least recently used, made cheap for hits: a hit moves its entry to the back of the order
 * only once more than `maxEntries / 4` insertions came after it, so a token presented again and again
 * costs a lookup, not a reordering. An entry is evicted only at the `maxEntries`-th insertion after its
 * last placement, so one hit at least once in every `maxEntries / 2` insertions is never evicted (below 4
 * entries every hit reorders: exact LRU); the others leave oldest (by last placement) first.
 *
 * Never use this cache, or anything else keyed by the token string, for replay or revocation decisions:
 * ECDSA signatures are malleable (`s` and `n − s` both verify), so one ES256/ES384/ES512 token has a
 * second, equally valid spelling with the same claims. Key replay state by a claim (`jti`), not the string.
 */
export class VerifiedTokenCache<O extends KeyOwner> {
  readonly #entries = new Map<string, Entry<O>>();
  readonly #maxEntries: number;
  /** A hit reinserts its entry once more than this many insertions came after it. */
  readonly #drift: number;
  /** Insertions so far (the stamps). */
  #insertions = 0;
  /** The entry of the last hit, tried before the map. */
  #last: Entry<O> | undefined;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
    this.#drift = Math.floor(maxEntries / 4);
  }

  /**
   * The cached verification of `token`, if `now` is inside its time window and its owner still holds its
   * key current.
   */
  get(token: string, now: number): CachedVerification<O> | undefined {
    // The entry of the last hit first: the same token again (a client's next request) is found by
    // comparing the strings, without hashing one; any other token differs within a few characters.
    let entry = this.#last;
    if (entry === undefined || !entry.live || entry.token !== token) {
      entry = this.#entries.get(keyOf(token));
      if (entry === undefined || entry.token !== token) return undefined;
    }
    if (now >= entry.validUntil || now < entry.validFrom || !entry.owner.keyIsCurrent(entry.key)) {
      this.#remove(entry);
      return undefined;
    }
    if (this.#insertions - entry.stamp > this.#drift) {
      // Map keeps insertion order, so the first key is always the one placed longest ago.
      this.#entries.delete(entry.mapKey);
      entry.stamp = ++this.#insertions;
      this.#entries.set(entry.mapKey, entry);
    }
    this.#last = entry;
    return entry;
  }

  /**
   * Remembers a verified token for `validFrom <= now < validUntil` (milliseconds since the epoch), with the
   * key and the owner (trusted issuer) that verified it.
   */
  set(
    token: string,
    result: VerifiedToken,
    key: ImportedKey,
    owner: O,
    validFrom: number,
    validUntil: number,
  ): void {
    if (this.#maxEntries <= 0) return;
    const mapKey = keyOf(token);
    const previous = this.#entries.get(mapKey);
    if (previous !== undefined) this.#remove(previous);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.values().next().value;
      if (oldest === undefined) break;
      this.#remove(oldest);
    }
    const stamp = ++this.#insertions;
    const entry = { token, result, key, owner, validFrom, validUntil, stamp, mapKey, live: true };
    this.#entries.set(mapKey, entry);
  }

  #remove(entry: Entry<O>): void {
    entry.live = false;
    this.#entries.delete(entry.mapKey);
  }

  /** Number of entries held (tests, benchmarks). */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops every entry. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.live = false;
    this.#entries.clear();
    this.#last = undefined;
  }
}
