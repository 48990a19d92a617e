import { readFile } from 'node:fs/promises';
import { type DevClient, validateDevClients } from '@scopeguard/testing';

/** The demo's clients file: `examples/demo-api/dev-clients.json`. */
export const DEV_CLIENTS_FILE = new URL('../dev-clients.json', import.meta.url);

/**
 * Reads the clients file and registers `publicJwk` for every `private_key_jwt` client that declares
 * no key (the demo generates that key pair at startup, so no private key lives in the repository).
 * Returns the validated clients; throws a `TypeError` naming the file on any mistake.
 */
export async function loadDemoClients(
  publicJwk: object,
  file: string | URL = DEV_CLIENTS_FILE,
): Promise<DevClient[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new TypeError(`${String(file)}: ${(error as Error).message}`);
  }
  const list = (parsed as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(list)) throw new TypeError(`${String(file)}: expected { "clients": [ ... ] }`);
  const clients = list.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const client = entry as Record<string, unknown>;
    const needsKey =
      client['token_endpoint_auth_method'] === 'private_key_jwt' &&
      client['jwk'] === undefined &&
      client['jwks'] === undefined;
    return needsKey ? { ...client, jwk: publicJwk } : client;
  });
  try {
    return validateDevClients(clients);
  } catch (error) {
    throw new TypeError(`${String(file)}: ${(error as Error).message}`);
  }
}

/** The client `clientId` of `clients`, or a `TypeError` saying the clients file lacks it. */
export function findClient(clients: readonly DevClient[], clientId: string): DevClient {
  const client = clients.find((candidate) => candidate.client_id === clientId);
  if (client === undefined) throw new TypeError(`dev-clients.json has no client "${clientId}"`);
  return client;
}
