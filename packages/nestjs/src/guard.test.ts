import { Controller, type ExecutionContext, Get } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { Public } from './decorators.js';
import { ScopeguardGuard } from './guard.js';
import { createScopeguardConfig } from './options.js';

@Controller()
class RpcLikeController {
  @Get('guarded')
  guarded() {}

  @Get('open')
  @Public()
  open() {}
}

/** An execution context of another kind than HTTP (a microservice or WebSocket handler). */
function context(type: string, handler: () => void): ExecutionContext {
  return {
    getType: () => type,
    getClass: () => RpcLikeController,
    getHandler: () => handler,
    switchToHttp: () => {
      throw new Error('not an HTTP context');
    },
  } as unknown as ExecutionContext;
}

describe('ScopeguardGuard outside HTTP', () => {
  const guard = new ScopeguardGuard(
    new Reflector(),
    new HttpAdapterHost(),
    createScopeguardConfig({ issuer: 'https://issuer.example.com', audience: 'api://default' }),
  );

  it('refuses (throws) in an RPC or WebSocket context rather than letting the call through', () => {
    const prototype = RpcLikeController.prototype;
    expect(() => guard.canActivate(context('rpc', prototype.guarded))).toThrow(/guards HTTP routes.*"rpc"/);
    expect(() => guard.canActivate(context('ws', prototype.guarded))).toThrow(/"ws" handler/);
  });

  it('lets a @Public() handler through in any context', () => {
    expect(guard.canActivate(context('rpc', RpcLikeController.prototype.open))).toBe(true);
  });
});
