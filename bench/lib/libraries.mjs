// One `verify(token) → Promise` per library, built the way each library's README shows, against the
// loopback test issuer. Used by the verify and key-event sections (the HTTP section mounts the real
// middleware in bench/http-server.mjs).
import OktaJwtVerifier from '@okta/jwt-verifier';
import { createVerifier as createScopeguardVerifier } from '@scopeguard/core';
import { auth as auth0Auth } from 'express-oauth2-jwt-bearer';
import { expressjwt } from 'express-jwt';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import jwksRsa from 'jwks-rsa';
import { quietly } from './common.mjs';

/**
 * Settings shared by every library where it has an equivalent, so key events compare like with like:
 * `cooldown` (ms between key-set fetches caused by unknown kids) and `maxAge` (ms a key set is fresh).
 * `undefined` keeps each library's own default.
 */
export function scopeguard({ issuer, jwksUri, audience, alg, cache, cooldown, maxAge, onEvent }) {
  const jwks = {};
  if (cooldown !== undefined) jwks.cooldown = cooldown;
  if (maxAge !== undefined) jwks.maxAge = maxAge;
  const verifier = createScopeguardVerifier({
    issuer,
    audience,
    jwksUri,
    algorithms: [alg],
    jwks,
    ...(cache === undefined ? {} : { cache }),
    ...(onEvent ? { onEvent } : {}),
  });
  return { verify: (token) => verifier.verify(token), verifier };
}

export function jose({ issuer, jwksUri, audience, alg, cooldown, maxAge }) {
  const options = {};
  if (cooldown !== undefined) options.cooldownDuration = cooldown;
  if (maxAge !== undefined) options.cacheMaxAge = maxAge;
  const keySet = createRemoteJWKSet(new URL(jwksUri), options);
  return { verify: (token) => jwtVerify(token, keySet, { issuer, audience, algorithms: [alg] }) };
}

/** `@okta/jwt-verifier` verifies RS256 only (it pins njwt to RS256). */
export function okta({ issuer, jwksUri, audience, alg, maxAge }) {
  if (alg !== 'RS256') return undefined;
  const verifier = quietly(
    () =>
      new OktaJwtVerifier({
        issuer,
        jwksUri,
        testing: { disableHttpsCheck: true },
        ...(maxAge === undefined ? {} : { cacheMaxAge: maxAge }),
      }),
  );
  return { verify: (token) => verifier.verifyAccessToken(token, audience) };
}

/** fast-jwt has no JWKS client of its own: it gets the public PEM (its fastest, synchronous form). */
export function fastJwt({ issuer, audience, alg, publicKey }) {
  const verifier = createFastJwtVerifier({
    key: publicKey.export({ type: 'spki', format: 'pem' }),
    algorithms: [alg],
    allowedIss: issuer,
    allowedAud: audience,
  });
  return { verify: async (token) => verifier(token) };
}

/** The express-jwt middleware with jwks-rsa's `expressJwtSecret`, as in jwks-rsa's README, called directly. */
export function expressJwt({ issuer, jwksUri, audience, alg, maxAge }) {
  const middleware = expressjwt({
    secret: jwksRsa.expressJwtSecret({
      jwksUri,
      cache: true,
      rateLimit: true,
      jwksRequestsPerMinute: 5,
      ...(maxAge === undefined ? {} : { cacheMaxAge: maxAge }),
    }),
    audience,
    issuer,
    algorithms: [alg],
  });
  return {
    verify: (token) =>
      new Promise((resolve, reject) => {
        const req = { method: 'GET', headers: { authorization: `Bearer ${token}` } };
        middleware(req, {}, (error) => (error ? reject(error) : resolve(req.auth)));
      }),
  };
}

/**
 * express-oauth2-jwt-bearer's `auth()` middleware called with a minimal request: its verifier is not
 * exported. Underneath it is jose 4's `createRemoteJWKSet` (cooldown 30 s, cache 10 min by default).
 */
export function auth0({ issuer, jwksUri, audience, alg, cooldown, maxAge }) {
  const middleware = auth0Auth({
    issuer,
    jwksUri,
    audience,
    tokenSigningAlg: alg,
    ...(cooldown === undefined ? {} : { cooldownDuration: cooldown }),
    ...(maxAge === undefined ? {} : { cacheMaxAge: maxAge }),
  });
  return {
    verify: (token) =>
      new Promise((resolve, reject) => {
        const headers = { authorization: `Bearer ${token}`, host: '127.0.0.1' };
        const req = {
          method: 'GET',
          protocol: 'http',
          url: '/',
          originalUrl: '/',
          headers,
          query: {},
          body: undefined,
          is: () => false,
          get: (name) => headers[name.toLowerCase()],
        };
        middleware(req, {}, (error) => (error ? reject(error) : resolve(req.auth)));
      }),
  };
}

export const LIBRARIES = { scopeguard, jose, okta, fastJwt, expressJwt, auth0 };
