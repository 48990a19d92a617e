import { describe, expect, it } from 'vitest';
import { SenderConstraintError } from './sender-constraint-error.js';
import { readTokenBinding } from './token-binding.js';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0';

function refusal(claims: Record<string, unknown>): SenderConstraintError {
  try {
    readTokenBinding(claims);
  } catch (error) {
    expect(error).toBeInstanceOf(SenderConstraintError);
    return error as SenderConstraintError;
  }
  throw new Error('expected the binding to be refused');
}

describe('readTokenBinding (RFC 7800 cnf; RFC 9449 §6.1; RFC 8705 §3.1)', () => {
  it('reads a token without cnf as a bearer token', () => {
    expect(readTokenBinding({ sub: 'a' })).toEqual({ jkt: undefined, x5tS256: undefined });
  });

  it('reads cnf.jkt as DPoP-bound', () => {
    expect(readTokenBinding({ cnf: { jkt: JKT } })).toEqual({ jkt: JKT, x5tS256: undefined });
  });

  it('reads cnf["x5t#S256"] as certificate-bound', () => {
    expect(readTokenBinding({ cnf: { 'x5t#S256': X5T } })).toEqual({ jkt: undefined, x5tS256: X5T });
  });

  it('reads both when a token is bound both ways', () => {
    expect(readTokenBinding({ cnf: { jkt: JKT, 'x5t#S256': X5T } })).toEqual({ jkt: JKT, x5tS256: X5T });
  });

  it.each([
    ['cnf that is not an object', { cnf: 'jkt' }],
    ['cnf that is an array', { cnf: [JKT] }],
    ['cnf: null', { cnf: null }],
    ['a numeric jkt', { cnf: { jkt: 1 } }],
    ['a jkt that is not 43 base64url characters', { cnf: { jkt: `${JKT}=` } }],
    ['a non-canonical jkt', { cnf: { jkt: `${JKT.slice(0, 42)}t` } }],
    ['a malformed x5t#S256 next to a good jkt', { cnf: { jkt: JKT, 'x5t#S256': 'nope' } }],
    // RFC 8705 §3.1's example value ends in "2", whose spare bits are not zero: no SHA-256 digest encodes so.
    ['a non-canonical x5t#S256 (RFC 8705 example value)', { cnf: { 'x5t#S256': `${X5T.slice(0, 42)}2` } }],
  ])('refuses %s as binding_invalid (fail closed, never bearer)', (_, claims) => {
    expect(refusal(claims)).toMatchObject({ code: 'binding_invalid', check: 'cnf' });
  });

  it('refuses a cnf naming only a confirmation method it cannot check (jwk, kid) rather than treat it as bearer', () => {
    expect(refusal({ cnf: { kid: 'k1' } }).message).toContain('["kid"]');
    expect(refusal({ cnf: { jwk: { kty: 'EC' } } }).code).toBe('binding_invalid');
    expect(refusal({ cnf: {} }).code).toBe('binding_invalid');
  });
});
