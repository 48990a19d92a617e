import {
  formatDuration,
  type TokenError,
  type TokenExplanation,
  type VerifierOptions,
} from '@scopeguard/core';
import { differOnlyBySlash, quote, shellQuote } from './text.js';

/** What a hint may draw on: the explanation (decoded, untrusted claims) and the options used. */
export interface HintContext {
  readonly explanation: TokenExplanation;
  readonly options: VerifierOptions;
}

const list = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

/** `--flag value` for a suggestion, the value shell-quoted (only for plain strings). */
function flag(name: string, value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? `--${name} ${shellQuote(value)}` : undefined;
}

function doctorCommand(options: VerifierOptions): string {
  const parts = ['scopeguard doctor', `--issuer ${shellQuote(options.issuer)}`];
  if (options.jwksUri) parts.push(`--jwks-uri ${shellQuote(options.jwksUri)}`);
  for (const alg of options.algorithms ?? []) parts.push(`--alg ${alg}`);
  return parts.join(' ');
}

/**
 * The likely fix for one failure, as a sentence: the table of hints per `TokenError` code (and, where the
 * code covers several rules, per claim). Values from the token are quoted, never trusted.
 */
export function hintFor(
  error: TokenError,
  step: string | undefined,
  context: HintContext,
): string | undefined {
  const { explanation, options } = context;
  const claims = explanation.claims ?? {};
  const header = explanation.header ?? {};
  const now = explanation.checkedAt / 1000;
  const kid = header['kid'] === undefined ? 'without a kid' : `kid ${quote(header['kid'])}`;
  switch (error.code) {
    case 'token_malformed':
      return 'paste the whole access token: three base64url parts separated by dots (the access_token of the token response, not an ID token, not an encrypted JWE); with -, pipe only the token or "Bearer <token>"';
    case 'alg_not_allowed': {
      const alg = header['alg'];
      if (step === 'key') {
        return `the JWKS binds the key ${kid} to another algorithm than the token's alg ${quote(alg)}: either the token lies about its algorithm (a forgery), or the issuer's JWKS declares the wrong "alg" for that key`;
      }
      if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^hs\d+$/i.test(alg))) {
        return `alg ${quote(alg)} can never be allowed: an API verifies public-key signatures only. This token is not an access token from an OAuth authorization server (or it is forged)`;
      }
      return `the token is signed with ${quote(alg)}; if your issuer really signs with it, allow it: ${flag('alg', alg) ?? '--alg ALG'}`;
    }
    case 'key_not_found': {
      if (typeof claims['iss'] === 'string' && claims['iss'] !== options.issuer) {
        return `the token was issued by ${quote(claims['iss'])}, not by the configured issuer, whose JWKS has no key ${kid}: use ${flag('issuer', claims['iss'])} if that is your authorization server, or get a token from ${quote(options.issuer)}`;
      }
      return `the issuer's JWKS has no key ${kid}: the token comes from another environment or issuer, or its key was retired (get a new token). ${doctorCommand(options)} lists the keys`;
    }
    case 'signature_invalid':
      return `the signature does not match the published key ${kid}: the token was altered, or signed by another issuer that uses the same kid (another environment?). Get a fresh token from ${quote(options.issuer)}; nothing in this token can be trusted`;
    case 'token_expired':
      if (error.claim === 'iat') {
        return `the token is older than --max-token-age (${options.maxTokenAge} s): request a new one, or raise --max-token-age`;
      }
      return `request a new token${typeof claims['exp'] === 'number' ? `: this one expired ${formatDuration(now - claims['exp'])} ago` : ''}. If this machine's clock is wrong, fix it (leeway: --clock-tolerance, now ${options.clockTolerance ?? 5} s)`;
    case 'token_not_yet_valid': {
      const at = error.claim === 'iat' ? claims['iat'] : claims['nbf'];
      const ahead = typeof at === 'number' ? ` by about ${formatDuration(at - now)}` : '';
      return `the issuer's clock and this machine's disagree${ahead}: sync them (NTP), or raise --clock-tolerance (now ${options.clockTolerance ?? 5} s)`;
    }
    case 'issuer_invalid': {
      const iss = claims['iss'];
      if (differOnlyBySlash(iss, options.issuer)) {
        return `iss is compared exactly, trailing slash included: configure ${flag('issuer', iss)}`;
      }
      return `the token was issued by ${quote(iss)}: if that is your authorization server, configure ${flag('issuer', iss) ?? '--issuer ISS'}; otherwise get a token from ${quote(options.issuer)}`;
    }
    case 'audience_invalid': {
      const aud = claims['aud'];
      const expected = list(options.audience);
      const wanted = expected.length === 1 ? quote(expected[0]) : quote(expected);
      if (
        typeof aud !== 'string' &&
        !(Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'))
      ) {
        return `aud must be a string or a non-empty array of strings: the issuer does not issue this token for any API`;
      }
      const suggestion =
        typeof aud === 'string' ? flag('audience', aud) : `--audience ${shellQuote(String(aud[0]))}`;
      return `the token was issued for ${quote(aud)}; configure ${suggestion}, or request a token for this API (audience ${wanted})`;
    }
    case 'client_not_allowed': {
      const client = claims['cid'] ?? claims['client_id'];
      if (client === undefined)
        return 'the token names no client (cid or client_id) while --client-id is set: drop --client-id, or use a token from an allowed client';
      return `client ${quote(client)} is not allowed: add ${flag('client-id', client) ?? '--client-id ID'}, or use a token of an allowed client (${quote(options.clientIds)})`;
    }
    case 'claim_invalid':
      switch (error.claim) {
        case 'header.typ':
          return '--typ strict requires typ "at+jwt" (RFC 9068), which this issuer does not send (Okta does not): use --typ any';
        case 'typ':
          return 'this is an ID token (OpenID Connect), meant for the client, not for an API: send the access_token of the token response';
        case 'scp':
        case 'scope':
          return 'the scope claims are malformed: scp must be an array of scope strings, scope a space-delimited string (and they must agree)';
        case 'client_id':
          return 'cid and client_id disagree: the token contradicts itself; get a new one';
        default:
          return `claim ${quote(error.claim)} does not meet the rule: ${error.message}`;
      }
    case 'insufficient_scope': {
      const granted = list(claims['scp'] as string[] | undefined).concat(
        typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter(Boolean) : [],
      );
      const missing = (error.requiredScopes ?? []).filter((scope) => !granted.includes(scope));
      return `request the token with scope=${shellQuote(missing.join(' ') || (error.requiredScopes ?? []).join(' '))} (the client must be allowed those scopes at the authorization server), or ask for less with --scope`;
    }
    case 'jwks_unavailable': {
      const doctor = `To see why: ${doctorCommand(options)}`;
      if (step === 'discovery' && differOnlyBySlash(claims['iss'], options.issuer)) {
        return `the issuer is compared exactly, trailing slash included, and this token's iss is ${quote(claims['iss'])}: configure ${flag('issuer', claims['iss'])}. ${doctor}`;
      }
      return `the keys could not be loaded, so the token could not be checked at all. ${doctor}`;
    }
    default:
      return undefined;
  }
}
