import { parseArgs } from 'node:util';
import {
  type ExplainStep,
  explainToken,
  formatDuration,
  type ScopeRequirement,
  type TokenError,
} from '@scopeguard/core';
import { EXIT, UsageError } from './exit-codes.js';
import { hintFor } from './hints.js';
import { type Io, Printer, sanitize, wantsColor } from './output.js';
import { readToken } from './read-token.js';
import { quote } from './text.js';
import { VERIFIER_FLAGS, VERIFIER_FLAGS_HELP, verifierOptionsFrom } from './verifier-flags.js';

export const EXPLAIN_HELP = `Usage: scopeguard explain <token|-> --issuer URL --audience AUD [options]

Says why an access token would be accepted or refused by a verifier configured this way. The token is
decoded WITHOUT being trusted; then discovery and every check of verify run, in verify's order, and each
step prints one line (✓ passed, ✗ failed, – not reached or not applicable): parse, alg, discovery, key,
signature, typ, ID token, iss, aud, exp, nbf, iat (with the time left or past), sub, cid / client_id,
scp / scope, required claims, scopes. Past a valid signature every claim problem is listed, not only the
first. On failure: the TokenError code, its full message and the likely fix.

Arguments:
  <token>                the access token, or - to read it from stdin (keeps it out of your shell
                         history). Surrounding whitespace and a leading "Bearer " are ignored.

Options:
${VERIFIER_FLAGS_HELP}
  --scope SCOPE          a scope the token must grant; repeat, or separate with spaces or commas
  --json                 print the result as JSON (shape in the README) instead of text
  --color, --no-color    force colour on or off (default: colour on a TTY; FORCE_COLOR=1 forces it,
                         NO_COLOR=1 turns it off)
  -h, --help             this help

Exit codes: 0 accepted, 1 refused (including a missing --scope), 2 usage or configuration error,
3 could not check (the keys could not be loaded: jwks_unavailable).

Never printed: the token itself, its signature, any secret.

Example:
  pbpaste | scopeguard explain - --issuer https://example.okta.com/oauth2/default --audience api://default --scope customScope`;

const FLAGS = {
  ...VERIFIER_FLAGS,
  scope: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function errorJson(error: TokenError | undefined) {
  return error === undefined
    ? undefined
    : { code: error.code, message: error.message, claim: error.claim ?? null };
}

/** `scopeguard explain`: returns the exit code. */
export async function explainCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true });
  const out = new Printer(
    io.stdout,
    wantsColor(io.stdout, io.env, values['no-color'] ? false : values.color),
  );
  if (values.help) {
    out.line(EXPLAIN_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new UsageError(`explain takes one token, found ${positionals.length} arguments`);
  const { options } = verifierOptionsFrom(values, io.env, { audienceRequired: true });
  const scopes = (values.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '');
  const requirement: ScopeRequirement | undefined = scopes.length > 0 ? { allOf: scopes } : undefined;
  const token = await readToken(positionals[0], io.stdin);

  const result = await explainToken(token, { ...options, ...(requirement ? { scopes: requirement } : {}) });
  const exitCode = result.accepted ? EXIT.ok : result.outcome === 'unchecked' ? EXIT.unchecked : EXIT.refused;
  const context = { explanation: result, options };
  const hintOf = (step: ExplainStep) => (step.error ? hintFor(step.error, step.step, context) : undefined);

  if (values.json) {
    const failing = result.steps.find((s) => s.status === 'fail' && s.error === result.error);
    const document = {
      accepted: result.accepted,
      outcome: result.outcome,
      exitCode,
      error: result.error
        ? { ...errorJson(result.error), hint: hintFor(result.error, failing?.step, context) ?? null }
        : null,
      steps: result.steps.map((step) => ({
        step: step.step,
        label: step.label,
        status: step.status,
        detail: step.detail,
        ...(step.error ? { error: errorJson(step.error), hint: hintOf(step) ?? null } : {}),
      })),
      header: result.header ?? null,
      claims: result.claims ?? null,
      config: {
        issuer: options.issuer,
        audience: [options.audience].flat(),
        jwksUri: result.jwksUri ?? null,
        algorithms: options.algorithms ?? ['RS256'],
        clientIds: options.clientIds ?? null,
        scopes,
      },
      checkedAt: new Date(result.checkedAt).toISOString(),
    };
    out.line(JSON.stringify(document, null, 2));
    return exitCode;
  }

  // Everything from the token or the issuer goes through sanitize() before any styling is added.
  const audiences = [options.audience].flat();
  const config = `issuer ${quote(options.issuer)}  audience ${audiences.map((a) => quote(a)).join(', ')}  alg ${(options.algorithms ?? ['RS256']).join(', ')}${scopes.length ? `  scope ${quote(scopes.join(' '))}` : ''}`;
  out.line(`${out.style('scopeguard explain', 'bold')}  ${sanitize(config)}`);
  out.line();
  const width = Math.max(...result.steps.map((step) => step.label.length));
  for (const step of result.steps) {
    const label = sanitize(step.label.padEnd(width));
    const detail = sanitize(step.detail);
    out.line(
      `  ${out.mark(step.status)} ${step.status === 'fail' ? out.style(label, 'red') : label}  ${step.status === 'skip' ? out.style(detail, 'dim') : detail}`,
    );
  }
  out.line();

  if (result.accepted) {
    const claims = result.claims ?? {};
    const client = claims['cid'] ?? claims['client_id'];
    const exp = claims['exp'];
    const about = `${client === undefined ? '' : ` (client ${quote(client)})`}${typeof exp === 'number' ? `, for another ${formatDuration(exp - result.checkedAt / 1000)}` : ''}`;
    out.line(
      `${out.mark('pass')} ${out.style('accepted', 'green', 'bold')}: a verifier configured this way accepts this token${sanitize(about)}`,
    );
    return exitCode;
  }

  const error = result.error!;
  const failed = result.steps.filter((step) => step.status === 'fail');
  const first = failed.find((step) => step.error === error) ?? failed[0];
  const unchecked = result.outcome === 'unchecked';
  out.line(
    `${out.mark(unchecked ? 'warn' : 'fail')} ${out.style(unchecked ? 'could not check' : 'refused', unchecked ? 'yellow' : 'red', 'bold')}: ${out.style(error.code, 'bold')}`,
  );
  out.line(`  ${sanitize(error.message)}`);
  const hint = hintFor(error, first?.step, context);
  if (hint) out.line(`  ${out.style('fix:', 'cyan')} ${sanitize(hint)}`);
  for (const step of failed) {
    if (step === first || !step.error) continue;
    out.line(
      `  ${out.style('also', 'bold')} ${sanitize(`${step.error.code} (${step.label}): ${step.error.message}`)}`,
    );
    const more = hintOf(step);
    if (more) out.line(`    ${out.style('fix:', 'cyan')} ${sanitize(more)}`);
  }
  return exitCode;
}
