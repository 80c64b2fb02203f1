import type { AuthorizationRequest, Decision } from '@writ/core';
import {
  type FetchLike,
  fetchSchema,
  functionSchema,
  safeUrl,
  timeoutSchema,
  uuidv7,
  validateOptions,
} from '@writ/core/internal';
import type { CallOptions, PolicyEngine } from '@writ/core/plugin';
import { z } from 'zod';
import { fetchPdpJson, pdpUnavailable } from '../pdp/pdp-fetch.js';
import { maxResponseBytesSchema, pdpHeadersSchema } from '../pdp/pdp-options.js';
import { opaBaseUrlProblem, opaDataUrl, opaPathSchema } from './opa-data-url.js';
import { readOpaAnswer } from './opa-result.js';

/**
 * Defaults of {@link createOpaEngine}.
 *
 * @example
 * ```ts
 * createOpaEngine({ url, path: 'writ/authz', timeoutMs: OPA_ENGINE_DEFAULTS.timeoutMs * 2 });
 * ```
 */
export const OPA_ENGINE_DEFAULTS = Object.freeze({
  /** Engine name in decisions and messages. @default 'opa' */
  name: 'opa',
  /** Time limit of one Data API request, milliseconds. @default 1000 */
  timeoutMs: 1_000,
  /** Ask OPA for `provenance` (version, bundle revisions) and record it. @default false */
  provenance: false,
  /** Allow plain `http` to hosts other than loopback. @default false */
  allowInsecureHttp: false,
  /** Largest answer accepted, bytes. @default 1048576 (1 MiB) */
  maxResponseBytes: 1024 * 1024,
});

/**
 * Options of {@link createOpaEngine}.
 *
 * @example
 * ```ts
 * const options: CreateOpaEngineOptions = { url: 'http://127.0.0.1:8181', path: 'writ/authz', provenance: true };
 * ```
 */
export interface CreateOpaEngineOptions {
  /** Base URL of the OPA server (`https`; plain `http` on loopback hosts or with `allowInsecureHttp`). May carry a path prefix. */
  url: string;
  /**
   * The document to query, slash-separated: a rule (`writ/authz/allow`, answering a boolean) or a package
   * (`writ/authz`, answering an {@link OpaDecisionDocument}). Segments are percent-encoded; `.` and `..` are refused.
   */
  path: string;
  /** Time limit of one request; past it the call is refused with `WRIT_PDP_UNAVAILABLE`. @default OPA_ENGINE_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Extra request headers, e.g. `authorization: 'Bearer …'` for OPA's token authentication. Never echoed in errors. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /** Query with `?provenance=true` and record OPA's answer as a `provenance:{…}` reason. @default OPA_ENGINE_DEFAULTS.provenance */
  provenance?: boolean | undefined;
  /** Builds OPA's `input` from the request. Must return a JSON value. @default the AuthorizationRequest itself */
  mapInput?: ((request: AuthorizationRequest) => unknown) | undefined;
  /** Engine name in decisions. @default OPA_ENGINE_DEFAULTS.name */
  name?: string | undefined;
  /** Decision ids for answers without `decision_id` (decision logging off). @default uuidv7 */
  generateId?: (() => string) | undefined;
  /** Allow plain `http` to non-loopback hosts (an in-cluster OPA service). @default OPA_ENGINE_DEFAULTS.allowInsecureHttp */
  allowInsecureHttp?: boolean | undefined;
  /** @default OPA_ENGINE_DEFAULTS.maxResponseBytes */
  maxResponseBytes?: number | undefined;
}

const optionsSchema = z
  .strictObject({
    url: z.string().max(2048),
    path: opaPathSchema,
    timeoutMs: timeoutSchema.optional(),
    headers: pdpHeadersSchema.optional(),
    fetch: fetchSchema.optional(),
    provenance: z.boolean().optional(),
    mapInput: functionSchema<(request: AuthorizationRequest) => unknown>().optional(),
    name: z.string().min(1).max(256).optional(),
    generateId: functionSchema<() => string>().optional(),
    allowInsecureHttp: z.boolean().optional(),
    maxResponseBytes: maxResponseBytesSchema.optional(),
  })
  .superRefine((o, ctx) => {
    const problem = opaBaseUrlProblem(o.url, {
      allowInsecureHttp: o.allowInsecureHttp ?? OPA_ENGINE_DEFAULTS.allowInsecureHttp,
    });
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, path: ['url'] });
  });

const WHAT = 'OPA Data API';
/** Characters of OPA's error `message` kept in error details. */
const MAX_MESSAGE = 512;

/**
 * A policy engine that asks an Open Policy Agent server, through the Data API
 * (`POST <url>/v1/data/<path>` with `{ "input": <request> }`), for every decision.
 *
 * Answers:
 * - `result: true` / `false` ⇒ allow / deny;
 * - `result` an object ⇒ read as an {@link OpaDecisionDocument} (`allow`, `approval_required`, `reasons`,
 *   `policy_ids`, `obligations`; other keys ignored);
 * - no `result` (undefined document) ⇒ deny; the decision carries the explanation in `reasons` and `errors`;
 * - OPA's `decision_id` becomes `decisionId` (a fresh id when decision logging is off); `provenance`
 *   (with `provenance: true`) is recorded as a reason `provenance:<canonical JSON>`.
 *
 * Faults throw `WRIT_PDP_UNAVAILABLE` with `details.reason`: `http_status` (any non-2xx; OPA's
 * `{ code, message }` in `details.opaCode` / `details.opaMessage`), `timeout`, `network`,
 * `invalid_response` (not JSON, result of another type, malformed document), `response_too_large`,
 * `invalid_input` (`mapInput` failed or returned no JSON value). The pipeline turns them into a recorded
 * deny. The caller's abort is `WRIT_ABORTED`. Not deterministic (OPA's data and bundles can change), so
 * it cannot sit behind {@link cacheDecisions}.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const writ = createWrit({
 *   policy: createOpaEngine({ url: 'http://127.0.0.1:8181', path: 'writ/authz', provenance: true }),
 *   audit,
 * });
 * ```
 */
export function createOpaEngine(options: CreateOpaEngineOptions): PolicyEngine {
  const o = validateOptions(optionsSchema, options, 'createOpaEngine');
  const name = o.name ?? OPA_ENGINE_DEFAULTS.name;
  const path = o.path;
  const timeoutMs = o.timeoutMs ?? OPA_ENGINE_DEFAULTS.timeoutMs;
  const maxBytes = o.maxResponseBytes ?? OPA_ENGINE_DEFAULTS.maxResponseBytes;
  const generateId = o.generateId ?? (() => uuidv7());
  const mapInput = o.mapInput;
  const doFetch = o.fetch;
  const endpoint = opaDataUrl(o.url, path, { provenance: o.provenance ?? OPA_ENGINE_DEFAULTS.provenance });
  const shownEndpoint = safeUrl(endpoint);
  const headers: Record<string, string> = {};
  for (const [key, value] of new Headers(o.headers ?? {})) headers[key] = value;
  headers['content-type'] = 'application/json';
  headers.accept = 'application/json';
  Object.freeze(headers);

  const fault = (message: string, details: Record<string, unknown>, cause?: unknown) =>
    pdpUnavailable(message, { endpoint: shownEndpoint, path, ...details }, cause);

  const body = (request: AuthorizationRequest): string => {
    let input: unknown;
    try {
      input = mapInput === undefined ? request : mapInput(request);
    } catch (error) {
      throw fault(`${WHAT}: mapInput failed`, { reason: 'invalid_input' }, error);
    }
    let text: string | undefined;
    try {
      text = input === undefined ? undefined : JSON.stringify({ input });
    } catch (error) {
      throw fault(`${WHAT}: the input is not JSON-serialisable`, { reason: 'invalid_input' }, error);
    }
    if (text === undefined || !text.startsWith('{"input":')) {
      throw fault(`${WHAT}: mapInput returned no JSON value`, { reason: 'invalid_input' });
    }
    return text;
  };

  return Object.freeze({
    name,
    deterministic: false,
    async decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      const response = await fetchPdpJson(
        endpoint,
        { method: 'POST', headers, body: body(request) },
        { fetch: doFetch, timeoutMs, signal: callOptions?.signal, maxBytes, what: WHAT },
      );
      const { status, json, empty } = response;
      if (status < 200 || status >= 300) {
        const error = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
        const opaCode = typeof error.code === 'string' ? error.code.slice(0, 128) : undefined;
        const opaMessage =
          typeof error.message === 'string' ? error.message.slice(0, MAX_MESSAGE) : undefined;
        const said =
          opaCode === undefined ? '' : `: ${opaCode}${opaMessage === undefined ? '' : `: ${opaMessage}`}`;
        throw fault(`${WHAT} answered HTTP ${status}${said}`, {
          reason: 'http_status',
          status,
          ...(opaCode === undefined ? {} : { opaCode }),
          ...(opaMessage === undefined ? {} : { opaMessage }),
        });
      }
      const context = { path, endpoint: shownEndpoint, status };
      if (empty || json === undefined) {
        throw fault(`${WHAT} answered an invalid response: the body is ${empty ? 'empty' : 'not JSON'}`, {
          reason: 'invalid_response',
          status,
          problem: empty ? 'empty body' : 'not JSON',
        });
      }
      const answer = readOpaAnswer(json, context);
      return {
        effect: answer.effect,
        policyIds: answer.policyIds,
        reasons: answer.reasons,
        decisionId: answer.decisionId ?? generateId(),
        engine: name,
        evaluatedContext: request,
        ...(answer.obligations === undefined ? {} : { obligations: answer.obligations }),
        ...(answer.errors === undefined ? {} : { errors: answer.errors }),
      };
    },
  });
}
