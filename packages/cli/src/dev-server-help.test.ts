import { DEFAULT_SCOPES, SIGNING_ALGORITHMS } from '@scopeguard/testing';
import { expect, it } from 'vitest';
import { DEV_SERVER_HELP } from './dev-server-help.js';

it('names every signing algorithm and the default scope the dev server really uses', () => {
  expect(DEV_SERVER_HELP).toContain(
    `--alg ALG              signing algorithm: ${SIGNING_ALGORITHMS.join(', ')}`,
  );
  expect(DEV_SERVER_HELP).toContain(`scope ${DEFAULT_SCOPES.join(' ')})`);
});
