import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { ContractTarget } from '../harness.js';
import { startNestContractApp } from './nestjs-express.js';

/** NestJS on `@nestjs/platform-fastify` with `@scopeguard/nestjs`'s global guard (same app as `nestjs-express`). */
export const target: ContractTarget = {
  name: 'nestjs-fastify',
  start: (config) => startNestContractApp(config, new FastifyAdapter()),
};
