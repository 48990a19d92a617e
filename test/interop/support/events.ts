import type { ScopeguardEvent } from '@scopeguard/core';

/** Collects what a verifier reports through `onEvent`, for assertions. */
export function recordEvents(): { events: ScopeguardEvent[]; onEvent: (event: ScopeguardEvent) => void } {
  const events: ScopeguardEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

/** The JWKS-discovery outcome a verifier reported, if any. */
export function discoverySource(events: readonly ScopeguardEvent[]): string | undefined {
  const completed = events.find((event) => event.type === 'discovery_completed');
  return completed?.type === 'discovery_completed' ? completed.source : undefined;
}
