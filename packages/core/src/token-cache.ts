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
  key: ImportedKey;
  /** Milliseconds since the epoch before which the entry must not be served (`nbf`, `iat`, less tolerance). */
  validFrom: number;
  /** Milliseconds since the epoch from which the entry must not be served (`exp`, `maxTokenAge`, plus tolerance). */
  validUntil: number;
}

/**
 * A bounded cache of tokens already verified, keyed by the whole token string, so a client that sends
 * the same token many times pays for one signature check. It remembers only what cannot change for a
 * given token string: that the signature verified, and the claim checks that depend on nothing but the
 * token (`iss`, `aud`, `typ`, client id, scopes, claim types). A hit re-checks, every time, what can change:
 * the time window (`exp`, `nbf`, `iat` and `maxTokenAge`, with the clock tolerance: outside it the entry is
 * dropped and the token verified afresh), and that the key that verified it is still in the JWKS of the
 * issuer that verified it (its `owner`: with several issuers, that issuer's own key set, and only while it
 * is still trusted); the
 * verifier then re-runs every `requiredClaims` rule (predicates can change their answer: a deny-list, an
 * `auth_time` rule). Past `maxEntries` the least recently used entry is dropped. Memory is bounded by
 * `maxEntries` × (token length + decoded claims), about 2–3 KB per Okta token.
 *
 * Never use this cache, or anything else keyed by the token string, for replay or revocation decisions:
 * ECDSA signatures are malleable (`s` and `n − s` both verify), so one ES256/ES384/ES512 token has a
 * second, equally valid spelling with the same claims. Key replay state by a claim (`jti`), not the string.
 */
export class VerifiedTokenCache<O extends KeyOwner> {
  readonly #entries = new Map<string, Entry<O>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /**
   * The cached verification of `token`, if `now` is inside its time window and its owner still holds its
   * key current.
   */
  get(token: string, now: number): CachedVerification<O> | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.validUntil || now < entry.validFrom || !entry.owner.keyIsCurrent(entry.key)) {
      this.#entries.delete(token);
      return undefined;
    }
    // Refresh recency: Map keeps insertion order, so the first key is always the least recently used.
    this.#entries.delete(token);
    this.#entries.set(token, entry);
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
    this.#entries.delete(token);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(token, { result, key, owner, validFrom, validUntil });
  }

  /** Number of entries held (tests, benchmarks). */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
