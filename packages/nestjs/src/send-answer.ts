import type { AbstractHttpAdapter } from '@nestjs/core';
import type { ResponseHeaders } from '@scopeguard/http';

/**
 * Sets the layer's headers on a Nest response through the platform's adapter (Express `res.set`, Fastify
 * `reply.header`), skipping `except`. A list (several `WWW-Authenticate` challenges) is sent as one field
 * line per entry, a one-entry list as a plain value, as `@scopeguard/express` does.
 */
export function setAnswerHeaders(
  adapter: AbstractHttpAdapter,
  response: unknown,
  headers: ResponseHeaders,
  except?: string,
): void {
  for (const name in headers) {
    if (name === except) continue;
    const value = headers[name] as string | readonly string[];
    // Typed `string` by Nest, but both platforms' adapters hand a list to Node's `setHeader`, which sends
    // one field line per entry.
    const sent = typeof value === 'string' || value.length !== 1 ? value : (value[0] as string);
    adapter.setHeader(response, name, sent as string);
  }
}
