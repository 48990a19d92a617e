// How cost grows (issue 16): scopeguard's verify cost against the size of what it is given. Every row is
// CPU time per verification, rows interleaved in batches (bench/lib/interleave.mjs), tokens signed here
// with node:crypto and keys served by a loopback JWKS endpoint of our own, so each dimension moves alone:
// - JWK Sets of 1, 10 and 100 keys (the token names the last kid; RS256, distinct tokens, cache off);
// - tokens of about 0.5, 2 and 8 KB (more claims, longer scope lists; RS256, cache off), each beside the
//   check-free reference on the same tokens (split, decode, JSON.parse, crypto.verify), so growth that
//   parsing itself causes is told apart from growth our checks add;
// - the verified-token cache's hit cost as it holds 1, 10, 100, 1,000 and 10,000 entries (EdDSA tokens,
//   every hit a different token cycling through the entries, as the Express rotating row does);
// - heap per cached token (in this process, after a forced GC);
// - 1, 10 and 100 trusted issuers: the several-issuers section (reused, not measured again).
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createVerifier } from '@scopeguard/core';
import { assertAccepts } from '../lib/common.mjs';
import { interleavedRates } from '../lib/interleave.mjs';
import { referenceVerify } from '../lib/tokens.mjs';

const AUDIENCE = 'api://default';

/** A loopback JWKS endpoint: GET /<name> answers the key set registered under that name. */
async function jwksServer() {
  const sets = new Map();
  const server = createServer((req, res) => {
    const body = sets.get(req.url.slice(1));
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    publish(name, keys) {
      sets.set(name, JSON.stringify({ keys }));
      return `${base}/${name}`;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Okta-shaped claims, distinct through `jti` and `uid`; `extra` claims and `scopes` grow the token. */
function claims(issuer, i, { scopes = ['customScope'], extra = {} } = {}) {
  const iat = Math.floor(Date.now() / 1000);
  return {
    ver: 1,
    jti: `AT.${i.toString(36).padStart(10, '0')}${'x'.repeat(22)}`,
    iss: issuer,
    aud: AUDIENCE,
    iat,
    exp: iat + 3600,
    cid: '0oatestclient0000001',
    uid: `00u${i.toString(36).padStart(8, '0')}`,
    scp: scopes,
    sub: '0oatestclient0000001',
    ...extra,
  };
}

function signToken(alg, privateKey, kid, payload) {
  const header = Buffer.from(JSON.stringify({ alg, kid, typ: 'JWT' })).toString('base64url');
  const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** Claims that bring an Okta-shaped token to about `bytes` characters: scopes and custom claims. */
function padding(bytes) {
  const base = 620; // an RS256 token with the claims above and one scope
  if (bytes <= base) return {};
  // Half the extra goes to scopes (an application with many permissions), half to custom claims.
  const scopeCount = Math.max(1, Math.round((bytes - base) / 2 / 1.33 / 24));
  const scopes = Array.from({ length: scopeCount }, (_, i) => `api.resource${i}.read_write`);
  scopes[0] = 'customScope';
  const claimCount = Math.max(1, Math.round((bytes - base) / 2 / 1.33 / 40));
  const extra = {};
  for (let i = 0; i < claimCount; i++) extra[`custom_claim_${i}`] = `value-${i}-${'v'.repeat(16)}`;
  return { scopes, extra };
}

const warm = (verifier, tokens, name) => assertAccepts(name, () => verifier.verify(tokens[0]), 15_000);

const gc = (() => {
  if (globalThis.gc) return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
})();

/** Heap bytes per cached entry: a verifier that caches `count` tokens vs the same without a cache. */
async function heapPerEntry(makeVerifier, tokens) {
  const fill = async (cache) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const verifier = makeVerifier(cache);
    for (const token of tokens) await verifier.verify(token);
    gc();
    const after = process.memoryUsage().heapUsed;
    return { verifier, bytes: after - before };
  };
  const off = await fill(false);
  const on = await fill(true);
  // Keep both verifiers alive until both were measured.
  if (!off.verifier || !on.verifier) throw new Error('unreachable');
  return (on.bytes - off.bytes) / tokens.length;
}

export async function costGrowth(config, log) {
  const server = await jwksServer();
  try {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaJwk = rsa.publicKey.export({ format: 'jwk' });
    const n = config.distinctTokens;
    const variants = [];

    // JWK Sets of 1, 10 and 100 keys: distinct kids (each its own imported key), the token names the last.
    for (const size of [1, 10, 100]) {
      const issuer = `${server.base}/keys-${size}`;
      const keys = Array.from({ length: size }, (_, k) => ({
        ...rsaJwk,
        kid: `key-${k}`,
        alg: 'RS256',
        use: 'sig',
      }));
      const jwksUri = server.publish(`keys-${size}.json`, keys);
      const kid = `key-${size - 1}`;
      const tokens = Array.from({ length: n }, (_, i) =>
        signToken('RS256', rsa.privateKey, kid, claims(issuer, i)),
      );
      const verifier = createVerifier({
        issuer,
        audience: AUDIENCE,
        jwksUri,
        algorithms: ['RS256'],
        cache: false,
      });
      await warm(verifier, tokens, `JWKS of ${size}`);
      variants.push({
        group: 'jwks',
        x: size,
        name: `JWK Set of ${size} key${size === 1 ? '' : 's'}`,
        run: (i) => verifier.verify(tokens[i % n]),
      });
      if (size === 1) {
        const control = createVerifier({
          issuer,
          audience: AUDIENCE,
          jwksUri,
          algorithms: ['RS256'],
          cache: false,
        });
        await warm(control, tokens, 'control');
        variants.push({
          group: 'control',
          x: size,
          name: 'control: JWK Set of 1 key again (a second, identical verifier)',
          run: (i) => control.verify(tokens[i % n]),
        });
      }
    }

    // Tokens of about 0.5, 2 and 8 KB.
    const tokenSizes = [];
    {
      const issuer = `${server.base}/sizes`;
      const jwksUri = server.publish('sizes.json', [
        { ...rsaJwk, kid: 'size-key', alg: 'RS256', use: 'sig' },
      ]);
      for (const bytes of [512, 2048, 8192]) {
        const pad = padding(bytes);
        const tokens = Array.from({ length: n }, (_, i) =>
          signToken('RS256', rsa.privateKey, 'size-key', claims(issuer, i, pad)),
        );
        const verifier = createVerifier({
          issuer,
          audience: AUDIENCE,
          jwksUri,
          algorithms: ['RS256'],
          cache: false,
        });
        await warm(verifier, tokens, `${bytes}-byte tokens`);
        const length = tokens[0].length;
        tokenSizes.push(length);
        variants.push({
          group: 'size',
          x: length,
          name: `token of ${length.toLocaleString('en-US')} characters`,
          run: (i) => verifier.verify(tokens[i % n]),
        });
        variants.push({
          group: 'size-reference',
          x: length,
          name: `reference (no checks), ${length.toLocaleString('en-US')} characters`,
          run: referenceVerify(tokens, 'sha256', rsa.publicKey),
        });
      }
    }

    // The verified-token cache holding 1 … 10,000 entries; every hit a different token, cycling.
    const ed = generateKeyPairSync('ed25519');
    const edIssuer = `${server.base}/cache`;
    const edJwks = server.publish('cache.json', [
      { ...ed.publicKey.export({ format: 'jwk' }), kid: 'cache-key', alg: 'EdDSA', use: 'sig' },
    ]);
    const most = config.cacheEntries[config.cacheEntries.length - 1];
    const cacheTokens = Array.from({ length: most }, (_, i) =>
      signToken('EdDSA', ed.privateKey, 'cache-key', claims(edIssuer, i)),
    );
    const cached = (cache) =>
      createVerifier({
        issuer: edIssuer,
        audience: AUDIENCE,
        jwksUri: edJwks,
        algorithms: ['EdDSA'],
        cache: cache ? { maxEntries: most } : false,
      });
    for (const entries of config.cacheEntries) {
      const verifier = cached(true);
      for (let i = 0; i < entries; i++) await verifier.verify(cacheTokens[i]);
      variants.push({
        group: 'cache',
        x: entries,
        name: `cache hit, ${entries.toLocaleString('en-US')} entr${entries === 1 ? 'y' : 'ies'} in turn`,
        run: (i) => verifier.verify(cacheTokens[i % entries]),
        batch: 1024,
      });
    }

    log(`  cost growth: ${variants.length} rows × ${config.runs} runs × ${config.runMs} ms (interleaved)`);
    const rates = await interleavedRates(variants, config);
    const rows = variants.map((variant, index) => ({ ...variant, run: undefined, ...rates[index] }));

    log('  heap per cached token');
    const bytesPerEntry = await heapPerEntry(cached, cacheTokens);

    const spreadOf = (values) => Math.max(...values) / Math.min(...values) - 1;
    const group = (name) => rows.filter((row) => row.group === name);
    const control = rows.find((row) => row.group === 'control');
    const first = group('jwks')[0];
    const noise = Math.abs(control.cpuMicros / first.cpuMicros - 1);
    const FLAT = 0.05;
    const verdictOf = (list) => {
      const spread = spreadOf(list.map((row) => row.cpuMicros));
      const last = list[list.length - 1].cpuMicros / list[0].cpuMicros;
      return { spread, last, flat: spread <= Math.max(FLAT, 2 * noise) };
    };
    const size = group('size');
    const sizeRef = group('size-reference');
    const kb = (row) => row.x / 1024;
    const slope = (list) =>
      (list[list.length - 1].cpuMicros - list[0].cpuMicros) / (kb(list[list.length - 1]) - kb(list[0]));
    return {
      rows,
      noise,
      flatWithin: Math.max(FLAT, 2 * noise),
      jwks: verdictOf(group('jwks')),
      cache: verdictOf(group('cache')),
      size: { ...verdictOf(size), perKb: slope(size), referencePerKb: slope(sizeRef) },
      tokenSizes,
      bytesPerEntry,
      cacheTokenLength: cacheTokens[0].length,
      entries: most,
    };
  } finally {
    await server.close();
  }
}
