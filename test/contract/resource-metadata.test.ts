/**
 * RFC 9728 (OAuth 2.0 Protected Resource Metadata) across every adapter: each target in `targets/`, given
 * a `resource`, serves the metadata document at `/.well-known/oauth-protected-resource<path of resource>`
 * (GET and HEAD, no token needed) and puts `resource_metadata="<that URL>"` on its 401 and 403
 * challenges; with `resourceMetadata: false` it does neither. The document advertises only what the user
 * chose (or what routes require): never an audience, a key URL or other configuration.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenges } from './challenges.js';
import type { ContractApp, ContractConfig, ContractTarget } from './harness.js';
import { send } from './http-client.js';

const TARGETS_DIR = fileURLToPath(new URL('./targets/', import.meta.url));
const targets: ContractTarget[] = [];
for (const file of readdirSync(TARGETS_DIR)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .sort()) {
  const module = (await import(pathToFileURL(join(TARGETS_DIR, file)).href)) as { target: ContractTarget };
  targets.push(module.target);
}

/** The resource: loopback http (allowed for development), with a path. */
const RESOURCE = 'http://127.0.0.1/contract-api';
const PATH = '/.well-known/oauth-protected-resource/contract-api';
const METADATA_URL = `http://127.0.0.1${PATH}`;
/** A second accepted audience, which the document must never tell. */
const HIDDEN_AUDIENCE = 'api://hidden-contract-audience';
/** The one accepted client id, which the document must never tell either. */
const CLIENT = 'hidden-contract-client';
/** Targets with no route table to collect scopes from (they advertise configured scopes only). */
const NO_ROUTE_TABLE = new Set(['fetch-node']);

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await issuer?.close();
});

function config(extra: Partial<ContractConfig> = {}): ContractConfig {
  return {
    issuer: issuer.issuer,
    audience: [RESOURCE, HIDDEN_AUDIENCE],
    resource: RESOURCE,
    jwksUri: issuer.jwksUri,
    clientIds: [CLIENT],
    ...extra,
  };
}

/** The `resource_metadata` parameter of the Bearer challenge of a response. */
function resourceMetadataOf(values: readonly string[]): string | undefined {
  const bearer = parseChallenges(values).find((c) => c.scheme.toLowerCase() === 'bearer');
  return bearer?.params['resource_metadata'];
}

it('finds every target', () => {
  expect(targets.map((t) => t.name)).toEqual(expect.arrayContaining(['express4', 'express5', 'koa']));
});

for (const target of targets) {
  describe(target.name, () => {
    let on: ContractApp;
    let off: ContractApp;

    beforeAll(async () => {
      on = await target.start(config());
      off = await target.start(config({ resourceMetadata: false }));
    });

    afterAll(async () => {
      await Promise.all([on?.close(), off?.close()]);
    });

    it('serves the document: resource, trusted issuer, the routes’ scopes, header, JSON, max-age', async () => {
      const res = await send(on.url, { path: PATH });
      expect(res.status, res.everything).toBe(200);
      expect(res.header('content-type')[0]).toMatch(/^application\/json(;|$)/);
      expect(res.header('cache-control')).toEqual(['max-age=3600']);
      const expected: Record<string, unknown> = {
        resource: RESOURCE,
        authorization_servers: [issuer.issuer],
        bearer_methods_supported: ['header'],
      };
      if (!NO_ROUTE_TABLE.has(target.name)) expected['scopes_supported'] = ['customScope', 'read', 'write'];
      expect(JSON.parse(res.body)).toEqual(expected);
    });

    it('tells nothing of the configuration it was not asked to advertise', async () => {
      const res = await send(on.url, { path: PATH });
      for (const secret of [HIDDEN_AUDIENCE, CLIENT, issuer.jwksUri]) {
        expect(res.everything).not.toContain(secret);
      }
    });

    it('answers HEAD with the headers and no body', async () => {
      const res = await fetch(`${on.url}${PATH}`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('max-age=3600');
      expect(await res.text()).toBe('');
    });

    it('puts resource_metadata on the 401 without a token', async () => {
      const res = await send(on.url, { path: '/me' });
      expect(res.status).toBe(401);
      expect(resourceMetadataOf(res.header('www-authenticate'))).toBe(METADATA_URL);
    });

    it('puts resource_metadata on the 401 invalid_token and on the 403 insufficient_scope', async () => {
      const foreign = await issuer.mint({ aud: 'https://elsewhere.example.com' });
      const invalid = await send(on.url, { path: '/me', headers: [['authorization', `Bearer ${foreign}`]] });
      expect(invalid.status).toBe(401);
      expect(resourceMetadataOf(invalid.header('www-authenticate'))).toBe(METADATA_URL);
      const token = await issuer.mint({ aud: RESOURCE, cid: CLIENT }, { scopes: ['profile'] });
      const forbidden = await send(on.url, {
        path: '/scoped',
        headers: [['authorization', `Bearer ${token}`]],
      });
      expect(forbidden.status).toBe(403);
      const [bearer] = parseChallenges(forbidden.header('www-authenticate'));
      expect(bearer?.params['scope']).toBe('customScope');
      expect(bearer?.params['resource_metadata']).toBe(METADATA_URL);
      const allowed = await send(on.url, {
        path: '/scoped',
        headers: [
          [
            'authorization',
            `Bearer ${await issuer.mint({ aud: RESOURCE, cid: CLIENT }, { scopes: ['customScope'] })}`,
          ],
        ],
      });
      expect(allowed.status).toBe(200);
    });

    it('with resourceMetadata: false, serves no document and adds no resource_metadata', async () => {
      const res = await send(off.url, { path: PATH });
      expect(res.status).not.toBe(200);
      expect(res.body).not.toContain(RESOURCE);
      const none = await send(off.url, { path: '/me' });
      expect(none.status).toBe(401);
      expect(resourceMetadataOf(none.header('www-authenticate'))).toBeUndefined();
    });
  });
}
