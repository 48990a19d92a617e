import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { protectedResourceMetadata, type ScopeRule } from '@scopeguard/http';
import type { ScopeguardConfig } from './options.js';
import { setAnswerHeaders } from './send-answer.js';
import { SCOPEGUARD_CONFIG, SCOPES_METADATA } from './tokens.js';

// `reflect-metadata`'s API, which Nest loads.
const metadata = Reflect as unknown as { getMetadata(key: unknown, target: object): unknown };

function rulesOf(target: unknown): readonly ScopeRule[] {
  if ((typeof target !== 'function' && typeof target !== 'object') || target === null) return [];
  return (metadata.getMetadata(SCOPES_METADATA, target) as readonly ScopeRule[] | undefined) ?? [];
}

/** The scopes `@RequireScope`/`@RequireAnyScope` put on every controller class and handler of the app. */
function controllerScopes(modules: ModulesContainer): Set<string> {
  const scopes = new Set<string>();
  const add = (rules: readonly ScopeRule[]) => {
    for (const rule of rules) for (const scope of rule.scopes) scopes.add(scope);
  };
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype;
      if (typeof type !== 'function') continue;
      add(rulesOf(type));
      for (
        let proto = type.prototype;
        proto && proto !== Object.prototype;
        proto = Object.getPrototypeOf(proto)
      ) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          if (name === 'constructor') continue;
          const method = Object.getOwnPropertyDescriptor(proto, name)?.value;
          if (typeof method === 'function') add(rulesOf(method));
        }
      }
    }
  }
  return scopes;
}

/**
 * RFC 9728 for Nest: when the module's settings have the metadata on (a `resource`, and
 * `resourceMetadata` not `false`), declares `GET` (and `HEAD`) of
 * `/.well-known/oauth-protected-resource<path of resource>` on the platform itself (Express or Fastify),
 * outside Nest's router: no global prefix, no guard (the document is public). `scopes_supported`
 * defaults to the scopes of every `@RequireScope`/`@RequireAnyScope` in the app's controllers.
 */
@Injectable()
export class ResourceMetadataRoute implements OnModuleInit {
  constructor(
    @Inject(SCOPEGUARD_CONFIG) private readonly config: ScopeguardConfig,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
  ) {}

  /** Runs after Nest registered its routes and before its not-found handler: the route goes in between. */
  onModuleInit(): void {
    const settings = this.config.settings;
    const resourceMetadata = settings.resourceMetadata;
    const adapter = this.adapterHost?.httpAdapter;
    if (resourceMetadata === undefined || adapter === undefined) return;
    let scopes: Set<string> | undefined;
    const handler = (_request: unknown, response: unknown) => {
      scopes ??= controllerScopes(this.modules);
      const answer = protectedResourceMetadata(this.config.verifier(), settings, scopes);
      if (answer === undefined) return;
      adapter.status(response, answer.status);
      setAnswerHeaders(adapter, response, answer.headers);
      adapter.reply(response, answer.body, answer.status);
    };
    for (const path of [resourceMetadata.path, ...resourceMetadata.aliases]) adapter.get(path, handler);
  }
}
