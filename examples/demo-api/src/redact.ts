/** Characters of a secret or token shown before the ellipsis, at most. */
export const REDACT_KEEP = 8;

/**
 * Shortens a secret (client secret, Basic credentials, access token, client assertion) to a harmless
 * prefix followed by `…`, for printing. At most {@link REDACT_KEEP} characters and never more than a
 * quarter of the value are kept, so a short secret is not revealed either.
 *
 * @example redact('eyJraWQiOiJhYmMifQ.eyJzdWIiOiIxIn0.c2ln') // 'eyJraWQi…'
 */
export function redact(value: string, keep = REDACT_KEEP): string {
  const shown = Math.max(0, Math.min(keep, Math.floor(value.length / 4)));
  return `${value.slice(0, shown)}…`;
}

/**
 * Replaces every occurrence of each secret in `text` with its {@link redact}ed form: a last line of
 * defence before printing a response body or an error message that might echo a credential.
 */
export function redactAll(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length > 0) result = result.split(secret).join(redact(secret));
  }
  return result;
}
