import { type BearerExtraction, type BearerLocations, findBearerToken, nodeRequest } from '@scopeguard/http';
import type { ScopeguardRequest } from './types.js';

export type { BearerExtraction, BearerLocations } from '@scopeguard/http';

/**
 * Finds the bearer token of an Express (or plain Node) request: `findBearerToken` of
 * `@scopeguard/http` over the request's headers (`rawHeaders` when present, so a repeated
 * `Authorization` header is malformed), target and parsed body. Only the `Authorization` header is read
 * unless the query or form-body locations are enabled; a token found in more than one enabled location
 * is malformed (RFC 6750 §2).
 */
export function extractBearerToken(
  req: ScopeguardRequest,
  locations: BearerLocations = {},
): BearerExtraction {
  return findBearerToken(nodeRequest(req), locations);
}
