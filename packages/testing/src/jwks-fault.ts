import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionDropped } from './in-process-fetch.js';

/**
 * A way for the JWKS endpoint to misbehave:
 * - `status`: answer with this HTTP status (e.g. 500, 404, 429) and an error body;
 * - `garbage`: answer 200 with a body that is not a JWKS (default: truncated JSON);
 * - `delay`: answer normally, but only after `ms` milliseconds;
 * - `hang`: never answer (until the client gives up or the issuer closes);
 * - `drop`: close the connection without answering.
 *
 * `times` limits the fault to the next N JWKS requests; after that the endpoint behaves again.
 */
export type JwksFault = (
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  | { kind: 'garbage'; body?: string; contentType?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
) & { times?: number };

/** Holds the current JWKS fault and counts down its `times`. */
export class JwksFaultSwitch {
  #fault: JwksFault | null = null;
  #remaining = Number.POSITIVE_INFINITY;

  /** Sets (or, with `null`, clears) the fault. */
  set(fault: JwksFault | null): void {
    this.#fault = fault;
    this.#remaining = fault?.times ?? Number.POSITIVE_INFINITY;
  }

  /** The fault that applies to the request being answered, if any. */
  take(): JwksFault | null {
    if (!this.#fault || this.#remaining <= 0) return null;
    this.#remaining -= 1;
    const fault = this.#fault;
    if (this.#remaining <= 0) this.#fault = null;
    return fault;
  }
}

function abortedBy(signals: AbortSignal[]): Promise<never> {
  return new Promise((_, reject) => {
    const signal = AbortSignal.any(signals);
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Answers a JWKS request according to `fault`, calling `answer` for the normal response where the fault
 * calls for one. `signals` end a hang or a delay early (the client aborting, the issuer closing).
 */
export async function answerWithFault(
  fault: JwksFault,
  answer: () => Response,
  signals: AbortSignal[],
): Promise<Response> {
  switch (fault.kind) {
    case 'status':
      return new Response(fault.body ?? JSON.stringify({ error: 'server_error', status: fault.status }), {
        status: fault.status,
        headers: { 'content-type': fault.contentType ?? 'application/json' },
      });
    case 'garbage':
      return new Response(fault.body ?? '{"keys": [{"kty": "RSA", "n": ', {
        status: 200,
        headers: { 'content-type': fault.contentType ?? 'application/json' },
      });
    case 'delay':
      await sleep(fault.ms, undefined, { signal: AbortSignal.any(signals) });
      return answer();
    case 'hang':
      return abortedBy(signals);
    case 'drop':
      throw new ConnectionDropped();
  }
}
