import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import OktaJwtVerifier from '@okta/jwt-verifier';

/** Options of {@link createOktaVerifier}: Okta's own option names. */
export interface OktaReferenceOptions {
  issuer: string;
  /** Default: `${issuer}/v1/keys`, Okta's fixed JWKS location. */
  jwksUri?: string;
  assertClaims?: Record<string, unknown>;
}

/**
 * Okta's reference verifier (`@okta/jwt-verifier`, built on njwt and jwks-rsa) for a loopback `http:`
 * issuer. It requires `https:` unless `testing.disableHttpsCheck` is set, and then warns on the console
 * every time: that one warning is dropped, nothing else.
 */
export function createOktaVerifier(options: OktaReferenceOptions): OktaJwtVerifier {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Warning: HTTPS check is disabled.')) return;
    warn(...args);
  };
  try {
    return new OktaJwtVerifier({
      issuer: options.issuer,
      ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
      assertClaims: options.assertClaims ?? {},
      testing: { disableHttpsCheck: true },
    });
  } finally {
    console.warn = warn;
  }
}

/** What Okta's verifier did with a token: accepted it, refused it (with its message), or crashed. */
export type OktaVerdict =
  | { outcome: 'accepted' }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'crashed'; reason: string };

/** Runs `verifyAccessToken` in this process. */
export async function oktaOutcome(
  verifier: OktaJwtVerifier,
  token: string,
  expectedAudience: string,
): Promise<OktaVerdict> {
  try {
    await verifier.verifyAccessToken(token, expectedAudience);
    return { outcome: 'accepted' };
  } catch (error) {
    return { outcome: 'refused', reason: error instanceof Error ? error.message : String(error) };
  }
}

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../..');

/** The child's program: one verification, its verdict as one JSON line on stdout. */
const CHILD_SCRIPT = `
const OktaJwtVerifier = require('@okta/jwt-verifier');
const { ISSUER, JWKS_URI, AUDIENCE, TOKEN, ASSERT_CLAIMS } = process.env;
console.warn = () => {};
const verifier = new OktaJwtVerifier({
  issuer: ISSUER,
  ...(JWKS_URI ? { jwksUri: JWKS_URI } : {}),
  assertClaims: JSON.parse(ASSERT_CLAIMS),
  testing: { disableHttpsCheck: true },
});
verifier.verifyAccessToken(TOKEN, AUDIENCE).then(
  () => console.log(JSON.stringify({ outcome: 'accepted' })),
  (error) => console.log(JSON.stringify({ outcome: 'refused', reason: String(error && error.message) })),
);
`;

/**
 * Runs `verifyAccessToken` in a child Node process, for tokens that may bring the verifier down: a crash
 * there (an uncaught exception kills the process) is reported as `crashed` with the error line, instead
 * of taking the test runner with it. Asynchronous, so an issuer served by this process keeps answering.
 */
export function oktaOutcomeIsolated(
  options: OktaReferenceOptions,
  token: string,
  expectedAudience: string,
): Promise<OktaVerdict> {
  const env = {
    PATH: process.env['PATH'] ?? '',
    ISSUER: options.issuer,
    JWKS_URI: options.jwksUri ?? '',
    AUDIENCE: expectedAudience,
    TOKEN: token,
    ASSERT_CLAIMS: JSON.stringify(options.assertClaims ?? {}),
  };
  return new Promise((resolveVerdict) => {
    execFile(
      process.execPath,
      ['-e', CHILD_SCRIPT],
      { cwd: REPOSITORY_ROOT, env, timeout: 15_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1) ?? '';
        if (!error && line.startsWith('{')) {
          resolveVerdict(JSON.parse(line) as OktaVerdict);
          return;
        }
        const thrown = stderr.split('\n').find((text) => /^\w*Error\b/.test(text)) ?? String(error?.message);
        resolveVerdict({ outcome: 'crashed', reason: thrown });
      },
    );
  });
}
