import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './workspace.js';

/**
 * The README snippets that `consumers.test.ts` runs as written, from the packed tarballs (issue 13: "each
 * adapter's README snippet runs as written in a throwaway project that installs the packed tarballs").
 * A snippet is the ```ts block right after a `<!-- snippet: NAME ... -->` comment in its README. It is
 * compiled by the workspace's TypeScript inside the throwaway project (so its types are the published
 * `.d.ts`) and run under `snippet-harness.mjs`, which serves the issuer it names and moves its port to 0.
 */
export interface ReadmeSnippet {
  /** The README, relative to the workspace root. */
  readme: string;
  /** The marker's name. */
  name: string;
  /** How it runs: an app that listens, or a Next.js route handler module exporting `GET`. */
  kind: 'server' | 'route-handler';
  /** Extra environment of the run (the env-configured snippets). */
  env?: Record<string, string>;
}

/** The issuer and audience every snippet names; the harness serves that issuer. */
export const SNIPPET_ENV = {
  SCOPEGUARD_ISSUER: 'https://example.okta.com/oauth2/default',
  SCOPEGUARD_AUDIENCE: 'api://default',
};

export const README_SNIPPETS: readonly ReadmeSnippet[] = [
  { readme: 'README.md', name: 'env-quick-start', kind: 'server', env: SNIPPET_ENV },
  { readme: 'README.md', name: 'quick-start', kind: 'server' },
  { readme: 'README.md', name: 'fail-at-startup', kind: 'server' },
  { readme: 'packages/express/README.md', name: 'quick-start', kind: 'server' },
  { readme: 'packages/fastify/README.md', name: 'quick-start', kind: 'server' },
  { readme: 'packages/koa/README.md', name: 'quick-start', kind: 'server' },
  { readme: 'packages/hono/README.md', name: 'quick-start', kind: 'server' },
  { readme: 'packages/fetch/README.md', name: 'quick-start', kind: 'route-handler' },
  { readme: 'packages/nestjs/README.md', name: 'quick-start', kind: 'server' },
];

/** What the snippets import besides the tarballs and their framework peers, at the workspace's versions. */
export const SNIPPET_DEPENDENCIES = ['@koa/router', '@hono/node-server', '@nestjs/platform-express'];

/** The code of the snippet `name` in `readme`: the ```ts block that follows its marker comment. */
export function readmeSnippet(readme: string, name: string): string {
  const text = readFileSync(join(root, readme), 'utf8');
  const marker = text.indexOf(`<!-- snippet: ${name} `);
  if (marker < 0) throw new Error(`${readme} has no snippet "${name}"`);
  const start = text.indexOf('```ts\n', marker);
  const end = text.indexOf('\n```', start + 6);
  if (start < 0 || end < 0 || text.slice(marker, start).includes('```')) {
    throw new Error(`${readme} snippet "${name}" is not followed by a ts block`);
  }
  return `${text.slice(start + 6, end)}\n`;
}

/** A file name for the snippet inside the throwaway project: `packages-koa-quick-start`. */
export function snippetFile(snippet: ReadmeSnippet): string {
  const base = snippet.readme === 'README.md' ? 'root' : snippet.readme.replace(/\/README\.md$/, '');
  return `${base.replace(/\W+/g, '-')}-${snippet.name}`;
}
