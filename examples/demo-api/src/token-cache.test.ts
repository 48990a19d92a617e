import { describe, expect, it } from 'vitest';
import { createTokenCache, defaultRefreshMargin, type TokenGrant } from './token-cache.js';

/** A controllable token endpoint: counts requests, resolves them on demand. */
function fakeEndpoint(expiresIn?: number) {
  let issued = 0;
  const waiting: Array<{ resolve: (grant: TokenGrant) => void; reject: (error: Error) => void }> = [];
  return {
    get issued() {
      return issued;
    },
    waiting,
    fetchToken: () =>
      new Promise<TokenGrant>((resolve, reject) => {
        issued += 1;
        const grant = { accessToken: `token-${issued}`, expiresIn, scope: 'customScope' };
        waiting.push({ resolve: () => resolve(grant), reject });
      }),
    immediate: () => {
      issued += 1;
      return Promise.resolve<TokenGrant>({ accessToken: `token-${issued}`, expiresIn });
    },
  };
}

describe('defaultRefreshMargin', () => {
  it('is 60 s, or 10% of a short lifetime', () => {
    expect(defaultRefreshMargin(3600)).toBe(60);
    expect(defaultRefreshMargin(300)).toBe(30);
  });
});

describe('createTokenCache', () => {
  it('reuses the token until the refresh margin, then fetches a new one before expiry', async () => {
    let now = 1_000_000;
    const endpoint = fakeEndpoint(3600);
    const cache = createTokenCache({ fetchToken: endpoint.immediate, now: () => now });

    const first = await cache.get();
    expect(first.accessToken).toBe('token-1');
    expect(first.expiresAt).toBe(1_000_000 + 3_600_000);
    expect(first.refreshAt).toBe(1_000_000 + 3_540_000);

    now += 3_539_000; // 61 s before expiry: still fresh
    expect((await cache.get()).accessToken).toBe('token-1');
    expect(cache.fetches).toBe(1);

    now += 1_000; // 60 s before expiry: refreshed, although the old token has not expired yet
    expect(now).toBeLessThan(first.expiresAt);
    const second = await cache.get();
    expect(second.accessToken).toBe('token-2');
    expect(cache.fetches).toBe(2);
    expect(endpoint.issued).toBe(2);
  });

  it('refreshes a short-lived token when 10% of its lifetime remains', async () => {
    let now = 0;
    const endpoint = fakeEndpoint(100);
    const cache = createTokenCache({ fetchToken: endpoint.immediate, now: () => now });
    await cache.get();
    now = 89_999;
    expect((await cache.get()).accessToken).toBe('token-1');
    now = 90_000;
    expect((await cache.get()).accessToken).toBe('token-2');
  });

  it('sends one token request for concurrent callers', async () => {
    const endpoint = fakeEndpoint(3600);
    const cache = createTokenCache({ fetchToken: endpoint.fetchToken });
    const callers = Array.from({ length: 10 }, () => cache.get());
    expect(endpoint.issued).toBe(1);
    endpoint.waiting[0]!.resolve({ accessToken: 'ignored' });
    const tokens = await Promise.all(callers);
    expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set(['token-1']));
    expect(cache.fetches).toBe(1);
    await cache.get();
    expect(endpoint.issued).toBe(1);
  });

  it('does not cache a failure: every waiter gets the error, the next call tries again', async () => {
    const endpoint = fakeEndpoint(3600);
    const cache = createTokenCache({ fetchToken: endpoint.fetchToken });
    const a = cache.get();
    const b = cache.get();
    endpoint.waiting[0]!.reject(new Error('invalid_client'));
    await expect(a).rejects.toThrow('invalid_client');
    await expect(b).rejects.toThrow('invalid_client');
    const retry = cache.get();
    expect(endpoint.issued).toBe(2);
    endpoint.waiting[1]!.resolve({ accessToken: 'ignored' });
    expect((await retry).accessToken).toBe('token-2');
  });

  it('fetches again after invalidate()', async () => {
    const endpoint = fakeEndpoint(3600);
    const cache = createTokenCache({ fetchToken: endpoint.immediate });
    expect((await cache.get()).accessToken).toBe('token-1');
    cache.invalidate();
    expect((await cache.get()).accessToken).toBe('token-2');
  });

  it('does not keep a token without expires_in', async () => {
    const endpoint = fakeEndpoint(undefined);
    const cache = createTokenCache({ fetchToken: endpoint.immediate });
    expect((await cache.get()).accessToken).toBe('token-1');
    expect((await cache.get()).accessToken).toBe('token-2');
  });
});
