import { readFile } from 'node:fs/promises';
import { type DevClient, validateDevClients } from './dev-clients.js';

/**
 * Reads and validates a clients file:
 * `{ "clients": [ { "client_id", "client_secret"?, "jwks"? | "jwk"?, "scopes": [...], "token_endpoint_auth_method"? } ] }`.
 */
export async function loadDevClients(path: string | URL): Promise<DevClient[]> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`${String(path)} is not valid JSON: ${(error as Error).message}`);
  }
  return validateDevClients(parsed);
}
