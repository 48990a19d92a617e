/** Injection token of the options given to `ScopeguardModule.forRoot` or returned by `forRootAsync`'s factory. */
export const SCOPEGUARD_OPTIONS = Symbol.for('@scopeguard/nestjs.options');

/** Injection token of the resolved configuration (`ScopeguardConfig`) the guard uses. */
export const SCOPEGUARD_CONFIG = Symbol.for('@scopeguard/nestjs.config');

/** Metadata key of `@Public()`. */
export const PUBLIC_METADATA = 'scopeguard:public';

/** Metadata key of `@RequireScope()` / `@RequireAnyScope()`: a list of scope rules. */
export const SCOPES_METADATA = 'scopeguard:scopes';
