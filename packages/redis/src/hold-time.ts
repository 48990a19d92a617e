/** The shortest time a claim is held, even when `expiresAt` is already past or only moments away. */
export const MIN_HOLD_MS = 1000;

/**
 * How long Redis should hold a claim that the caller wants held until `expiresAt` (milliseconds since
 * the epoch), measured on this process's clock at the time of the claim.
 *
 * We send this as a relative `PX`, not `PXAT expiresAt`: `PXAT` is judged by Redis's clock, and Redis
 * answers `OK` to a `PXAT` in its past and drops the key at once. A Redis clock running ahead of the API's
 * by more than the replay window would make every replay look like a first claim, silently. With `PX`
 * only the API instances' clocks matter, and they must already agree for the `iat` window.
 *
 * - Not a finite number: `RangeError` (a caller bug; the claim rejects, so the request fails closed).
 * - Further than `maxHoldMs` in the future or in the past: `RangeError`. Such values come from unit
 *   mistakes (seconds or microseconds instead of milliseconds), and holding "forever" or "never" would
 *   hide them; the message says which way it is off.
 * - Already past (a proof at the very edge of its window) or closer than {@link MIN_HOLD_MS}: held for
 *   `MIN_HOLD_MS`, so that `true` still means "recorded" and a replay within that time is refused.
 */
export function holdMilliseconds(expiresAt: number, now: number, maxHoldMs: number): number {
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new RangeError(
      `expiresAt must be a finite number of milliseconds since the epoch, got ${describe(expiresAt)}`,
    );
  }
  const remaining = expiresAt - now;
  if (remaining > maxHoldMs) {
    throw new RangeError(
      `expiresAt ${expiresAt} is ${Math.round(remaining)} ms away, more than maxHoldMs (${maxHoldMs}): microseconds instead of milliseconds?`,
    );
  }
  if (remaining < -maxHoldMs) {
    throw new RangeError(
      `expiresAt ${expiresAt} is ${Math.round(-remaining)} ms in the past, more than maxHoldMs (${maxHoldMs}): seconds instead of milliseconds?`,
    );
  }
  return Math.max(MIN_HOLD_MS, Math.ceil(remaining));
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}
