import type { ImportedKey, VerifiedToken } from './types.js';

interface Entry {
  result: VerifiedToken;
  key: ImportedKey;
  /** Milliseconds since the epoch after which the entry must not be served. */
  validUntil: number;
}

/**
 * A bounded cache of tokens already verified, keyed by the whole token string, so a client that sends
 * the same token many times pays for one signature check. An entry is served only while the token would
 * still pass the time checks (never past `exp` plus tolerance) and while the key that verified it is
 * still in the JWKS; past `maxEntries` the least recently used entry is dropped.
 * Memory is bounded by `maxEntries` × (token length + decoded claims), about 2–3 KB per Okta token.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The cached result for `token`, if still valid at `now` and its key is still current. */
  get(token: string, now: number, keyIsCurrent: (key: ImportedKey) => boolean): VerifiedToken | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.validUntil || !keyIsCurrent(entry.key)) {
      this.#entries.delete(token);
      return undefined;
    }
    // Refresh recency: Map keeps insertion order, so the first key is always the least recently used.
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    return entry.result;
  }

  /** Remembers a verified token until `validUntil` (milliseconds since the epoch). */
  set(token: string, result: VerifiedToken, key: ImportedKey, validUntil: number): void {
    if (this.#maxEntries <= 0) return;
    this.#entries.delete(token);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(token, { result, key, validUntil });
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
