import { parseArgs } from 'node:util';
import {
  type InspectedKey,
  type InspectedRequest,
  type IssuerInspection,
  inspectIssuer,
} from '@scopeguard/core';
import { EXIT, UsageError } from './exit-codes.js';
import { type Io, Printer, sanitize, wantsColor } from './output.js';
import { differOnlyBySlash, formatBytes, quote, shellQuote } from './text.js';
import { VERIFIER_FLAGS, VERIFIER_FLAGS_HELP, verifierOptionsFrom } from './verifier-flags.js';

export const DOCTOR_HELP = `Usage: scopeguard doctor --issuer URL [--audience AUD] [--jwks-uri URL] [--alg ALG] [options]

Loads the issuer's keys exactly as a verifier configured this way would (same discovery, same limits,
same key import), and shows every step: which metadata document answered and its "issuer" compared with
yours (with the trailing-slash hint when that is the difference), the JWKS answer (HTTP status, content
type, size, Cache-Control / Expires / ETag), every key (kid, kty, alg, use, size) with the algorithm it
is bound to or why it is ignored, then what such a verifier would do and what to change.

Options:
${VERIFIER_FLAGS_HELP}
                         (--audience is optional here: loading keys does not depend on it)
  --json                 print the report as JSON instead of text
  --color, --no-color    force colour on or off (default: colour on a TTY; FORCE_COLOR=1 forces it,
                         NO_COLOR=1 turns it off)
  -h, --help             this help

Exit codes: 0 a verifier so configured can verify tokens, 1 it could verify nothing: the configuration
(or the issuer) must change, 2 usage or configuration error, 3 the issuer could not be reached
(timeout, refused connection, HTTP 5xx or 429: try again later).`;

const FLAGS = {
  ...VERIFIER_FLAGS,
  json: { type: 'boolean' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function describeRequest(request: InspectedRequest): string {
  if (request.status === undefined)
    return `GET ${request.url}  no answer: ${request.error ?? 'unknown error'}`;
  const parts = [`${request.status}`];
  if (request.headers['content-type']) parts.push(request.headers['content-type']);
  if (request.bytes !== undefined) parts.push(formatBytes(request.bytes));
  return `GET ${request.url}  ${parts.join(', ')}`;
}

function cacheHeaders(request: InspectedRequest): string {
  const show = (name: string) =>
    `${name}: ${request.headers[name] === undefined ? '(none)' : quote(request.headers[name])}`;
  return ['cache-control', 'expires', 'etag'].map(show).join('  ');
}

function describeKey(key: InspectedKey): string {
  const name = key.kid === undefined ? 'no kid' : `kid ${quote(key.kid, 64)}`;
  const shape = [
    key.kty ?? '(no kty)',
    key.crv,
    key.bits !== undefined && key.kty === 'RSA' ? `${key.bits} bits` : undefined,
    key.alg === undefined ? 'no alg' : `alg ${quote(key.alg, 20)}`,
    key.use === undefined ? undefined : `use ${quote(key.use, 20)}`,
  ].filter((part) => part !== undefined);
  const verdict = key.boundTo ? `→ verifies ${key.boundTo}` : `ignored: ${key.ignored}`;
  return `${name}  ${shape.join(', ')}  ${verdict}`;
}

const kidList = (kids: readonly (string | undefined)[]) =>
  kids.map((kid) => (kid === undefined ? '(no kid)' : quote(kid, 64))).join(', ');

/** What a verifier so configured would do, and the likely fix when it could do nothing. */
export function verdictOf(report: IssuerInspection): { lines: string[]; fix?: string } {
  if (report.canVerify) {
    const lines = report.accepts.map(
      (a) => `would accept ${a.alg} tokens signed with kid ${kidList(a.kids)}`,
    );
    const ignored = report.jwks.keys.filter((key) => key.ignored !== undefined);
    if (ignored.length > 0)
      lines.push(`would refuse tokens signed with the ${ignored.length} ignored key(s) above`);
    return { lines };
  }
  const algs = report.algorithms.join(', ');
  const configured = report.issuer;
  const { discovery, jwks } = report;
  if (discovery.status === 'fail') {
    const said = discovery.metadataIssuer;
    if (typeof said === 'string' && said !== configured) {
      const lines = [
        `would refuse every token: the metadata's "issuer" is ${quote(said)}, not the configured ${quote(configured)}`,
      ];
      if (differOnlyBySlash(said, configured)) {
        const how = said.endsWith('/') ? 'with' : 'without';
        return {
          lines,
          fix: `the issuer's metadata says ${quote(said)}, ${how} the trailing slash; configure that: --issuer ${shellQuote(said)}`,
        };
      }
      return {
        lines,
        fix: `if ${quote(said)} is the authorization server you mean, configure --issuer ${shellQuote(said)} (tokens' iss must equal it too)`,
      };
    }
    return {
      lines: [`would refuse every token: discovery failed: ${discovery.error ?? report.error?.message}`],
      fix:
        report.problem === 'unreachable'
          ? 'the issuer did not answer: check the URL and the network; a verifier retries by itself (and answers 503 meanwhile)'
          : `check --issuer (Okta: https://YOUR_DOMAIN/oauth2/default or /oauth2/AUTH_SERVER_ID), or give the keys' URL with --jwks-uri`,
    };
  }
  const lines = [`would refuse every token: ${jwks.error ?? report.error?.message}`];
  const status = report.requests.findLast((r) => r.purpose === 'jwks')?.status;
  switch (jwks.reason) {
    case 'no_usable_keys': {
      const published = [
        ...new Set(jwks.keys.map((key) => key.couldVerify).filter((alg) => alg !== undefined)),
      ];
      if (published.length > 0) {
        lines[0] = `would refuse every token: no key for ${algs} — the issuer publishes only ${published.join(', ')}`;
        return {
          lines,
          fix: `allow the issuer's algorithm: ${published.map((alg) => `--alg ${alg}`).join(' ')} (createVerifier({ algorithms: [${published.map((alg) => `'${alg}'`).join(', ')}] }))`,
        };
      }
      return {
        lines,
        fix: `every key is ignored (reasons above): the issuer must publish public ${algs} keys (RSA of 2048 bits or more)`,
      };
    }
    case 'status':
      if (report.problem === 'unreachable') break;
      return {
        lines,
        fix:
          discovery.source === 'okta-default'
            ? `no metadata document answered under the issuer, so Okta's default ${jwks.uri} was tried and answered HTTP ${status}: the --issuer URL is probably wrong (Okta: https://YOUR_DOMAIN/oauth2/default)`
            : `the JWKS URL answers HTTP ${status}: check ${report.discovery.status === 'skip' ? '--jwks-uri' : `the metadata's jwks_uri and --issuer`}`,
      };
    case 'invalid_json':
    case 'not_jwks':
      return {
        lines,
        fix: `${jwks.uri} does not serve a JWK Set ({ "keys": [ ... ] }): check ${report.discovery.status === 'skip' ? '--jwks-uri' : '--issuer'}`,
      };
    case 'too_large':
      return { lines, fix: `${jwks.uri} answers more than the size limit: is it really the JWKS?` };
  }
  return {
    lines,
    fix: 'the issuer did not answer: check the URL and the network; a verifier retries by itself (and answers 503 meanwhile)',
  };
}

/** `scopeguard doctor`: returns the exit code. */
export async function doctorCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true });
  const out = new Printer(
    io.stdout,
    wantsColor(io.stdout, io.env, values['no-color'] ? false : values.color),
  );
  if (values.help) {
    out.line(DOCTOR_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`doctor takes no arguments, found ${quote(positionals[0])}`);
  const { options, audienceGiven } = verifierOptionsFrom(values, io.env, { audienceRequired: false });
  const report = await inspectIssuer(options);
  const exitCode = report.canVerify
    ? EXIT.ok
    : report.problem === 'unreachable'
      ? EXIT.unchecked
      : EXIT.refused;
  const verdict = verdictOf(report);

  if (values.json) {
    const { error, ...rest } = report;
    out.line(
      JSON.stringify(
        {
          ...rest,
          error: error ? { code: error.code, message: error.message } : null,
          verdict: verdict.lines,
          fix: verdict.fix ?? null,
          exitCode,
        },
        null,
        2,
      ),
    );
    return exitCode;
  }

  const line = (status: 'pass' | 'fail' | 'skip' | 'warn', text: string) =>
    out.line(`  ${out.mark(status)} ${sanitize(text)}`);
  const heading = (text: string) => out.line(out.style(text, 'bold'));
  const requestStatus = (r: InspectedRequest) =>
    r.status !== undefined && r.status >= 200 && r.status < 300 ? 'pass' : 'fail';

  out.line(
    `${out.style('scopeguard doctor', 'bold')}  ${sanitize(
      `issuer ${quote(report.issuer)}  alg ${report.algorithms.join(', ')}${options.jwksUri ? `  jwks-uri ${quote(options.jwksUri)}` : ''}${
        audienceGiven
          ? `  audience ${[options.audience]
              .flat()
              .map((a) => quote(a))
              .join(', ')}`
          : ''
      }`,
    )}`,
  );
  out.line();

  heading('discovery');
  const { discovery, jwks } = report;
  if (discovery.status === 'skip') {
    line('skip', 'skipped: --jwks-uri is given, so a verifier does no discovery');
  } else {
    for (const request of report.requests.filter((r) => r.purpose === 'metadata')) {
      line(
        request.status !== undefined &&
          request.status >= 400 &&
          request.status < 500 &&
          request.status !== 429
          ? 'skip'
          : requestStatus(request),
        describeRequest(request),
      );
    }
    if (discovery.metadataUrl !== undefined) {
      const said = discovery.metadataIssuer;
      if (said === report.issuer) line('pass', `metadata "issuer" is ${quote(said)}, as configured`);
      else
        line('fail', `metadata "issuer" is ${quote(said)}, the configured issuer is ${quote(report.issuer)}`);
    }
    if (discovery.status === 'pass') {
      line(
        'pass',
        discovery.source === 'okta-default'
          ? `no metadata document answered (4xx): using Okta's default ${jwks.uri}`
          : `jwks_uri ${jwks.uri} (from the ${discovery.source} metadata)`,
      );
    } else if (
      discovery.error &&
      !(discovery.metadataUrl !== undefined && discovery.metadataIssuer !== report.issuer)
    ) {
      line('fail', discovery.error);
    }
  }
  out.line();

  heading(`jwks${jwks.uri ? `  ${sanitize(jwks.uri)}` : ''}`);
  if (jwks.status === 'skip') {
    line('skip', 'not fetched: discovery failed');
  } else {
    for (const request of report.requests.filter((r) => r.purpose === 'jwks')) {
      line(requestStatus(request), describeRequest(request));
      if (requestStatus(request) === 'pass') out.line(`      ${sanitize(cacheHeaders(request))}`);
    }
    for (const key of jwks.keys) line(key.boundTo ? 'pass' : 'fail', describeKey(key));
    if (jwks.status === 'fail' && jwks.error) line('fail', jwks.error);
  }
  out.line();

  heading('verdict');
  for (const text of verdict.lines)
    line(report.canVerify ? 'pass' : exitCode === EXIT.unchecked ? 'warn' : 'fail', text);
  if (report.canVerify && audienceGiven) {
    line(
      'pass',
      `tokens must also carry iss ${quote(report.issuer)} and an aud among ${quote([options.audience].flat())}`,
    );
  }
  if (verdict.fix) out.line(`  ${out.style('fix:', 'cyan')} ${sanitize(verdict.fix)}`);
  return exitCode;
}
