import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, describeValue } from './errors.js';

/** Shortest secret accepted, in bytes: as long as the HMAC-SHA-256 output. */
export const MIN_NONCE_SECRET_BYTES = 32;

/** Options of {@link createDpopNonces}. */
export interface DpopNonceOptions {
  /**
   * The HMAC key, at least 32 bytes (a string counts its UTF-8 bytes). Give every instance of the API the
   * same secret and their nonces agree without any shared state. Keep it out of source control.
   */
  secret: string | Uint8Array;
  /** Seconds one nonce is issued for; a nonce is accepted during its window and the next. Default 60. */
  window?: number;
}

/** Server-provided DPoP nonces (RFC 9449 §8, §9) that need no shared state. */
export interface DpopNonces {
  /** Seconds per window. */
  readonly window: number;
  /** The nonce to send in `DPoP-Nonce` now (the same for every client during one window). */
  issue(now?: number): string;
  /**
   * True when `nonce` was issued in the current or the previous window. Compared in constant time; any
   * non-string, or a string of the wrong length, is simply false.
   */
  check(nonce: unknown, now?: number): boolean;
}

const LABEL = 'scopeguard/dpop-nonce/v1/';
const NONCE_LENGTH = 43; // base64url of 32 bytes

function secretBytes(secret: unknown): Buffer {
  const bytes =
    typeof secret === 'string'
      ? Buffer.from(secret, 'utf8')
      : secret instanceof Uint8Array
        ? Buffer.from(secret)
        : undefined;
  if (bytes === undefined) {
    throw new ConfigError('secret', `must be a string or bytes, found ${typeof secret}`);
  }
  if (bytes.length < MIN_NONCE_SECRET_BYTES) {
    throw new ConfigError(
      'secret',
      `must be at least ${MIN_NONCE_SECRET_BYTES} bytes, found ${bytes.length} (e.g. crypto.randomBytes(32).toString('base64url'))`,
    );
  }
  return bytes;
}

/**
 * Creates stateless DPoP nonces: the nonce of a time window is HMAC-SHA-256(secret, window number),
 * base64url-encoded. Every instance configured with the same secret issues and accepts the same nonces, so
 * a load balancer may send the retry to another instance (RFC 9449 §8: the nonce is opaque to the client;
 * §9: a resource server may require one). A nonce is accepted during the window it was issued in and the
 * next one, so it lives between one and two windows; instances' clocks must agree to well within a window.
 *
 * Throws `ConfigError` at construction for a secret under 32 bytes or a window that is not a positive
 * number of seconds.
 *
 * @example
 * const nonces = createDpopNonces({ secret: process.env.DPOP_NONCE_SECRET! });
 * res.setHeader('DPoP-Nonce', nonces.issue());
 * nonces.check(proofClaims.nonce); // true or false
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const key = secretBytes(options?.secret);
  const window = options.window ?? 60;
  if (typeof window !== 'number' || !Number.isFinite(window) || window < 1) {
    throw new ConfigError(
      'window',
      `must be a number of seconds, at least 1, found ${describeValue(window)}`,
    );
  }
  const windowMs = window * 1000;
  // The last few windows' nonces: one HMAC per window, not per request.
  const byWindow = new Map<number, Buffer>();
  const nonceFor = (index: number): Buffer => {
    let nonce = byWindow.get(index);
    if (nonce === undefined) {
      const text = createHmac('sha256', key).update(`${LABEL}${index}`).digest('base64url');
      nonce = Buffer.from(text, 'latin1');
      if (byWindow.size >= 4) byWindow.clear();
      byWindow.set(index, nonce);
    }
    return nonce;
  };
  const indexAt = (now: number) => Math.floor(now / windowMs);

  return Object.freeze({
    window,
    issue(now = Date.now()) {
      return nonceFor(indexAt(now)).toString('latin1');
    },
    check(nonce: unknown, now = Date.now()) {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return false;
      const given = Buffer.from(nonce, 'utf8'); // non-ASCII makes it longer: refused below
      if (given.length !== NONCE_LENGTH) return false;
      const index = indexAt(now);
      // Both comparisons always run: the time taken says nothing about which window matched, or how much.
      const current = timingSafeEqual(given, nonceFor(index));
      const previous = timingSafeEqual(given, nonceFor(index - 1));
      return current || previous;
    },
  });
}
