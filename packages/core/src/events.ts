import diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * Something operators want to know about, reported through `onEvent`, the `scopeguard:event`
 * diagnostics channel and `NODE_DEBUG=scopeguard`. Events never carry a token or a secret; `kid`
 * values (attacker-controlled) are truncated.
 */
export type ScopeguardEvent =
  | {
      type: 'discovery_completed';
      issuer: string;
      jwksUri: string;
      /** Which document answered: RFC 8414, OpenID Connect, or Okta's fixed `/v1/keys` fallback. */
      source: 'oauth-authorization-server' | 'openid-configuration' | 'okta-default';
    }
  | { type: 'discovery_failed'; issuer: string; error: string }
  | {
      type: 'jwks_fetched';
      jwksUri: string;
      /** `initial`: first load; `expired`: max age reached; `unknown_kid`: a token named a kid we lack. */
      reason: 'initial' | 'expired' | 'unknown_kid' | 'manual';
      /** Usable keys after filtering. */
      keys: number;
      /** Keys in the document that were ignored (wrong `use`, weak RSA, duplicate `kid`, …). */
      ignored: number;
      durationMs: number;
    }
  | {
      type: 'jwks_fetch_failed';
      jwksUri: string;
      /**
       * `network`, `timeout`, `status`, `too_large`, `invalid_json`, `redirect` (a redirect not followed:
       * insecure hop, too many, no `Location`), `insecure`, `not_jwks` or `discovery`.
       */
      reason: string;
      error: string;
      durationMs: number;
    }
  | { type: 'jwks_stale_served'; jwksUri: string; ageMs: number }
  | {
      /**
       * The issuer answered with a well-formed JWK Set in which no key is usable by this verifier (empty,
       * only other algorithms, only `"use": "enc"`, …). The set is installed anyway: every token is refused
       * with `key_not_found` until the issuer publishes a usable key. `reason` says why, e.g. "the issuer
       * publishes only ES256 keys; this verifier allows RS256".
       */
      type: 'jwks_no_usable_key';
      jwksUri: string;
      reason: string;
    }
  | { type: 'jwk_ignored'; jwksUri: string; kid: string | undefined; reason: string }
  | {
      /**
       * An issuers function (several issuers, dynamic tenants) threw, timed out, or answered settings that
       * are not valid (an insecure URL, an `issuer` other than the one asked about, …): tokens naming that
       * `iss` are refused with `jwks_unavailable` until it answers. `issuer` is the token's `iss`, truncated.
       */
      type: 'issuer_resolver_failed';
      issuer: string;
      error: string;
    }
  | { type: 'kid_unknown'; jwksUri: string; kid: string; action: 'refetch' | 'joined_refresh' | 'refused' };

/** Receives {@link ScopeguardEvent}s. Must not throw (exceptions are swallowed). */
export type EventListener = (event: ScopeguardEvent) => void;

/** Name of the `node:diagnostics_channel` every event is published on. */
export const DIAGNOSTICS_CHANNEL = 'scopeguard:event';

const channel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNEL);
const debug = debuglog('scopeguard');

/**
 * Builds the one function the rest of the core calls to report an event: it fans out to the user's
 * `onEvent`, the diagnostics channel (only when someone subscribes) and `util.debuglog`.
 */
export function createEmitter(onEvent?: EventListener): (event: ScopeguardEvent) => void {
  return (event) => {
    if (onEvent) {
      try {
        onEvent(event);
      } catch {
        // A listener's bug must never change a verification's outcome.
      }
    }
    if (channel.hasSubscribers) channel.publish(event);
    if (debug.enabled) debug('%s %j', event.type, event);
  };
}

/** Shortens an attacker-controlled string (a `kid`) before it goes into an event or message. */
export function truncateForLog(value: string, max = 64): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
