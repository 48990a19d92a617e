import { describe, expect, it } from 'vitest';
import { validateDevClients } from './dev-clients.js';
import { grantScopes } from './grant-scopes.js';

const [client] = validateDevClients([
  {
    client_id: 'c',
    client_secret: 's',
    scopes: ['orders:read', 'orders:write', 'admin'],
    default_scopes: ['orders:read'],
  },
]);

describe('grantScopes', () => {
  it('grants the requested scopes when the client may have them, without duplicates', () => {
    expect(grantScopes(client!, 'orders:write  orders:read orders:write')).toEqual([
      'orders:write',
      'orders:read',
    ]);
  });

  it('grants the default scopes when none are requested', () => {
    expect(grantScopes(client!, null)).toEqual(['orders:read']);
    expect(grantScopes(client!, ' ')).toEqual(['orders:read']);
  });

  it('refuses with invalid_scope when any requested scope is not allowed', () => {
    expect(() => grantScopes(client!, 'orders:read billing')).toThrow(
      expect.objectContaining({ code: 'invalid_scope', message: expect.stringContaining('billing') }),
    );
  });

  it('refuses with invalid_scope when nothing is requested and there is no default', () => {
    const [bare] = validateDevClients([{ client_id: 'b', client_secret: 's', scopes: [] }]);
    expect(() => grantScopes(bare!, null)).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
  });
});
