import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  installConsumer,
  packAll,
  run,
  type Tarball,
  workspaceBin,
  workspaceVersion,
} from './workspace.js';

// The Express peer range claims Express 4 from some version on; this installs exactly that oldest claimed
// version (and the matching @types/express 4.17) next to the packed packages and runs a guarded route
// through it. The Express 5 side is covered by the rest of the suite (the workspace uses Express 5).
const OLDEST_EXPRESS_4_WE_MUST_SUPPORT = '4.17.0';
const TYPES_EXPRESS_4 = '4.17.25';
let work: string;
let project: string;
let oldest: string;

/** The lowest Express 4 version the range admits (`^4.17.0 || ^5.0.0` → `4.17.0`). */
function oldestExpress4(range: string): string {
  const comparator = range
    .split('||')
    .map((part) => part.trim())
    .find((part) => /^(\^|>=|~)?4\./.test(part));
  if (!comparator || comparator.includes(' ')) {
    throw new Error(`cannot read the oldest Express 4 version from the peer range "${range}"`);
  }
  return comparator.replace(/^(\^|>=|~)/, '');
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let index = 0; index < 3; index += 1) {
    const difference = (x?.[index] ?? 0) - (y?.[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

let express: Tarball;
beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'scopeguard-express4-'));
  project = join(work, 'project');
  const tarballs = packAll(work);
  const found = tarballs.find((tarball) => tarball.name === '@scopeguard/express');
  if (!found) throw new Error('no @scopeguard/express tarball');
  express = found;
  const range = (express.manifest['peerDependencies'] as Record<string, string>)['express'] ?? '';
  oldest = oldestExpress4(range);
  // npm refuses (ERESOLVE) an express outside the peer range, so this install is itself a check.
  installConsumer(project, tarballs, {
    express: oldest,
    '@types/express': TYPES_EXPRESS_4,
    '@types/node': workspaceVersion('@types/node') ?? '20',
  });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('@scopeguard/express on the oldest Express 4 its peer range claims', { timeout: 180_000 }, () => {
  it(`claims Express 4 from ${OLDEST_EXPRESS_4_WE_MUST_SUPPORT} or earlier, and Express 5`, () => {
    expect(compareVersions(oldest, OLDEST_EXPRESS_4_WE_MUST_SUPPORT)).toBeLessThanOrEqual(0);
    const range = (express.manifest['peerDependencies'] as Record<string, string>)['express'];
    expect(range).toMatch(/\^5\.0\.0/);
  });

  it('answers 401, 403 and 200 through the packed middleware, required from CommonJS', () => {
    const file = join(project, 'express4.cjs');
    writeFileSync(
      file,
      `const express = require('express');
const { authenticate, requireScope } = require('@scopeguard/express');
const { createTestIssuer } = require('@scopeguard/testing');
(async () => {
  const issuer = await createTestIssuer();
  const app = express();
  app.use(authenticate({ issuer: issuer.issuer, audience: 'api://default' }));
  app.get('/messages', requireScope('customScope'), (req, res) => res.json({ client: req.auth.clientId }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = 'http://127.0.0.1:' + server.address().port + '/messages';
  const call = async (token) => {
    const response = await fetch(url, token ? { headers: { authorization: 'Bearer ' + token } } : {});
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.text() };
  };
  const results = {
    express: require('express/package.json').version,
    none: await call(),
    otherScope: await call(await issuer.mint({ scp: ['other'] })),
    good: await call(await issuer.mint({ scp: ['customScope'], cid: 'svc' })),
  };
  server.close();
  await issuer.close();
  console.log(JSON.stringify(results));
})().catch((error) => { console.error(error); process.exit(1); });
`,
    );
    const result = run(process.execPath, [file], { cwd: project });
    expect(result.stderr).toBe('');
    const answers = JSON.parse(result.stdout);
    expect(answers.express).toBe(oldest);
    expect(answers.none).toMatchObject({ status: 401, challenge: expect.stringMatching(/^Bearer /) });
    expect(answers.otherScope).toMatchObject({
      status: 403,
      challenge: expect.stringContaining('error="insufficient_scope"'),
    });
    expect(answers.good).toEqual({ status: 200, challenge: null, body: '{"client":"svc"}' });
  });

  it('typechecks an Express 4 app (@types/express 4.17) with skipLibCheck: false', () => {
    writeFileSync(
      join(project, 'app.cts'),
      `import express = require('express');
import { authenticate, requireScope } from '@scopeguard/express';
const app = express();
app.use(authenticate({ issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' }));
app.get('/messages', requireScope('customScope'), (req, res) => {
  res.json({ client: req.auth?.clientId });
});
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          target: 'ES2022',
          strict: true,
          skipLibCheck: false,
          skipDefaultLibCheck: true,
          noEmit: true,
          types: ['node'],
        },
        files: ['app.cts'],
      }),
    );
    const result = run(process.execPath, [workspaceBin('typescript/bin/tsc'), '-p', '.'], { cwd: project });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
