import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Module,
  Post,
} from '@nestjs/common';
import { type AbstractHttpAdapter, APP_FILTER, BaseExceptionFilter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import {
  Auth,
  type AuthInfo,
  Public,
  RequireAnyScope,
  RequireScope,
  ScopeguardModule,
} from '@scopeguard/nestjs';
import { type ContractApp, type ContractConfig, type ContractTarget, meBody } from '../harness.js';

/** The contract's routes, with `@scopeguard/nestjs`'s decorators as its README shows them. */
@Controller()
class ContractController {
  @Get('health')
  @Public()
  health() {
    return { ok: true };
  }

  @Get('me')
  me(@Auth() auth: AuthInfo | undefined) {
    return meBody(auth);
  }

  @Post('me')
  @HttpCode(200)
  postMe(@Auth() auth: AuthInfo | undefined) {
    return meBody(auth);
  }

  @Get('scoped')
  @RequireScope('customScope')
  scoped(@Auth() auth: AuthInfo) {
    return meBody(auth);
  }

  @Get('any-scope')
  @RequireAnyScope('read', 'write')
  anyScope(@Auth() auth: AuthInfo) {
    return meBody(auth);
  }
}

/**
 * The application's own error handling: an unexpected error (not an `HttpException`) is a 500
 * `{ "error": "server_error" }`; HTTP exceptions get Nest's usual answer. Registered in the application
 * module, it comes after `ScopeguardModule`'s filter, which sends scopeguard's refusals.
 */
@Catch()
class ServerErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException) {
      super.catch(exception, host);
      return;
    }
    const adapter = this.httpAdapterHost?.httpAdapter as AbstractHttpAdapter;
    adapter.reply(host.switchToHttp().getResponse(), { error: 'server_error' }, 500);
  }
}

/** Starts the contract app on Nest with `adapter` (Express or Fastify) on 127.0.0.1:0. */
export async function startNestContractApp(
  config: ContractConfig,
  adapter: AbstractHttpAdapter,
): Promise<ContractApp> {
  @Module({
    imports: [ScopeguardModule.forRoot({ ...config, globalGuard: true })],
    controllers: [ContractController],
    providers: [{ provide: APP_FILTER, useClass: ServerErrorFilter }],
  })
  class AppModule {}

  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => app.close(),
  };
}

/** NestJS on `@nestjs/platform-express` with `@scopeguard/nestjs`'s global guard. */
export const target: ContractTarget = {
  name: 'nestjs-express',
  start: (config) => startNestContractApp(config, new ExpressAdapter()),
};
