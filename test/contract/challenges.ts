/**
 * A strict parser of `WWW-Authenticate` field values (RFC 9110 §11.6.1), for the contract's assertions:
 * `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, challenges and parameters separated by
 * commas, `auth-param = token BWS "=" BWS ( token / quoted-string )`. An adapter may send one field line
 * per challenge or join them with `", "`; both parse the same. Anything that is not a well-formed
 * challenge list throws, so a malformed header fails the contract instead of being read leniently.
 * A hand-written single pass: linear in the header's length.
 */

/** One challenge: its scheme as sent, its parameters by lower-case name (unquoted), or its token68. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
  readonly token68?: string | undefined;
}

const TCHAR = "!#$%&'*+-.^_`|~";
const TOKEN68_EXTRA = '-._~+/';

function isAlnum(ch: string): boolean {
  return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

function isTchar(ch: string): boolean {
  return isAlnum(ch) || TCHAR.includes(ch);
}

/** Parses every challenge of the given `WWW-Authenticate` field values, in order. */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const s = values.join(', ');
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed WWW-Authenticate (${what} at ${i}): ${JSON.stringify(s)}`);
  };
  const skipOws = () => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  /** OWS and empty list elements (RFC 9110 §5.6.1 lets a recipient skip them). */
  const skipSeparators = () => {
    for (;;) {
      skipOws();
      if (s[i] !== ',') return;
      i++;
    }
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && isTchar(s[i] as string)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    i++; // opening quote
    let value = '';
    while (i < s.length) {
      const ch = s[i] as string;
      if (ch === '"') {
        i++;
        return value;
      }
      if (ch === '\\') {
        i++;
        if (i >= s.length) break;
      }
      value += s[i];
      i++;
    }
    return fail('unterminated quoted-string');
  };
  /** A token68 followed by the end of its challenge, or undefined (position unchanged). */
  const tryToken68 = (): string | undefined => {
    const start = i;
    while (i < s.length && (isAlnum(s[i] as string) || TOKEN68_EXTRA.includes(s[i] as string))) i++;
    if (i === start) return undefined;
    while (s[i] === '=') i++;
    const end = i;
    skipOws();
    if (i < s.length && s[i] !== ',') {
      i = start;
      return undefined;
    }
    return s.slice(start, end);
  };
  const readParam = (params: Record<string, string>) => {
    const name = readToken().toLowerCase();
    if (name === '') fail('expected a parameter name');
    skipOws();
    if (s[i] !== '=') fail('expected "="');
    i++;
    skipOws();
    const value = s[i] === '"' ? readQuoted() : readToken();
    if (value === '' && s[i - 1] !== '"') fail(`parameter ${name} has no value`);
    // RFC 9110 §11.2: each parameter name only once per challenge.
    if (Object.hasOwn(params, name)) fail(`parameter ${name} repeated`);
    params[name] = value;
  };

  const challenges: Challenge[] = [];
  skipSeparators();
  while (i < s.length) {
    const scheme = readToken();
    if (scheme === '') fail('expected an auth-scheme');
    const params: Record<string, string> = {};
    let token68: string | undefined;
    let atNextChallenge = false;
    const afterScheme = i;
    skipOws();
    if (i < s.length && s[i] !== ',') {
      if (i === afterScheme) fail('expected a space after the auth-scheme');
      token68 = tryToken68();
      if (token68 === undefined) {
        readParam(params);
        for (;;) {
          const save = i;
          skipOws();
          if (s[i] !== ',') {
            i = save;
            break;
          }
          skipSeparators();
          if (i >= s.length) break;
          // A parameter is `token BWS "="`; anything else starts the next challenge.
          const look = i;
          const name = readToken();
          skipOws();
          const isParam = name !== '' && s[i] === '=';
          i = look;
          if (!isParam) {
            atNextChallenge = true;
            break;
          }
          readParam(params);
        }
      }
    }
    challenges.push({ scheme, params, token68 });
    if (!atNextChallenge) {
      skipOws();
      if (i < s.length && s[i] !== ',') fail('expected "," between challenges');
      skipSeparators();
    }
  }
  return challenges;
}
