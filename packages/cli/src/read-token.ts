import { UsageError } from './exit-codes.js';

/** Most bytes read from stdin: far above any token a verifier accepts (16 KiB by default). */
export const MAX_STDIN_BYTES = 1024 * 1024;

/**
 * The token as pasted: surrounding whitespace trimmed, and a leading `Bearer ` (any case, as copied from
 * an `Authorization` header) dropped.
 */
export function cleanToken(text: string): string {
  const trimmed = text.trim();
  const match = /^bearer[ \t]+/i.exec(trimmed);
  return match ? trimmed.slice(match[0].length).trim() : trimmed;
}

/** Reads all of stdin (at most {@link MAX_STDIN_BYTES}). */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > MAX_STDIN_BYTES)
      throw new UsageError(`stdin holds more than ${MAX_STDIN_BYTES} bytes: not a token`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The token from the positional argument, or from stdin when it is `-`. */
export async function readToken(argument: string | undefined, stdin: NodeJS.ReadableStream): Promise<string> {
  if (argument === undefined) {
    throw new UsageError('a token is required: scopeguard explain <token|-> (use - to read it from stdin)');
  }
  const token = cleanToken(argument === '-' ? await readStdin(stdin) : argument);
  if (token === '')
    throw new UsageError(argument === '-' ? 'stdin is empty: no token to explain' : 'the token is empty');
  return token;
}
