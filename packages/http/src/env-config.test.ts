import { ConfigError } from '@scopeguard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONFIG_WARNING_CODE, envVerifierSource } from './env-config.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('envVerifierSource', () => {
  it('reads nothing at creation when no SCOPEGUARD_* is set, and the environment at the first get()', () => {
    const env: Record<string, string | undefined> = {};
    const source = envVerifierSource({ env });
    // `import app` ran; now `dotenv.config()` fills the environment.
    env['SCOPEGUARD_ISSUER'] = 'https://issuer.example/oauth2/default';
    env['SCOPEGUARD_AUDIENCE'] = 'api://default';
    const verifier = source.get();
    expect(verifier.issuer).toBe('https://issuer.example/oauth2/default');
    expect(verifier.audiences).toEqual(['api://default']);
    // Kept once built.
    env['SCOPEGUARD_ISSUER'] = 'https://other.example';
    expect(source.get()).toBe(verifier);
  });

  it('validates at creation when the environment is already set', () => {
    expect(() => envVerifierSource({ env: { SCOPEGUARD_ISSUER: 'https://issuer.example' } })).toThrow(
      /^SCOPEGUARD_AUDIENCE: /,
    );
    expect(() =>
      envVerifierSource({ env: { SCOPEGUARD_ISSUER: 'http://issuer.example', SCOPEGUARD_AUDIENCE: 'a' } }),
    ).toThrow(/^SCOPEGUARD_ISSUER: /);
  });

  it('throws a bad environment found at a request, warns once (SCOPEGUARD_CONFIG), and tries again next time', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const env: Record<string, string | undefined> = {};
    const source = envVerifierSource({ env });
    env['SCOPEGUARD_ISSUER'] = 'http://not-loopback.example/oauth2/default';
    env['SCOPEGUARD_AUDIENCE'] = 'api://default';
    expect(() => source.get()).toThrow(ConfigError);
    expect(() => source.get()).toThrow(/^SCOPEGUARD_ISSUER: /);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/^scopeguard: SCOPEGUARD_ISSUER: /);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: CONFIG_WARNING_CODE });
    env['SCOPEGUARD_ISSUER'] = 'https://issuer.example/oauth2/default';
    expect(source.get().issuer).toBe('https://issuer.example/oauth2/default');
  });

  it("uses the adapter's own error when nothing at all is configured", () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const source = envVerifierSource({
      env: {},
      unconfigured: () => new ConfigError('SCOPEGUARD_ISSUER', 'is not set and no authenticate() ran'),
    });
    expect(() => source.get()).toThrow('SCOPEGUARD_ISSUER: is not set and no authenticate() ran');
  });
});
