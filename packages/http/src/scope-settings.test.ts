import { ConfigError } from '@scopeguard/core';
import { describe, expect, it } from 'vitest';
import { scopeSettings } from './scope-settings.js';
import { resolveSettings } from './settings.js';

describe('scopeSettings (the settings of one requireScope middleware)', () => {
  const authenticated = resolveSettings({ realm: 'orders', optional: true, retryAfter: 30 });

  it('answers with the settings of the authenticate() that ran when it sets no answer option', () => {
    const scoped = scopeSettings({});
    expect(scoped.over(authenticated)).toBe(authenticated);
  });

  it('lays its own answer options over those settings, and merges once per authenticate()', () => {
    const scoped = scopeSettings({ realm: 'admin' });
    const merged = scoped.over(authenticated);
    expect(merged.realm).toBe('admin');
    expect(merged.retryAfter).toBe(30);
    expect(scoped.over(authenticated)).toBe(merged);
    const other = resolveSettings({ realm: 'billing' });
    expect(scoped.over(other)).not.toBe(merged);
    expect(scoped.over(other).realm).toBe('admin');
  });

  it('has its own settings, with optional off (a scope always needs a token)', () => {
    const scoped = scopeSettings({ optional: true, exposeErrorDetails: true } as never);
    expect(scoped.own.optional).toBe(false);
    expect(scoped.own.exposeErrorDetails).toBe(true);
  });

  it('refuses an invalid answer option at creation', () => {
    expect(() => scopeSettings({ realm: 'a"b' })).toThrow(ConfigError);
  });
});
