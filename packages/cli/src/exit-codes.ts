/**
 * Exit codes, the same for every command (documented in README.md and `--help`).
 */
export const EXIT = Object.freeze({
  /** explain: the token would be accepted; doctor: a verifier so configured can verify tokens. */
  ok: 0,
  /** explain: the token would be refused; doctor: the configuration (or the issuer) must change. */
  refused: 1,
  /** Bad command line or unusable configuration (e.g. an `http:` issuer that is not loopback). */
  usage: 2,
  /** Could not check: the keys or the issuer could not be reached (timeout, refused connection, 5xx). */
  unchecked: 3,
});

/** A mistake on the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
