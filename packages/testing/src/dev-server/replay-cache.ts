/** Remembers identifiers (assertion `jti`s) until they expire, to refuse replays. */
export class ReplayCache {
  readonly #seen = new Map<string, number>();

  /**
   * Records `id` as used until `expiresAt` (epoch seconds). Returns `false` when it was already used and has
   * not expired yet.
   */
  use(id: string, expiresAt: number, now = Math.floor(Date.now() / 1000)): boolean {
    for (const [seenId, expiry] of this.#seen) if (expiry < now) this.#seen.delete(seenId);
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, expiresAt);
    return true;
  }
}
