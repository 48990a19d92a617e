import { describe, expect, it } from 'vitest';
import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes objects and arrays at every depth, so a shared verified token cannot be altered', () => {
    const value = deepFreeze({ a: [1, { b: ['c'] }], d: { e: { f: 1 } }, g: 'h' });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[1])).toBe(true);
    expect(Object.isFrozen((value.a[1] as { b: string[] }).b)).toBe(true);
    expect(Object.isFrozen(value.d.e)).toBe(true);
    expect(() => {
      (value.d.e as { f: number }).f = 2;
    }).toThrow(TypeError);
  });

  it('returns primitives and null unchanged', () => {
    expect(deepFreeze(null)).toBeNull();
    expect(deepFreeze('x')).toBe('x');
  });
});
