// oidc-provider ships no type declarations (and `@types/oidc-provider` is not installed): this is the
// small part of its API the interop tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The provider's configuration; see oidc-provider's docs/README.md. */
  export type Configuration = Record<string, unknown>;

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    /** The issuer identifier. */
    readonly issuer: string;
    /** A node:http request listener serving every endpoint of the provider. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export namespace errors {
    /** `invalid_target` (RFC 8707): the requested resource is unknown or not allowed. */
    class InvalidTarget extends Error {
      constructor(description?: string);
    }
  }
}
