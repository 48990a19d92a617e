import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ScopeguardException } from './exception.js';
import { setAnswerHeaders } from './send-answer.js';

/**
 * Sends a {@link ScopeguardException} exactly as `@scopeguard/express` would answer the same request:
 * status, `WWW-Authenticate` (one field line per challenge), `Retry-After`, `Cache-Control`,
 * `Content-Type` and the body as the HTTP layer rendered it (also a text or empty `errorBody`), through the
 * platform's own reply (Express `res.send`, Fastify `reply.send`, so its hooks still run).
 * `ScopeguardModule` registers it as a global filter (`APP_FILTER`); a filter of yours bound closer to the
 * route, or registered later with `app.useGlobalFilters()`, sees the exception first.
 */
@Catch(ScopeguardException)
export class ScopeguardExceptionFilter implements ExceptionFilter<ScopeguardException> {
  private readonly adapterHost: HttpAdapterHost;

  constructor(@Inject(HttpAdapterHost) adapterHost: HttpAdapterHost) {
    this.adapterHost = adapterHost;
  }

  /** Writes the exception's answer on the HTTP response. */
  catch(exception: ScopeguardException, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    const answer = exception.answer;
    setAnswerHeaders(adapter, response, answer.headers);
    if (answer.body === undefined) adapter.setHeader(response, 'Content-Length', '0');
    adapter.reply(response, answer.body, answer.status);
  }
}
