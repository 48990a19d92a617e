import { type ClaimPolicy, runClaimChecks } from './claims.js';
import { type ParsedCompact, parseCompact } from './compact.js';
import { ConfigError, describeValue, isTokenError, TokenError } from './errors.js';
import type { ScopeguardEvent } from './events.js';
import { couldBeIssuer } from './issuer-router.js';
import { resolveIssuerConfig, resolveMultiOptions, resolveOptions } from './options.js';
import { assertScopes, readScopes, type ScopeRequirement } from './scopes.js';
import type {
  AnyVerifierOptions,
  IssuerConfig,
  MultiIssuerVerifierOptions,
  VerifiedToken,
  VerifierOptions,
} from './types.js';
import { createVerifier } from './verifier.js';

/** Options of {@link explainToken}: a verifier's options, plus the scopes the token must grant. */
export interface ExplainOptions extends VerifierOptions {
  /** Scopes the token must grant, checked as `assertScopes` checks them. None by default. */
  scopes?: ScopeRequirement;
}

/** {@link ExplainOptions} in any form `createVerifier` takes: `{ issuer, resource }`, several issuers. */
export type AnyExplainOptions = AnyVerifierOptions & {
  /** Scopes the token must grant, checked as `assertScopes` checks them. None by default. */
  scopes?: ScopeRequirement;
};

/** `pass`, `fail`, or `skip`: not reached (an earlier step failed) or not applicable (no `nbf` claim, …). */
export type ExplainStepStatus = 'pass' | 'fail' | 'skip';

/** One step of {@link explainToken}, in the order `verify` runs them. */
export interface ExplainStep {
  /**
   * Stable id: `parse`, (with several issuers) `issuer`, `alg`, `discovery`, `key`, `signature`, then one per row of the claim table
   * (`typ`, `id_token`, `iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, `client_id`, `scope_claim`,
   * `required_claims`; a row added later appears under its own name), then `scopes`.
   */
  readonly step: string;
  /** Short name for people, e.g. `cid / client_id`. */
  readonly label: string;
  readonly status: ExplainStepStatus;
  /**
   * One line for people: what was found, and for `exp`, `nbf` and `iat` the time left or past. Values from
   * the token are JSON-quoted and truncated; never the token or its signature.
   */
  readonly detail: string;
  /** Why the step failed (status `fail`). */
  readonly error?: TokenError;
}

/** What {@link explainToken} found. */
export interface TokenExplanation {
  /** True only when `verify` accepts the token and it grants the required scopes. */
  readonly accepted: boolean;
  /**
   * `accepted`; `refused`: the token is not acceptable (or lacks a required scope); `unchecked`: the keys
   * could not be loaded (`jwks_unavailable`), so the token could not be checked at all.
   */
  readonly outcome: 'accepted' | 'refused' | 'unchecked';
  /** Every step, in order, each one `pass`, `fail` or `skip`. */
  readonly steps: readonly ExplainStep[];
  /** The error `verify` rejects with, or `insufficient_scope` when only the scope requirement fails. */
  readonly error?: TokenError;
  /** The decoded JOSE header, NOT trusted (absent when the token does not parse). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** The decoded claims, NOT trusted (absent when the token does not parse). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** The JWKS URI used, configured or discovered, when it is known. */
  readonly jwksUri?: string;
  /** The one instant every time check used, in milliseconds since the epoch. */
  readonly checkedAt: number;
}

type Stage = 'parse' | 'alg' | 'discovery' | 'key' | 'signature' | 'claims';
const STAGES: readonly Stage[] = ['parse', 'alg', 'discovery', 'key', 'signature', 'claims'];

/** The claim table's row names (claims.ts) → step ids and labels. */
const CLAIM_STEPS: Readonly<Record<string, readonly [string, string]>> = {
  typ: ['typ', 'typ'],
  'not an ID token': ['id_token', 'ID token'],
  iss: ['iss', 'iss'],
  aud: ['aud', 'aud'],
  exp: ['exp', 'exp'],
  nbf: ['nbf', 'nbf'],
  iat: ['iat', 'iat'],
  sub: ['sub', 'sub'],
  'cid / client_id': ['client_id', 'cid / client_id'],
  'scp / scope': ['scope_claim', 'scp / scope'],
  'required claims': ['required_claims', 'required claims'],
};

const STAGE_LABELS: Readonly<Record<Stage | 'scopes', string>> = {
  parse: 'parse',
  alg: 'alg',
  discovery: 'discovery',
  key: 'key',
  signature: 'signature',
  claims: 'claims',
  scopes: 'scopes',
};

/** A duration for people: `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 ? `${min} min ${s % 60} s` : `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A NumericDate as an ISO date, or its raw value when no Date can hold it. */
function isoDate(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return Number.isNaN(date.getTime()) ? String(epochSeconds) : date.toISOString();
}

/** `in 59 min (2025-…Z)` or `2 min ago (2025-…Z)`. */
function relative(epochSeconds: number, nowSeconds: number): string {
  const delta = epochSeconds - nowSeconds;
  const when = delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
  return `${when} (${isoDate(epochSeconds)})`;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function kidText(header: Record<string, unknown>): string {
  return header.kid === undefined ? 'without kid' : `kid ${describeValue(header.kid, 64)}`;
}

/** What a passing claim row found, for people. `skip` when the rule had nothing to check. */
function claimPass(
  step: string,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  policy: ClaimPolicy,
  now: number,
): [ExplainStepStatus, string] {
  switch (step) {
    case 'typ':
      return [
        'pass',
        policy.typ === 'strict'
          ? `header typ ${describeValue(header.typ)} (RFC 9068 at+jwt required)`
          : `${header.typ === undefined ? 'no typ header' : `header typ ${describeValue(header.typ)}`} (any typ but an ID token's)`,
      ];
    case 'id_token':
      return ['pass', 'an access token: no nonce, no at_hash, no ID-token typ, aud is not the client id'];
    case 'iss':
      return ['pass', `${describeValue(claims.iss)} is the configured issuer`];
    case 'aud': {
      const aud = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud as string[]);
      const match = aud.find((a) => policy.audiences.includes(a));
      return [
        'pass',
        `${describeValue(claims.aud)} includes the configured audience ${describeValue(match)}`,
      ];
    }
    case 'exp':
      return ['pass', `expires ${relative(claims.exp as number, now)}`];
    case 'nbf':
      return finite(claims.nbf)
        ? ['pass', `valid since ${relative(claims.nbf, now)}`]
        : ['skip', 'no nbf claim'];
    case 'iat': {
      if (!finite(claims.iat)) return ['skip', 'no iat claim'];
      const age = policy.maxTokenAge === undefined ? '' : `, within maxTokenAge ${policy.maxTokenAge} s`;
      return ['pass', `issued ${relative(claims.iat, now)}${age}`];
    }
    case 'sub':
      return claims.sub === undefined ? ['skip', 'no sub claim'] : ['pass', describeValue(claims.sub)];
    case 'client_id': {
      const id = claims.cid ?? claims.client_id;
      if (id === undefined) return ['skip', 'no cid or client_id claim (no client allowlist configured)'];
      return [
        'pass',
        policy.clientIds === undefined
          ? `${describeValue(id)} (no client allowlist configured)`
          : `${describeValue(id)} is an allowed client`,
      ];
    }
    case 'scope_claim': {
      const scopes = readScopes(claims) ?? [];
      return ['pass', scopes.length === 0 ? 'grants no scopes' : `grants ${describeValue(scopes.join(' '))}`];
    }
    case 'required_claims':
      return policy.requiredClaims.length === 0
        ? ['skip', 'no requiredClaims configured']
        : ['pass', `${policy.requiredClaims.length} requiredClaims rule(s) satisfied`];
    default:
      return ['pass', 'passed'];
  }
}

/** A failing time claim says by how much, in words; other rows say what their error says. */
function claimFail(step: string, claims: Record<string, unknown>, error: TokenError, now: number): string {
  if (step === 'exp' && finite(claims.exp) && error.code === 'token_expired') {
    return `expired ${relative(claims.exp, now)}`;
  }
  if (step === 'nbf' && finite(claims.nbf) && error.code === 'token_not_yet_valid') {
    return `not valid until ${relative(claims.nbf, now)}`;
  }
  if (step === 'iat' && finite(claims.iat)) return `issued ${relative(claims.iat, now)}: ${error.message}`;
  return error.message;
}

/** Which step `verify`'s error comes from: its order is fixed, so the code (and the options) say. */
function failedStage(
  error: TokenError,
  parsed: ParsedCompact | undefined,
  algorithms: readonly string[],
  events: readonly ScopeguardEvent[],
): Stage {
  if (parsed === undefined) return 'parse';
  switch (error.code) {
    case 'token_malformed':
      return 'signature'; // something past parsing could not be processed
    case 'alg_not_allowed':
      // The allowlist comes first; an allowed alg refused later means the key is bound to another one.
      return algorithms.includes(parsed.header.alg as string) ? 'key' : 'alg';
    case 'jwks_unavailable':
      return events.some((e) => e.type === 'discovery_failed') ? 'discovery' : 'key';
    case 'key_not_found':
      return 'key';
    case 'signature_invalid':
      return 'signature';
    default:
      return 'claims';
  }
}

/**
 * Explains, step by step, what `verify` makes of a token, for people (the `scopeguard explain` command)
 * and for tools. The verdict is `verify`'s own: a real verifier built from the same options (with the
 * verified-token cache off) checks the token: parsing, algorithm, discovery and key, signature, claims.
 * Where it fails says which step failed and why. Past a valid signature, every row of the same claim table
 * is then run on its own, so ALL claim problems are reported, not only the first (the first one is still
 * the `error`, and the code, `verify` gives). Every time check uses one instant (`checkedAt`).
 *
 * The token is decoded without being trusted: `header` and `claims` are what it says, not what was
 * verified. Nothing in the result contains the token or its signature.
 *
 * Rejects only with `ConfigError` (unusable options); a bad token, or keys that cannot be loaded, are a
 * result (`outcome: 'refused'` or `'unchecked'`).
 *
 * @example
 * const result = await explainToken(token, { issuer, audience: 'api://default', scopes: { allOf: ['read'] } });
 * for (const step of result.steps) console.log(step.status, step.label, step.detail);
 */
export async function explainToken(
  token: string,
  options: ExplainOptions | AnyExplainOptions,
): Promise<TokenExplanation> {
  const { scopes: requirement, ...verifierOptions } = options;
  if (verifierOptions.issuers !== undefined) {
    return explainRouted(token, verifierOptions as MultiIssuerVerifierOptions, requirement);
  }
  return explainOne(token, verifierOptions as VerifierOptions, requirement);
}

/** The steps after `parse` when the token could not be routed to a trusted issuer. */
const UNROUTED_STEPS: readonly (readonly [string, string])[] = [
  ['alg', 'alg'],
  ['discovery', 'discovery'],
  ['key', 'key'],
  ['signature', 'signature'],
  ...Object.values(CLAIM_STEPS),
  ['scopes', 'scopes'],
];

/**
 * Several issuers: routes the token as `verify` does (its unverified `iss`, compared exactly, to a static
 * issuer or the issuers function's answer), then explains it with that issuer's settings over the
 * top-level ones, with an `issuer` step after `parse`. An `iss` that is not trusted stops there, before
 * any key is looked up (nothing is fetched for it).
 */
async function explainRouted(
  token: string,
  options: MultiIssuerVerifierOptions,
  requirement: ScopeRequirement | undefined,
): Promise<TokenExplanation> {
  const m = resolveMultiOptions(options);
  const checkedAt = m.shared.now();
  const skipped = (steps: readonly (readonly [string, string])[]): ExplainStep[] =>
    steps.map(([step, label]) => ({
      step,
      label,
      status: 'skip',
      detail: 'not reached: an earlier step failed',
    }));
  let parsed: ParsedCompact;
  try {
    parsed = parseCompact(token, m.shared.maxTokenLength);
  } catch (caught) {
    const error = isTokenError(caught) ? caught : new TokenError('token_malformed', String(caught));
    return {
      accepted: false,
      outcome: 'refused',
      steps: [
        { step: 'parse', label: 'parse', status: 'fail', detail: error.message, error },
        ...skipped([['issuer', 'issuer'], ...UNROUTED_STEPS]),
      ],
      error,
      checkedAt,
    };
  }
  const iss = parsed.payload.iss;
  let config: IssuerConfig | undefined;
  let where = '';
  let routeError: TokenError | undefined;
  if (typeof iss !== 'string') {
    routeError = new TokenError(
      'issuer_invalid',
      iss === undefined
        ? 'the token has no "iss" claim, so it cannot be routed to a trusted issuer'
        : `iss must be a string, found ${describeValue(iss)}`,
      { claim: 'iss' },
    );
  } else if (typeof options.issuers !== 'function') {
    const index = options.issuers.findIndex((entry) => entry.issuer === iss);
    config = options.issuers[index];
    where = `issuers[${index}]`;
  } else if (couldBeIssuer(iss)) {
    try {
      config = (await options.issuers(iss)) ?? undefined;
      if (config !== undefined) resolveIssuerConfig(config, m.defaults, `issuers(${describeValue(iss)})`);
      if (config !== undefined && config.issuer !== iss) {
        throw new ConfigError(
          `issuers(${describeValue(iss)}).issuer`,
          `the function answered for ${describeValue(config.issuer)}`,
        );
      }
      where = 'the issuers function';
    } catch (error) {
      routeError = new TokenError(
        'jwks_unavailable',
        `the issuers function failed for iss ${describeValue(iss)}: ${(error as Error)?.message ?? String(error)}`,
        { claim: 'iss', cause: error },
      );
    }
  }
  if (config === undefined && routeError === undefined) {
    routeError = new TokenError('issuer_invalid', `iss ${describeValue(iss)} is not a trusted issuer`, {
      claim: 'iss',
    });
  }
  if (routeError !== undefined || config === undefined) {
    const error = routeError as TokenError;
    const steps: ExplainStep[] = [
      {
        step: 'parse',
        label: 'parse',
        status: 'pass',
        detail: `compact JWS: alg ${describeValue(parsed.header.alg)}, ${kidText(parsed.header)}, ${Object.keys(parsed.payload).length} claims`,
      },
      { step: 'issuer', label: 'issuer', status: 'fail', detail: error.message, error },
      ...skipped(UNROUTED_STEPS),
    ];
    return {
      accepted: false,
      outcome: error.code === 'jwks_unavailable' ? 'unchecked' : 'refused',
      steps,
      error,
      header: parsed.header,
      claims: parsed.payload,
      checkedAt,
    };
  }
  const explained = await explainOne(
    token,
    { ...issuerOptions(options, config), now: () => checkedAt },
    requirement,
  );
  const issuerStep: ExplainStep = {
    step: 'issuer',
    label: 'issuer',
    status: 'pass',
    detail: `${describeValue(iss)} is a trusted issuer (${where}); its settings apply`,
  };
  const [parse, ...rest] = explained.steps;
  return { ...explained, steps: parse ? [parse, issuerStep, ...rest] : [issuerStep] };
}

/** One issuer's single-issuer options: its own settings over the top-level ones, as `verify` applies them. */
function issuerOptions(options: MultiIssuerVerifierOptions, config: IssuerConfig): VerifierOptions {
  const {
    issuers: _list,
    maxIssuers: _max,
    resolver: _resolver,
    jwksUri: _uri,
    issuer: _one,
    ...top
  } = options;
  const merged: Record<string, unknown> = { ...top };
  for (const [key, value] of Object.entries(config)) if (value !== undefined) merged[key] = value;
  if (top.jwks !== undefined || config.jwks !== undefined) merged['jwks'] = { ...top.jwks, ...config.jwks };
  return merged as unknown as VerifierOptions;
}

async function explainOne(
  token: string,
  verifierOptions: VerifierOptions,
  requirement: ScopeRequirement | undefined,
): Promise<TokenExplanation> {
  const resolved = resolveOptions(verifierOptions);
  const checkedAt = resolved.now();
  const events: ScopeguardEvent[] = [];
  const verifier = createVerifier({
    ...verifierOptions,
    cache: false,
    now: () => checkedAt,
    // The report says what is wrong; a SCOPEGUARD_CONFIG process warning would say it twice.
    warnings: verifierOptions.warnings ?? false,
    onEvent: (event) => {
      events.push(event);
      verifierOptions.onEvent?.(event);
    },
  });

  let verified: VerifiedToken | undefined;
  let verifyError: TokenError | undefined;
  try {
    verified = await verifier.verify(token);
  } catch (error) {
    verifyError = isTokenError(error)
      ? error
      : new TokenError('token_malformed', 'the token could not be processed', { cause: error });
  }

  let parsed: ParsedCompact | undefined;
  let parseError: TokenError | undefined;
  try {
    parsed = parseCompact(token, resolved.maxTokenLength);
  } catch (error) {
    parseError = isTokenError(error) ? error : new TokenError('token_malformed', String(error));
  }

  const failedAt = verifyError && failedStage(verifyError, parsed, resolved.algorithms, events);
  const before = (stage: Stage) => failedAt === undefined || STAGES.indexOf(stage) < STAGES.indexOf(failedAt);
  const steps: ExplainStep[] = [];
  const add = (step: string, label: string, status: ExplainStepStatus, detail: string, error?: TokenError) =>
    steps.push(
      error === undefined ? { step, label, status, detail } : { step, label, status, detail, error },
    );
  const notReached = 'not reached: an earlier step failed';

  const discovered = events.find((e) => e.type === 'discovery_completed');
  const fetched = events.findLast((e) => e.type === 'jwks_fetched');
  const jwksUri =
    resolved.jwksUri ??
    (discovered?.type === 'discovery_completed' ? discovered.jwksUri : undefined) ??
    (fetched?.type === 'jwks_fetched' ? fetched.jwksUri : undefined);
  const stageStep = (stage: Stage, pass: () => [ExplainStepStatus, string]) => {
    const label = STAGE_LABELS[stage];
    if (failedAt === stage) {
      const error = stage === 'parse' ? (parseError ?? verifyError!) : verifyError!;
      const failed = events.find((e) => e.type === 'discovery_failed');
      // Discovery's own message is the precise one; the TokenError wraps it in "could not load the keys".
      const detail =
        stage === 'discovery' && failed?.type === 'discovery_failed' ? failed.error : error.message;
      add(stage, label, 'fail', detail, error);
    } else if (before(stage)) {
      add(stage, label, ...pass());
    } else {
      add(stage, label, 'skip', notReached);
    }
  };

  const header = parsed?.header ?? {};
  stageStep('parse', () => [
    'pass',
    `compact JWS: alg ${describeValue(header.alg)}, ${kidText(header)}, ${Object.keys(parsed?.payload ?? {}).length} claims`,
  ]);
  stageStep('alg', () => [
    'pass',
    `${describeValue(header.alg)} is allowed (allowed: ${resolved.algorithms.join(', ')})`,
  ]);
  stageStep('discovery', () => {
    if (resolved.jwksUri !== undefined)
      return ['skip', `not needed: jwksUri is configured (${resolved.jwksUri})`];
    if (discovered?.type !== 'discovery_completed')
      return ['skip', 'not needed: the keys were already loaded'];
    return [
      'pass',
      discovered.source === 'okta-default'
        ? `no metadata document answered; Okta's default ${discovered.jwksUri}`
        : `jwks_uri ${discovered.jwksUri} (from the ${discovered.source} metadata)`,
    ];
  });
  stageStep('key', () => {
    const counts =
      fetched?.type === 'jwks_fetched'
        ? ` (${fetched.keys} usable ${fetched.keys === 1 ? 'key' : 'keys'}, ${fetched.ignored} ignored)`
        : '';
    return [
      'pass',
      header.kid === undefined
        ? `the one ${describeValue(header.alg)} key in the JWKS at ${jwksUri}${counts}`
        : `${kidText(header)} found in the JWKS at ${jwksUri}${counts}`,
    ];
  });
  stageStep('signature', () => ['pass', `verifies with the ${header.alg as string} key ${kidText(header)}`]);

  // The claim rows: run one by one once the signature is valid, so every claim problem shows.
  const claims = parsed?.payload ?? {};
  const claimsChecked = parsed !== undefined && (failedAt === undefined || failedAt === 'claims');
  if (claimsChecked) {
    let reported = false;
    for (const row of runClaimChecks(header, claims, resolved.claims, checkedAt)) {
      const [step, label] = CLAIM_STEPS[row.name] ?? [row.name.replace(/\W+/g, '_'), row.name];
      if (row.error) {
        reported = true;
        add(step, label, 'fail', claimFail(step, claims, row.error, checkedAt / 1000), row.error);
      } else {
        add(step, label, ...claimPass(step, header, claims, resolved.claims, checkedAt / 1000));
      }
    }
    if (failedAt === 'claims' && !reported)
      add('claims', 'claims', 'fail', verifyError!.message, verifyError);
  } else {
    for (const [step, label] of Object.values(CLAIM_STEPS)) add(step, label, 'skip', notReached);
  }

  // Scopes: what the caller asked for, checked whenever the claims could be read.
  let scopeError: TokenError | undefined;
  const granted = claimsChecked ? readScopes(claims) : undefined;
  const wanted = [...(requirement?.allOf ?? []), ...(requirement?.anyOf ?? [])];
  if (wanted.length === 0) {
    add('scopes', 'scopes', 'skip', 'no scope required');
  } else if (granted === undefined) {
    add('scopes', 'scopes', 'skip', claimsChecked ? 'the scope claims are malformed' : notReached);
  } else {
    try {
      assertScopes(granted, requirement ?? {});
      add('scopes', 'scopes', 'pass', `grants ${describeValue(wanted.join(' '))}`);
    } catch (error) {
      scopeError = error as TokenError;
      add('scopes', 'scopes', 'fail', scopeError.message, scopeError);
    }
  }

  const error = verifyError ?? scopeError;
  const accepted = verified !== undefined && scopeError === undefined;
  return {
    accepted,
    outcome: accepted ? 'accepted' : error?.code === 'jwks_unavailable' ? 'unchecked' : 'refused',
    steps,
    ...(error === undefined ? {} : { error }),
    ...(parsed === undefined ? {} : { header: parsed.header, claims: parsed.payload }),
    ...(jwksUri === undefined ? {} : { jwksUri }),
    checkedAt,
  };
}
