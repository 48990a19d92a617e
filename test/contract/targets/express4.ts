import { createRequire } from 'node:module';
import type express from 'express';
import type { ContractTarget } from '../harness.js';
import { expressTarget } from './express5.js';

// Express 4 is installed under the alias `express4` and ships no types; its API is typed with Express 5's,
// which is what the adapter must be compatible with anyway (as in packages/express/src/express.test.ts).
const express4 = createRequire(import.meta.url)('express4') as typeof express;

/** The same app as `express5.ts`, on Express 4. */
export const target: ContractTarget = expressTarget('express4', express4);
