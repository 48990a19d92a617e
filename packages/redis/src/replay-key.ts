import { createHash } from 'node:crypto';

/** Keys longer than this (UTF-16 code units, so at most 600 bytes of UTF-8) are stored as their SHA-256. */
export const MAX_RAW_KEY_LENGTH = 200;

/**
 * The Redis key for a claimed `key`: the store's `prefix`, then `k:` and the key itself when it is short,
 * or `h:` and base64url(SHA-256(key)) when it is long or holds a `{`. The two markers keep the two forms
 * apart, so no short key can collide with the hash of a long one. Hashing keys with a `{` keeps an
 * attacker's `jti` from carrying a Redis Cluster hash tag that would pin every key to one slot.
 */
export function replayKey(prefix: string, key: string): string {
  if (key.length <= MAX_RAW_KEY_LENGTH && !key.includes('{')) return `${prefix}k:${key}`;
  return `${prefix}h:${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}
