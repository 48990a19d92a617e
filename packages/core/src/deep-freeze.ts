/**
 * Freezes a JSON-shaped value and everything inside it. Verified tokens are shared (the verified-token
 * cache hands the same object to every request that presents the same token, and parsed headers are
 * shared between tokens), so no caller may change what another one sees.
 * Only objects are visited, arrays by index: this runs once per verified token.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) deepFreeze(item);
    }
  } else {
    for (const item of Object.values(value)) {
      if (typeof item === 'object' && item !== null) deepFreeze(item);
    }
  }
  return value;
}
