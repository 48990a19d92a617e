import type { ClientCredentialsClient } from './client.js';
import { apiRequestCurl } from './curl.js';
import { type ApiRequest, type ApiResponse, callApi, readApiResponse } from './http.js';
import { redact, redactAll } from './redact.js';

/** What a step expects from the API. */
export interface ExpectedOutcome {
  status: number;
  /** The `error` member of the JSON body (e.g. `invalid_token`), when it matters. */
  error?: string;
  /** Extra check on the answer: returns a problem description, or undefined when fine. */
  check?: (response: ApiResponse) => string | undefined;
}

/**
 * A request a step prepared. With `send`, another client (e.g. openid-client, which makes the DPoP
 * proof itself) sends it, and may fill in fields (`dpop`) as it does; they are printed after it is sent.
 */
export interface PreparedRequest extends ApiRequest {
  send?: () => Promise<Response>;
}

/** One step of a run: prepare a request (getting a token, printing how), send it, compare. */
export interface StepDefinition {
  title: string;
  /** Builds the request; may print (e.g. the token request). A throw fails the step. */
  prepare: (transcript: Transcript) => Promise<PreparedRequest> | PreparedRequest;
  expect: ExpectedOutcome;
}

/** How a step went. */
export interface StepResult {
  title: string;
  expected: number;
  /** The status received, or undefined when no answer was obtained. */
  status: number | undefined;
  ok: boolean;
  /** Why it failed, when it did. */
  problem?: string;
}

/** A printed record of a run, with every registered secret redacted from every line. */
export interface Transcript {
  /** Registers a secret (client secret, token) so no printed line ever contains it in full. */
  secret(value: string): string;
  /** Prints one line (redacted). */
  line(text?: string): void;
  /** Runs and prints one step; never throws. */
  step(definition: StepDefinition): Promise<StepResult>;
  /** Prints how the client's token was obtained (a token request as curl, or the cache) and returns it. */
  token(client: ClientCredentialsClient): Promise<string>;
  /** Prints the `n/m steps as expected` line; returns true when every step went as expected. */
  summary(): boolean;
  readonly results: readonly StepResult[];
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function describeOutcome(status: number | undefined, error: string | undefined): string {
  if (status === undefined) return 'no answer';
  return error === undefined ? String(status) : `${status} ${error}`;
}

function bodyError(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === 'string' ? error : undefined;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** Options of {@link createTranscript}. */
export interface TranscriptOptions {
  /** Where lines go. Default `console.log`. */
  write?: (line: string) => void;
  /** Sends API requests. Default: global `fetch`. */
  fetch?: typeof fetch;
  /** Longest body printed, in characters. Default 400. */
  maxBody?: number;
}

/**
 * Creates a transcript: each step prints its request as a `curl` line, the status, the
 * `WWW-Authenticate` challenge and the body, then `✓` or `✗` against the expected status.
 */
export function createTranscript(options: TranscriptOptions = {}): Transcript {
  const write = options.write ?? ((line: string) => console.log(line));
  const maxBody = options.maxBody ?? 400;
  const secrets = new Set<string>();
  const results: StepResult[] = [];

  const line = (text = '') => write(redactAll(text, [...secrets]));

  const transcript: Transcript = {
    secret(value) {
      if (value !== '') secrets.add(value);
      return value;
    },
    line,
    results,

    async token(client) {
      const before = client.tokenRequests;
      const token = await client.getToken();
      transcript.secret(token.accessToken);
      const remaining = Math.round((token.expiresAt - Date.now()) / 1000);
      if (client.tokenRequests === before) {
        line(
          `  token: cached token of ${client.clientId} reused (no token request; expires in ${remaining} s)`,
        );
      } else {
        line(
          `  token: ${client.clientId} asks for one (${client.authMethod}, scope "${client.scope ?? ''}")`,
        );
        line(indent(`$ ${await client.tokenRequestCurl()}`, '    '));
        const scope = token.scope === undefined ? '' : `, scope "${token.scope}"`;
        line(
          `    → access_token ${redact(token.accessToken)} (expires_in ${token.expiresIn ?? '?'} s${scope})`,
        );
      }
      return token.accessToken;
    },

    async step(definition) {
      const number = results.length + 1;
      const { expect } = definition;
      const expected = describeOutcome(expect.status, expect.error);
      line();
      line(`── Step ${number}: ${definition.title} (expect ${expected})`);
      let result: StepResult;
      try {
        const request = await definition.prepare(transcript);
        if (request.token !== undefined) transcript.secret(request.token);
        let response: ApiResponse;
        if (request.send === undefined) {
          line(indent(`$ ${apiRequestCurl(request)}`, '  '));
          response = await callApi(request, options.fetch);
        } else {
          const sent = await request.send();
          if (request.dpop !== undefined) transcript.secret(request.dpop);
          line(indent(`$ ${apiRequestCurl(request)}`, '  '));
          response = await readApiResponse(sent);
        }
        const error = bodyError(response.body);
        line(`  ← ${response.status} ${STATUS_TEXT[response.status] ?? response.statusText}`);
        if (response.wwwAuthenticate !== undefined) line(`  WWW-Authenticate: ${response.wwwAuthenticate}`);
        if (response.body !== undefined) {
          let body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
          if (body.length > maxBody) body = `${body.slice(0, maxBody)}…`;
          line(`  body: ${body}`);
        }
        let problem: string | undefined;
        if (response.status !== expect.status || (expect.error !== undefined && error !== expect.error)) {
          problem = `got ${describeOutcome(response.status, error)}, expected ${expected}`;
        } else {
          problem = expect.check?.(response);
        }
        result = { title: definition.title, expected: expect.status, status: response.status, ok: !problem };
        if (problem !== undefined) result.problem = problem;
        line(problem === undefined ? `  ✓ ${describeOutcome(response.status, error)}` : `  ✗ ${problem}`);
      } catch (error) {
        const problem = error instanceof Error ? error.message : String(error);
        result = { title: definition.title, expected: expect.status, status: undefined, ok: false, problem };
        line(`  ✗ ${problem}`);
      }
      results.push(result);
      return result;
    },

    summary() {
      const passed = results.filter((result) => result.ok).length;
      const ok = passed === results.length;
      line();
      line(`${ok ? '✓' : '✗'} ${passed}/${results.length} steps as expected`);
      for (const result of results.filter((entry) => !entry.ok)) {
        line(`  ✗ ${result.title}: ${result.problem ?? 'failed'}`);
      }
      return ok;
    },
  };
  return transcript;
}
