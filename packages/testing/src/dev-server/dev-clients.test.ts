import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDevClients } from './dev-clients.js';
import { loadDevClients } from './load-dev-clients.js';

const publicJwk = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

describe('validateDevClients', () => {
  it('fills in defaults: basic auth for secret clients, all scopes by default, client_credentials', () => {
    expect(validateDevClients([{ client_id: 'a', client_secret: 's', scopes: ['x', 'y'] }])).toEqual([
      {
        client_id: 'a',
        client_secret: 's',
        scopes: ['x', 'y'],
        default_scopes: ['x', 'y'],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
      },
    ]);
  });

  it('registers a single jwk as a JWKS and defaults key clients to private_key_jwt', () => {
    const [client] = validateDevClients({ clients: [{ client_id: 'k', jwk: publicJwk, scopes: [] }] });
    expect(client).toMatchObject({
      jwks: { keys: [publicJwk] },
      token_endpoint_auth_method: 'private_key_jwt',
    });
  });

  it.each([
    ['a non-array', { clients: 'nope' }, 'must be an array'],
    ['a missing client_id', [{ client_secret: 's', scopes: [] }], 'client_id'],
    [
      'a duplicate client_id',
      [
        { client_id: 'a', client_secret: 's', scopes: [] },
        { client_id: 'a', client_secret: 't', scopes: [] },
      ],
      'twice',
    ],
    [
      'a secret method without secret',
      [{ client_id: 'a', token_endpoint_auth_method: 'client_secret_post', scopes: [] }],
      'needs a client_secret',
    ],
    [
      'private_key_jwt without keys',
      [{ client_id: 'a', client_secret: 's', token_endpoint_auth_method: 'private_key_jwt', scopes: [] }],
      'needs jwks',
    ],
    [
      'an unknown auth method',
      [{ client_id: 'a', client_secret: 's', token_endpoint_auth_method: 'none', scopes: [] }],
      'must be one of',
    ],
    [
      'a private key',
      [{ client_id: 'a', jwk: { ...publicJwk, d: 'secret' }, scopes: [] }],
      'public keys only',
    ],
    [
      'a scope with a space',
      [{ client_id: 'a', client_secret: 's', scopes: ['a b'] }],
      'not a valid scope token',
    ],
    [
      'a default scope outside the scopes',
      [{ client_id: 'a', client_secret: 's', scopes: ['a'], default_scopes: ['b'] }],
      'not among its scopes',
    ],
    ['non-string scopes', [{ client_id: 'a', client_secret: 's', scopes: [1] }], 'array of strings'],
  ])('rejects %s', (_, input, message) => {
    expect(() => validateDevClients(input)).toThrow(message);
  });
});

describe('loadDevClients', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scopeguard-dev-clients-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads and validates a clients file', async () => {
    const path = join(dir, 'clients.json');
    await writeFile(
      path,
      JSON.stringify({
        clients: [
          {
            client_id: 'svc',
            client_secret: 's',
            scopes: ['a'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
      }),
    );
    const clients = await loadDevClients(path);
    expect(clients).toEqual([
      expect.objectContaining({ client_id: 'svc', token_endpoint_auth_method: 'client_secret_post' }),
    ]);
  });

  it('says which file is not JSON', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ clients: ');
    await expect(loadDevClients(path)).rejects.toThrow(`${path} is not valid JSON`);
  });

  it('rejects a file with invalid clients', async () => {
    const path = join(dir, 'invalid.json');
    await writeFile(path, JSON.stringify({ clients: [{ scopes: [] }] }));
    await expect(loadDevClients(path)).rejects.toThrow('client_id');
  });
});
