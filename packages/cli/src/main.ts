import { readFileSync } from 'node:fs';
import { ConfigError } from '@scopeguard/core';
import { DEV_SERVER_HELP } from './dev-server-help.js';
import { DOCTOR_HELP, doctorCommand } from './doctor-command.js';
import { EXIT, UsageError } from './exit-codes.js';
import { EXPLAIN_HELP, explainCommand } from './explain-command.js';
import { type Io, Printer, sanitize, wantsColor } from './output.js';

export const TOP_HELP = `Usage: scopeguard <command> [options]

Commands:
  explain <token|->      why a token would be accepted or refused, step by step, with the likely fix
  doctor                 check an issuer's discovery, metadata and keys; what a verifier would do
  dev-server             run a development authorization server (client credentials) until Ctrl-C

Options:
  -h, --help             help (also: scopeguard <command> --help, scopeguard help <command>)
  -v, --version          the version

Verifier settings also come from SCOPEGUARD_ISSUER, SCOPEGUARD_AUDIENCE, SCOPEGUARD_CLIENT_IDS and
SCOPEGUARD_JWKS_URI, as the Express adapter reads them. Colour on a TTY, plain when piped; FORCE_COLOR=1
forces it, NO_COLOR=1 turns it off.

Exit codes: 0 accepted / usable, 1 refused / must change, 2 usage or configuration error,
3 could not check (keys or issuer unreachable).`;

const COMMANDS: Readonly<Record<string, { run: (args: string[], io: Io) => Promise<number>; help: string }>> =
  {
    explain: { run: explainCommand, help: EXPLAIN_HELP },
    doctor: { run: doctorCommand, help: DOCTOR_HELP },
    // Loaded on demand: only the dev server needs @scopeguard/testing (and jose).
    'dev-server': {
      run: async (args, io) => (await import('./dev-server-command.js')).devServerCommand(args, io),
      help: DEV_SERVER_HELP,
    },
  };

/** The package's version, read from its package.json (shipped next to dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Node's parseArgs errors (unknown flag, missing value, …) are usage errors. */
function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Runs the command line `args` (without `node` and the script); resolves with the exit code. */
export async function main(args: string[], io: Io): Promise<number> {
  const err = new Printer(
    io.stderr,
    wantsColor(
      io.stderr,
      io.env,
      args.includes('--no-color') ? false : args.includes('--color') || undefined,
    ),
  );
  const out = new Printer(io.stdout, false);
  const [first, ...rest] = args;
  if (first === undefined || first === '-h' || first === '--help') {
    out.line(TOP_HELP);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '-v' || first === '--version') {
    out.line(version());
    return EXIT.ok;
  }
  if (first === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    out.line(topic ? topic.help : TOP_HELP);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!command) {
    err.line(`scopeguard: unknown command ${sanitize(JSON.stringify(first))}; see scopeguard --help`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      err.line(`scopeguard ${first}: ${sanitize(error.message)}`);
      err.line(`see scopeguard ${first} --help`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      err.line(`scopeguard ${first}: invalid configuration: ${sanitize(error.message)}`);
      return EXIT.usage;
    }
    throw error;
  }
}
