/**
 * Parses a JOSE header or JWT claim set: the text must be a JSON object whose top-level member names
 * are all distinct. RFC 7515 §5.2 lets a parser either refuse duplicates or keep the last; two members
 * named `alg` or `aud` are a classic way to make two parsers disagree, so we refuse.
 * Returns `undefined` for anything else (not JSON, not an object, duplicate names).
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (hasDuplicateTopLevelNames(text, Object.keys(value).length)) return undefined;
  return value as Record<string, unknown>;
}

/**
 * Counts the member names at depth 1 of a JSON text already known to be a valid object, and compares
 * with the number of distinct names JSON.parse kept. Only called on valid JSON, so the scan can be simple.
 */
function hasDuplicateTopLevelNames(text: string, distinct: number): boolean {
  let depth = 0;
  let names = 0;
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      if (depth === 1 && expectName) names++;
      expectName = false;
      i = closingQuote(text, i);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      expectName = c === 0x7b && depth === 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      expectName = true;
    }
  }
  return names !== distinct;
}

/** Index of the quote closing the string that opens at `open` (valid JSON: it exists). */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    // A quote preceded by an odd number of backslashes is escaped.
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return at;
  }
}
