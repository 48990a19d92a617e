/** Small text helpers shared by the commands. */

/** Quotes one word for a POSIX shell (single quotes), or leaves it bare when it is safe as is. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `value` without trailing slashes (a loop: no regular expression on untrusted text). */
export function withoutTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === '/') end--;
  return value.slice(0, end);
}

/** True when two URLs differ only by trailing slashes. */
export function differOnlyBySlash(a: unknown, b: unknown): boolean {
  return (
    typeof a === 'string' &&
    typeof b === 'string' &&
    a !== b &&
    withoutTrailingSlashes(a) === withoutTrailingSlashes(b)
  );
}

/** JSON-quoted and truncated, as the core renders values from a token. */
export function quote(value: unknown, max = 80): string {
  let text: string | undefined;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= typeof value;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Bytes for people: `812 B`, `1.4 KiB`. */
export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
