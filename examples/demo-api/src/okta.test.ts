import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOktaCheck, tamperSignature } from './okta.js';

// The Okta check is exercised against the dev authorization server standing in for an Okta org.
const SECRET = 'okta-check-secret-value-0123456789';
let server: DevAuthorizationServer;

beforeAll(async () => {
  server = await createDevAuthorizationServer({
    clients: [
      { client_id: '0oareader', client_secret: SECRET, scopes: ['customScope'] },
      { client_id: '0oawriter', client_secret: SECRET, scopes: ['customScope', 'messages:write'] },
    ],
  });
});

afterAll(async () => {
  await server?.close();
});

const env = (clientId: string, extra: Record<string, string> = {}) => ({
  SCOPEGUARD_ISSUER: server.issuer,
  SCOPEGUARD_AUDIENCE: 'api://default',
  OKTA_CLIENT_ID: clientId,
  OKTA_CLIENT_SECRET: SECRET,
  ...extra,
});

describe('runOktaCheck', () => {
  it('passes with a customScope-only client (write refused with 403)', async () => {
    const lines: string[] = [];
    const result = await runOktaCheck(env('0oareader'), { write: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    expect(result.steps.map((step) => step.status)).toEqual([401, 200, 200, 403, 401]);
    const text = lines.join('\n');
    expect(text).toContain('✓ 5/5 steps as expected');
    expect(text).not.toContain(SECRET);
  });

  it('expects 201 on write when messages:write is granted', async () => {
    const result = await runOktaCheck(env('0oawriter', { OKTA_SCOPE: 'customScope messages:write' }), {
      write: () => {},
    });
    expect(result.ok).toBe(true);
    expect(result.steps.map((step) => step.status)).toEqual([401, 200, 200, 201, 401]);
  });

  it('fails (without throwing) when the client is refused', async () => {
    const lines: string[] = [];
    const result = await runOktaCheck(
      { ...env('0oareader'), OKTA_CLIENT_SECRET: 'not-the-right-secret-0000' },
      { write: (line) => lines.push(line) },
    );
    expect(result.ok).toBe(false);
    expect(lines.join('\n')).toContain('invalid_client');
    expect(lines.join('\n')).not.toContain('not-the-right-secret-0000');
  });

  it('reports a missing variable by name', async () => {
    const lines: string[] = [];
    const result = await runOktaCheck(
      { SCOPEGUARD_ISSUER: server.issuer },
      { write: (line) => lines.push(line) },
    );
    expect(result.ok).toBe(false);
    expect(result.configError).toMatch(/SCOPEGUARD_AUDIENCE/);
  });
});

describe('tamperSignature', () => {
  it('changes exactly one signature character', () => {
    const token = 'aaa.bbb.ccccAcccc';
    const tampered = tamperSignature(token);
    expect(tampered).not.toBe(token);
    expect(tampered.slice(0, 8)).toBe('aaa.bbb.');
    expect([...tampered].filter((char, index) => char !== token[index])).toHaveLength(1);
  });
});
