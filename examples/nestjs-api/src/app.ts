import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

/** The two HTTP platforms of Nest the API runs on. */
export type Platform = 'express' | 'fastify';

/** Creates the API on `platform` (not listening yet). A bad configuration rejects with a `ConfigError`. */
export function createApp(platform: Platform, options: { logger?: false } = {}): Promise<INestApplication> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  return NestFactory.create(AppModule, adapter, { ...options, abortOnError: false });
}
