import { describe, expect, it } from 'vitest';
import { holdMilliseconds, MIN_HOLD_MS } from './hold-time.js';

const now = 1_800_000_000_000;
const day = 24 * 60 * 60 * 1000;

describe('holdMilliseconds', () => {
  it('holds a claim for the time left until expiresAt, rounded up', () => {
    expect(holdMilliseconds(now + 60_000, now, day)).toBe(60_000);
    expect(holdMilliseconds(now + 5_000.2, now, day)).toBe(5_001);
  });

  it('holds an already expired or nearly expired claim for MIN_HOLD_MS, never zero', () => {
    expect(holdMilliseconds(now + 10, now, day)).toBe(MIN_HOLD_MS);
    expect(holdMilliseconds(now, now, day)).toBe(MIN_HOLD_MS);
    expect(holdMilliseconds(now - 30_000, now, day)).toBe(MIN_HOLD_MS);
  });

  it('refuses an expiresAt in seconds (a unit mistake that would hold nothing)', () => {
    expect(() => holdMilliseconds(Math.floor(now / 1000) + 60, now, day)).toThrow(
      /seconds instead of milliseconds/,
    );
  });

  it('refuses an expiresAt in microseconds (a unit mistake that would hold for centuries)', () => {
    expect(() => holdMilliseconds((now + 60_000) * 1000, now, day)).toThrow(/microseconds instead/);
  });

  it('accepts up to maxHoldMs either way, and not one millisecond more', () => {
    expect(holdMilliseconds(now + day, now, day)).toBe(day);
    expect(() => holdMilliseconds(now + day + 1, now, day)).toThrow(RangeError);
    expect(holdMilliseconds(now - day, now, day)).toBe(MIN_HOLD_MS);
    expect(() => holdMilliseconds(now - day - 1, now, day)).toThrow(RangeError);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1800000060000', null, undefined])(
    'refuses %s',
    (value) => {
      expect(() => holdMilliseconds(value as number, now, day)).toThrow(RangeError);
    },
  );
});
