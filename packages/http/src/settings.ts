import { ConfigError } from '@scopeguard/core';
import { type ResolvedResourceMetadata, resolveResourceMetadata } from './resource-metadata.js';
import { isValidRealm } from './rfc6750.js';
import {
  DEFAULT_SENDER_CONSTRAINTS,
  resolveSenderConstraints,
  type SenderConstraintSettings,
} from './sender-options.js';
import type { ErrorBodyFormatter, HttpOptions } from './types.js';

/** {@link HttpOptions} with defaults applied and validated. */
export interface ResolvedSettings<R = unknown> {
  readonly optional: boolean;
  readonly realm: string;
  readonly errorBody: ErrorBodyFormatter<R> | undefined;
  readonly allowQueryToken: boolean;
  readonly allowBodyToken: boolean;
  readonly retryAfter: number;
  readonly exposeErrorDetails: boolean;
  /** RFC 9728 metadata (URL, document settings), or undefined when off. */
  readonly resourceMetadata: ResolvedResourceMetadata | undefined;
  /** DPoP mode and proof checker, `htu` origin, client certificate source (`dpop`, `publicOrigin`, `clientCertificate`). */
  readonly senderConstraints: SenderConstraintSettings;
}

/** Names of the layer's own options, stripped before the rest goes to `createVerifier`. */
export const HTTP_OPTION_KEYS = [
  'optional',
  'realm',
  'errorBody',
  'allowQueryToken',
  'allowBodyToken',
  'retryAfter',
  'exposeErrorDetails',
  'resourceMetadata',
  'dpop',
  'publicOrigin',
  'clientCertificate',
] as const satisfies readonly (keyof HttpOptions)[];

/** The defaults. */
export const DEFAULT_SETTINGS: ResolvedSettings<unknown> = Object.freeze({
  optional: false,
  realm: 'api',
  errorBody: undefined,
  allowQueryToken: false,
  allowBodyToken: false,
  retryAfter: 10,
  exposeErrorDetails: false,
  resourceMetadata: undefined,
  senderConstraints: DEFAULT_SENDER_CONSTRAINTS,
});

/** The resource identifier of guard options: the given verifier's, or the `resource` verifier option. */
function resourceOf(options: object): string | undefined {
  const { resource, verifier } = options as { resource?: unknown; verifier?: { resource?: unknown } };
  const value = verifier?.resource ?? resource;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Applies `options` over `base` (the defaults, or the settings of an earlier authentication), and
 * validates them: throws `ConfigError` at startup for a realm RFC 6750 cannot carry, a bad
 * `retryAfter`, a non-function `errorBody` or an invalid `resourceMetadata`.
 */
export function resolveSettings<R = unknown>(
  options: HttpOptions<R>,
  base: ResolvedSettings<R> = DEFAULT_SETTINGS,
): ResolvedSettings<R> {
  const realm = options.realm ?? base.realm;
  if (typeof realm !== 'string' || !isValidRealm(realm)) {
    throw new ConfigError('realm', 'must be a string without ", \\ or control characters');
  }
  const retryAfter = options.retryAfter ?? base.retryAfter;
  if (!Number.isSafeInteger(retryAfter) || retryAfter < 0) {
    throw new ConfigError('retryAfter', 'must be a whole number of seconds, 0 or more');
  }
  const errorBody = options.errorBody ?? base.errorBody;
  if (errorBody !== undefined && typeof errorBody !== 'function') {
    throw new ConfigError('errorBody', 'must be a function');
  }
  // RFC 9728: resolved when these options name it or a resource (guard options); kept from `base` otherwise.
  const resource = resourceOf(options);
  const resourceMetadata =
    options.resourceMetadata !== undefined || resource !== undefined
      ? resolveResourceMetadata(options.resourceMetadata, resource)
      : base.resourceMetadata;
  return Object.freeze({
    optional: options.optional ?? base.optional,
    realm,
    errorBody,
    allowQueryToken: options.allowQueryToken ?? base.allowQueryToken,
    allowBodyToken: options.allowBodyToken ?? base.allowBodyToken,
    retryAfter,
    exposeErrorDetails: options.exposeErrorDetails ?? base.exposeErrorDetails,
    resourceMetadata,
    // The full options are read here (a `resource` or `{ verifier }` gives the DPoP `htu` origin).
    senderConstraints: resolveSenderConstraints(options, base.senderConstraints),
  });
}
