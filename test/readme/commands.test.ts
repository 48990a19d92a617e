// The README opens with two commands, one for the demo and one for the tests; CI runs the second through
// .ci/run on a fresh clone. This keeps the README's lines and what CI runs the same text.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The commands of the README's first code block (comments after `#` removed). */
function openingCommands(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('```');
  expect(readme.slice(0, start).trim()).toBe('# scopeguard'); // nothing but the title comes before them
  expect(readme.slice(start, start + 6)).toBe('```sh\n');
  const end = readme.indexOf('\n```', start + 6);
  return readme
    .slice(start + 6, end)
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim());
}

describe('README: the two opening commands', () => {
  it('are the demo and the test command, each installing first', () => {
    expect(openingCommands()).toEqual([
      'npx -y pnpm@10 install --frozen-lockfile && npx -y pnpm@10 demo',
      'npx -y pnpm@10 install --frozen-lockfile && npx -y pnpm@10 test',
    ]);
  });

  it('the test command is exactly what .ci/run runs', () => {
    const ci = read('.ci/run')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(ci.at(-1)).toBe(openingCommands()[1]);
  });

  it('name scripts that package.json defines', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(['demo', 'test']));
  });
});
