import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientKeyPair } from './client.js';
import { findClient, loadDemoClients } from './dev-clients.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-clients-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadDemoClients', () => {
  it('loads dev-clients.json and registers the generated public key for the private_key_jwt client', async () => {
    const { publicJwk } = await generateClientKeyPair('test-kid');
    const clients = await loadDemoClients(publicJwk);
    expect(clients.map((client) => client.client_id)).toEqual([
      'demo-reader',
      'demo-no-scope',
      'demo-writer-jwt',
      'demo-discovery',
      'demo-dpop',
    ]);
    expect(findClient(clients, 'demo-reader').scopes).toContain('customScope');
    expect(findClient(clients, 'demo-no-scope').scopes).not.toContain('customScope');
    const jwt = findClient(clients, 'demo-writer-jwt');
    expect(jwt.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(jwt.jwks?.keys).toEqual([publicJwk]);
    expect(jwt.jwks?.keys[0]).not.toHaveProperty('d');
  });

  it('names the file when it is invalid', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ clients: [{ client_id: 'x', scopes: ['a'] }] }));
    await expect(loadDemoClients({ kty: 'EC', kid: 'k' }, file)).rejects.toThrow(
      /bad\.json.*private_key_jwt/,
    );
    expect(() => findClient([], 'nobody')).toThrow(/nobody/);
  });
});
