import type { Algorithm, VerifierOptions } from '@scopeguard/core';
import { UsageError } from './exit-codes.js';

/** `util.parseArgs` definitions of the flags that configure a verifier (explain and doctor). */
export const VERIFIER_FLAGS = {
  issuer: { type: 'string' },
  audience: { type: 'string', multiple: true },
  'jwks-uri': { type: 'string' },
  'client-id': { type: 'string', multiple: true },
  alg: { type: 'string', multiple: true },
  typ: { type: 'string' },
  'clock-tolerance': { type: 'string' },
  'max-token-age': { type: 'string' },
} as const;

/** Help lines for {@link VERIFIER_FLAGS}. */
export const VERIFIER_FLAGS_HELP = `  --issuer URL           expected issuer, compared exactly with iss   [env SCOPEGUARD_ISSUER]
  --audience AUD         accepted audience; repeat or comma-separate  [env SCOPEGUARD_AUDIENCE]
  --jwks-uri URL         where the keys are (default: discovered)     [env SCOPEGUARD_JWKS_URI]
  --client-id ID         allowed cid / client_id; repeat or comma-sep [env SCOPEGUARD_CLIENT_IDS]
  --alg ALG              allowed algorithm; repeat or comma-separate  (default RS256)
  --typ any|strict       typ policy: strict requires at+jwt (RFC 9068) (default any)
  --clock-tolerance S    leeway on exp, nbf, iat in seconds           (default 5)
  --max-token-age S      refuse tokens issued (iat) longer ago than this`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;
type Env = Readonly<Record<string, string | undefined>>;

/** Values of a repeatable flag, each split on commas, trimmed, empties dropped. */
export function listOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items
    .flatMap((item) => String(item).split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function seconds(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const number = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(number)) {
    throw new UsageError(`--${flag} must be a number of seconds, found ${JSON.stringify(text)}`);
  }
  return number;
}

/**
 * Verifier options from the flags, falling back on the `SCOPEGUARD_*` variables the Express adapter
 * reads. `audienceRequired: false` (doctor) puts a placeholder audience when none is given: loading keys
 * does not depend on it.
 */
export function verifierOptionsFrom(
  values: Values,
  env: Env,
  { audienceRequired }: { audienceRequired: boolean },
): { options: VerifierOptions; audienceGiven: boolean } {
  const issuer = (values['issuer'] as string | undefined) ?? envValue(env, 'SCOPEGUARD_ISSUER');
  if (issuer === undefined) throw new UsageError('--issuer is required (or set SCOPEGUARD_ISSUER)');
  let audience = listOf(values['audience']);
  if (audience.length === 0) audience = listOf(envValue(env, 'SCOPEGUARD_AUDIENCE'));
  const audienceGiven = audience.length > 0;
  if (!audienceGiven) {
    if (audienceRequired) throw new UsageError('--audience is required (or set SCOPEGUARD_AUDIENCE)');
    audience = ['(any)'];
  }
  const options: VerifierOptions = { issuer, audience };
  const jwksUri = (values['jwks-uri'] as string | undefined) ?? envValue(env, 'SCOPEGUARD_JWKS_URI');
  if (jwksUri !== undefined) options.jwksUri = jwksUri;
  let clientIds = listOf(values['client-id']);
  if (clientIds.length === 0) clientIds = listOf(envValue(env, 'SCOPEGUARD_CLIENT_IDS'));
  if (clientIds.length > 0) options.clientIds = clientIds;
  const algorithms = listOf(values['alg']);
  if (algorithms.length > 0) options.algorithms = algorithms as Algorithm[];
  const typ = values['typ'];
  if (typ !== undefined) {
    if (typ !== 'any' && typ !== 'strict')
      throw new UsageError(`--typ must be any or strict, found ${JSON.stringify(typ)}`);
    options.typ = typ;
  }
  const tolerance = seconds('clock-tolerance', values['clock-tolerance']);
  if (tolerance !== undefined) options.clockTolerance = tolerance;
  const maxAge = seconds('max-token-age', values['max-token-age']);
  if (maxAge !== undefined) options.maxTokenAge = maxAge;
  return { options, audienceGiven };
}
