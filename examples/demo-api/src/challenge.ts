/** One challenge of a `WWW-Authenticate` header: its scheme (lower case) and its auth-params. */
export interface Challenge {
  scheme: string;
  /** Parameter names in lower case; quoted-string values unquoted. */
  params: Record<string, string>;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Reads the challenges of a `WWW-Authenticate` value (RFC 9110 §11.6.1: `scheme` followed by
 * comma-separated `name=value` auth-params, values a token or a quoted-string), e.g. the
 * `resource_metadata` parameter of RFC 9728 §5.1. One pass over the value (linear time); anything it does
 * not understand (a token68, stray characters) is skipped. A client-side helper for the demo:
 * oauth4webapi parses challenges only on answers to requests it sent with a token, and this client has
 * none yet.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const readToken = (): string => {
    const start = i;
    while (i < n && TCHAR.test(header[i] as string)) i++;
    return header.slice(start, i);
  };
  const skip = (chars: string) => {
    while (i < n && chars.includes(header[i] as string)) i++;
  };
  while (i < n) {
    skip(' \t,');
    const token = readToken();
    if (token === '') {
      i++; // not a token character: skip it
      continue;
    }
    skip(' \t');
    if (header[i] === '=' && challenges.length > 0) {
      i++;
      skip(' \t');
      let value: string;
      if (header[i] === '"') {
        i++;
        let text = '';
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          text += header[i];
          i++;
        }
        i++; // the closing quote
        value = text;
      } else {
        value = readToken();
      }
      const current = challenges[challenges.length - 1] as Challenge;
      current.params[token.toLowerCase()] = value;
      continue;
    }
    if (header[i] === '=') {
      i++; // a parameter before any scheme: ignore it
      continue;
    }
    challenges.push({ scheme: token.toLowerCase(), params: {} });
  }
  return challenges;
}
