// Runs the README's createVerifier snippets exactly as written, so the README stays true. A snippet is the
// ```ts block right after a `<!-- snippet: NAME ... -->` comment; it is plain JavaScript (no type
// annotations), its imports are served from the modules this test imported, and it asserts what it shows.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as core from '@scopeguard/core';
import * as scopeguardExpress from '@scopeguard/express';
import * as testing from '@scopeguard/testing';
import express from 'express';
import { describe, expect, it } from 'vitest';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const MODULES: Record<string, unknown> = {
  'node:assert/strict': assert,
  '@scopeguard/core': core,
  '@scopeguard/testing': testing,
  '@scopeguard/express': scopeguardExpress,
  express,
};

/** The snippet named `name`: the code of the ```ts block that follows its marker comment. */
function snippet(name: string): string {
  const marker = README.indexOf(`<!-- snippet: ${name} `);
  if (marker < 0) throw new Error(`README has no snippet "${name}"`);
  const start = README.indexOf('```ts\n', marker);
  const end = README.indexOf('\n```', start + 6);
  if (start < 0 || end < 0 || README.slice(marker, start).includes('```')) {
    throw new Error(`README snippet "${name}" is not followed by a ts block`);
  }
  return README.slice(start + 6, end);
}

/** Turns the snippet's `import` lines into reads of {@link MODULES}, and runs it as an async function. */
async function run(code: string): Promise<void> {
  const body = code
    .split('\n')
    .map((line) => {
      const named = /^import \{ ([\w, ]+) \} from '([^']+)';$/.exec(line);
      if (named) return `const { ${named[1]} } = __modules[${JSON.stringify(named[2])}];`;
      const whole = /^import (\w+) from '([^']+)';$/.exec(line);
      if (whole)
        return `const ${whole[1]} = __modules[${JSON.stringify(whole[2])}].default ?? __modules[${JSON.stringify(whole[2])}];`;
      if (line.startsWith('import ')) throw new Error(`unsupported import in a README snippet: ${line}`);
      return line;
    })
    .join('\n');
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (modules: Record<string, unknown>) => Promise<void>;
  await new AsyncFunction('__modules', body)(MODULES);
}

describe('README: createVerifier snippets run as written', () => {
  it.each(['several-issuers', 'dynamic-tenants', 'resource'])('%s', async (name) => {
    const code = snippet(name);
    expect(code).toContain("from '@scopeguard/core'");
    await run(code);
  });

  it('resource-metadata (RFC 9728, through the Express adapter on loopback)', async () => {
    const code = snippet('resource-metadata');
    expect(code).toContain("from '@scopeguard/express'");
    await run(code);
  });
});
