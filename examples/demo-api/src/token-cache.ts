/** A token as the token endpoint returned it. */
export interface TokenGrant {
  /** The access token. */
  accessToken: string;
  /** Lifetime in seconds (`expires_in`); without it the token is used once and not cached. */
  expiresIn?: number | undefined;
  /** Granted scopes (`scope`), when the server says. */
  scope?: string | undefined;
}

/** A cached token with the times the cache derived from it. */
export interface CachedToken extends TokenGrant {
  /** When the token request was sent, in ms since the epoch (its lifetime is counted from there). */
  obtainedAt: number;
  /** When the token expires, in ms since the epoch. */
  expiresAt: number;
  /** From this moment on the cache asks for a new token, in ms since the epoch. */
  refreshAt: number;
}

/** Options of {@link createTokenCache}. */
export interface TokenCacheOptions {
  /** Asks the token endpoint for a new token. */
  fetchToken: () => Promise<TokenGrant>;
  /**
   * How many seconds before expiry to refresh, given the token's lifetime. Default
   * {@link defaultRefreshMargin}: 60 s, or 10% of the lifetime when that is shorter.
   */
  refreshMargin?: (lifetimeSeconds: number) => number;
  /** Clock in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** A single-flight cache of one access token. */
export interface TokenCache {
  /**
   * The cached token while it is fresh; otherwise a new one. Concurrent callers share one token
   * request; a failed request is not cached (the next call tries again).
   */
  get(): Promise<CachedToken>;
  /** Forgets the cached token (e.g. after the API refused it); the next `get` fetches a new one. */
  invalidate(): void;
  /** How many token requests were started. */
  readonly fetches: number;
}

/** Default refresh margin: 60 seconds before expiry, or 10% of the lifetime if that is shorter. */
export function defaultRefreshMargin(lifetimeSeconds: number): number {
  return Math.min(60, lifetimeSeconds * 0.1);
}

/**
 * Caches the access token of a Client Credentials client until shortly before it expires (see
 * {@link TokenCacheOptions.refreshMargin}), with one token request in flight at most.
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const now = options.now ?? Date.now;
  const margin = options.refreshMargin ?? defaultRefreshMargin;
  let current: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;
  let generation = 0;
  let fetches = 0;

  const refresh = (): Promise<CachedToken> => {
    const started = now();
    const startedGeneration = generation;
    fetches += 1;
    const request = (async () => {
      const grant = await options.fetchToken();
      const lifetime = grant.expiresIn;
      const usable = typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime > 0;
      const expiresAt = usable ? started + lifetime * 1000 : started;
      const refreshAt = usable ? expiresAt - Math.max(0, margin(lifetime)) * 1000 : started;
      const token: CachedToken = { ...grant, obtainedAt: started, expiresAt, refreshAt };
      // A token requested before invalidate() is still handed to its waiters, but not kept.
      if (startedGeneration === generation) current = token;
      return token;
    })();
    pending = request;
    const clear = () => {
      if (pending === request) pending = undefined;
    };
    request.then(clear, clear);
    return request;
  };

  return {
    get() {
      if (current !== undefined && now() < current.refreshAt) return Promise.resolve(current);
      return pending ?? refresh();
    },
    invalidate() {
      current = undefined;
      pending = undefined;
      generation += 1;
    },
    get fetches() {
      return fetches;
    },
  };
}
