/**
 * Where the CLI writes, and how: colour only on a terminal (or when forced), plain text otherwise.
 *
 * The rules, first match wins: `--no-color` / `--color`; `FORCE_COLOR` (`0` or `false`: off, anything else:
 * on); `NO_COLOR` set and not empty: off; otherwise on when the stream is a TTY and `TERM` is not `dumb`.
 */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Decides whether to colour a stream (see {@link Io} for the rules). */
export function wantsColor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  flag?: boolean,
): boolean {
  if (flag !== undefined) return flag;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR']) return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

/** A style name: the few the CLI uses. */
export type Style = keyof typeof CODES;

/**
 * Replaces C0/C1 control characters (ESC, CSI, BEL, …) with `?`: text from a token or an issuer is printed
 * only through this, so it can never drive the terminal.
 */
export function sanitize(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** Writes lines to one stream, styled or plain. */
export class Printer {
  readonly color: boolean;
  private readonly stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream, color: boolean) {
    this.stream = stream;
    this.color = color;
  }

  /** `text` in `styles` when colour is on, as is otherwise. */
  style(text: string, ...styles: Style[]): string {
    if (!this.color || styles.length === 0) return text;
    return styles.reduce((out, name) => `\u001b[${CODES[name][0]}m${out}\u001b[${CODES[name][1]}m`, text);
  }

  /** One line (control characters in it are neutralised by the caller through {@link sanitize}). */
  line(text = ''): void {
    this.stream.write(`${text}\n`);
  }

  /** ✓ (green), ✗ (red), – (dim: not reached / not applicable), ! (yellow: could not check). */
  mark(status: 'pass' | 'fail' | 'skip' | 'warn'): string {
    switch (status) {
      case 'pass':
        return this.style('✓', 'green');
      case 'fail':
        return this.style('✗', 'red');
      case 'warn':
        return this.style('!', 'yellow');
      default:
        return this.style('–', 'dim');
    }
  }
}
