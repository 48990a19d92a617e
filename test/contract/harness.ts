import type { VerifierOptions } from '@scopeguard/core';
import type { HttpOptions } from '@scopeguard/http';

/**
 * The one HTTP contract every adapter must pass (issue 13). The runner (`contract.test.ts`) starts each
 * target's app on 127.0.0.1:0 with real HTTP and plays the same table of requests against it. A target is
 * one file in `test/contract/targets/` exporting `target: ContractTarget`; the runner finds them by listing
 * that folder, so adding an adapter is adding a file.
 *
 * Every app serves the same routes, built with the adapter's own public API, as its README shows them:
 *
 * | route | guard | 200 body |
 * | --- | --- | --- |
 * | `GET /health` | none | `{ "ok": true }` |
 * | `GET /me` | authenticated (any valid token; with `optional`, none needed) | {@link MeBody} |
 * | `GET /scoped` | authenticated + every scope of `requireScope('customScope')` | {@link MeBody} |
 * | `GET /any-scope` | authenticated + one of `requireAnyScope('read', 'write')` | {@link MeBody} |
 * | `POST /me` | as `GET /me`, for form-body tokens when `allowBodyToken` is on (the app parses
 *   `application/x-www-form-urlencoded` bodies the framework's usual way) | {@link MeBody} |
 *
 * Anything the adapter refuses is answered by the adapter (status, `WWW-Authenticate`, `Retry-After`,
 * `Cache-Control`, JSON body `{ error, error_description }`) through the framework's normal response path.
 * An unexpected error goes to the framework's error handling, which the app answers with 500
 * `{ "error": "server_error" }`.
 */
export interface ContractTarget {
  /** Shown in test names, e.g. `express5`, `fastify`, `nestjs-express`, `hono`, `koa`. */
  readonly name: string;
  /** Starts the app; resolves once it listens on 127.0.0.1 on a free port. */
  start(config: ContractConfig): Promise<ContractApp>;
}

/** How the runner configures an app: verifier options plus the adapter (HTTP layer) options. */
export type ContractConfig = VerifierOptions & HttpOptions<unknown>;

/** A running app. */
export interface ContractApp {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Stops the server (and the framework), closing idle keep-alive connections. */
  close(): Promise<void>;
}

/** What `/me`, `/scoped` and `/any-scope` answer: what the adapter exposes as the request's auth. */
export interface MeBody {
  /** `null` when `optional` let a request without credentials through. */
  readonly auth: {
    readonly subject: string | null;
    readonly clientId: string | null;
    readonly scopes: readonly string[];
    readonly issuer: string;
  } | null;
}

/** Builds the {@link MeBody} every target answers with, from the adapter's auth value. */
export function meBody(
  auth:
    | {
        subject: string | undefined;
        clientId: string | undefined;
        scopes: readonly string[];
        claims: { iss: string };
      }
    | undefined
    | null,
): MeBody {
  return {
    auth: auth
      ? {
          subject: auth.subject ?? null,
          clientId: auth.clientId ?? null,
          scopes: [...auth.scopes],
          issuer: auth.claims.iss,
        }
      : null,
  };
}
