import { type HttpRequest, type NodeRequestLike, nodeRequest } from '@scopeguard/http';
import type { ScopeguardRequest } from './types.js';

/**
 * Describes a Nest HTTP request for the layer, copying nothing: on Fastify, Node's request is
 * `request.raw` and the parsed body is `request.body`; on Express, the request is Node's request.
 * Headers are read from `rawHeaders`, so a repeated `Authorization` header is seen (and refused).
 */
export function nestHttpRequest(request: ScopeguardRequest): HttpRequest {
  const raw = request.raw;
  return raw === undefined
    ? nodeRequest(request as NodeRequestLike)
    : nodeRequest(raw, { body: request.body });
}
