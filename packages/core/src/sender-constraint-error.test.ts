import { describe, expect, it } from 'vitest';
import {
  isSenderConstraintError,
  SENDER_CONSTRAINT_ERROR_CODES,
  SenderConstraintError,
} from './sender-constraint-error.js';

describe('SenderConstraintError', () => {
  it('carries a stable code and the check that failed, and keeps its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new SenderConstraintError('replay_store_unavailable', 'replay', 'store down', { cause });
    expect(error).toMatchObject({
      name: 'SenderConstraintError',
      code: 'replay_store_unavailable',
      check: 'replay',
    });
    expect(error.cause).toBe(cause);
    expect(SENDER_CONSTRAINT_ERROR_CODES).toContain(error.code);
  });

  it('is recognised across duplicated copies of the package (by name and a known code), and nothing else is', () => {
    const foreign = Object.assign(new Error('x'), {
      name: 'SenderConstraintError',
      code: 'dpop_proof_invalid',
    });
    expect(isSenderConstraintError(new SenderConstraintError('dpop_proof_invalid', 'htu', 'x'))).toBe(true);
    expect(isSenderConstraintError(foreign)).toBe(true);
    expect(
      isSenderConstraintError(
        Object.assign(new Error('x'), { name: 'SenderConstraintError', code: 'made_up' }),
      ),
    ).toBe(false);
    expect(isSenderConstraintError({ name: 'SenderConstraintError', code: 'dpop_proof_invalid' })).toBe(
      false,
    );
  });
});
