import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { AuthRefused, HttpAnswer } from '@scopeguard/http';
import { describe, expect, it } from 'vitest';
import { ScopeguardException, scopeguardException } from './exception.js';

function refusal(status: HttpAnswer['status'], body: string | undefined, type?: string): AuthRefused {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (type !== undefined) headers['Content-Type'] = type;
  return {
    ok: false,
    failure: { status, error: 'invalid_token', description: 'The token has expired', code: 'token_expired' },
    answer: { status, headers, body },
  };
}

describe('ScopeguardException', () => {
  it.for([
    [400, BadRequestException],
    [401, UnauthorizedException],
    [403, ForbiddenException],
    [503, ServiceUnavailableException],
  ] as const)("for %i is also an instance of Nest's %o, as passport guards throw", ([status, Nest]) => {
    const exception = scopeguardException(
      refusal(status, '{"error":"x"}', 'application/json; charset=utf-8'),
    );
    expect(exception).toBeInstanceOf(Nest);
    expect(exception).toBeInstanceOf(HttpException);
    expect(exception).toBeInstanceOf(ScopeguardException);
    expect(exception.getStatus()).toBe(status);
    expect(exception.getResponse()).toEqual({ error: 'x' });
    expect(exception.message).toBe('The token has expired');
    expect(exception.failure.code).toBe('token_expired');
    expect(exception.answer.status).toBe(status);
  });

  it('is not claimed by other HTTP exceptions or values', () => {
    expect(new UnauthorizedException()).not.toBeInstanceOf(ScopeguardException);
    expect({ failure: {}, answer: {} }).not.toBeInstanceOf(ScopeguardException);
    expect(null).not.toBeInstanceOf(ScopeguardException);
  });

  it('carries a text body as text, and keeps the cause for logs', () => {
    const cause = new Error('aud "api://other" is not "api://default"');
    const refused = refusal(401, 'nope', 'text/plain; charset=utf-8');
    const exception = scopeguardException({ ...refused, failure: { ...refused.failure, cause } });
    expect(exception.message).toBe('The token has expired');
    expect(exception.cause).toBe(cause);
    expect(exception.answer.body).toBe('nope');
  });

  it('does not enumerate its details (a logger serialising it sees what Nest exceptions show)', () => {
    const exception = scopeguardException(refusal(401, undefined));
    expect(Object.keys(exception)).not.toContain('failure');
    expect(Object.keys(exception)).not.toContain('answer');
  });
});
