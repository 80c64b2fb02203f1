import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import {
  clockSchema,
  type FetchLike,
  fetchJson,
  fetchSchema,
  type JsonResponse,
  raceAbort,
  safeUrl,
  signalSchema,
  timeoutSchema,
  uuidv7,
  validateOptions,
} from '@writ/core/internal';
import type { CallOptions, PolicyEngine } from '@writ/core/plugin';
import { z } from 'zod';
import { buildEvaluationsBody } from './authzen-batch.js';
import { discoverAuthZenPdp } from './authzen-discovery.js';
import { type AuthZenInterpretation, interpretAuthZenResponse } from './authzen-response.js';
import {
  AUTHZEN_EVALUATIONS_SEMANTICS,
  type AuthZenEvaluationsSemantic,
  type AuthZenPdpMetadata,
  type AuthZenRequest,
  type AuthZenResponse,
} from './authzen-types.js';
import { defaultEndpoint, pdpUrlProblem } from './pdp-url.js';

/**
 * Defaults of {@link createAuthZenEngine}.
 *
 * @example
 * ```ts
 * createAuthZenEngine({ pdp, timeoutMs: AUTHZEN_DEFAULTS.timeoutMs * 2 });
 * ```
 */
export const AUTHZEN_DEFAULTS = Object.freeze({
  /** Engine name, in decisions (`engine`) and messages. @default 'authzen' */
  name: 'authzen',
  /** Time limit of each HTTP request to the PDP (discovery, evaluation, evaluations). @default 1000 */
  timeoutMs: 1_000,
  /** How long discovered metadata is reused (0: discover before every request). @default 3600000 (1 hour) */
  discoveryTtlMs: 3_600_000,
  /** Largest PDP answer accepted, bytes. @default 1048576 (1 MiB) */
  maxResponseBytes: 1024 * 1024,
  /** Semantic of {@link AuthZenEngine.evaluateBatch}. @default 'execute_all' */
  semantic: 'execute_all' as AuthZenEvaluationsSemantic,
  /** Keep `reason_admin` texts among the reasons. @default false */
  includeAdminReasons: false,
  /** Accept plain `http` to non-loopback PDPs. @default false */
  allowInsecureHttp: false,
});

/**
 * Headers sent to the PDP with every request: a record, or a function called before each request (to
 * hand out a fresh token). Never echoed in errors or decisions.
 *
 * @example
 * ```ts
 * const headers: AuthZenHeaders = async () => ({ authorization: `Bearer ${await tokens.get()}` });
 * ```
 */
export type AuthZenHeaders =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/**
 * Options of {@link createAuthZenEngine}.
 *
 * @example
 * ```ts
 * const options: AuthZenEngineOptions = {
 *   pdp: 'https://pdp.example.com',
 *   headers: { authorization: `Bearer ${process.env.PDP_TOKEN}` },
 *   timeoutMs: 500,
 * };
 * ```
 */
export interface AuthZenEngineOptions {
  /**
   * The PDP's identifier and base URL (`https://pdp.example.com`). With discovery, the metadata's
   * `policy_decision_point` must equal it exactly. `https`; plain `http` only on loopback hosts unless
   * `allowInsecureHttp`.
   */
  pdp: string;
  /**
   * Endpoint URLs. Giving this object skips discovery; a missing member defaults to
   * `<pdp>/access/v1/evaluation` or `<pdp>/access/v1/evaluations`.
   * @default discovered from `/.well-known/authzen-configuration`
   */
  endpoints?: { evaluation?: string | undefined; evaluations?: string | undefined } | undefined;
  /** @default AUTHZEN_DEFAULTS.name */
  name?: string | undefined;
  /** @default AUTHZEN_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** @default AUTHZEN_DEFAULTS.discoveryTtlMs */
  discoveryTtlMs?: number | undefined;
  /** @default none */
  headers?: AuthZenHeaders | undefined;
  /** @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /**
   * Adapts Writ's request to what a PDP expects (Cerbos, for instance, reads principal roles from
   * `subject.properties['cerbos.roles']`). May be async.
   * @default the request as is (it already has the AuthZEN shape)
   */
  mapRequest?: ((request: AuthorizationRequest) => AuthZenRequest | Promise<AuthZenRequest>) | undefined;
  /**
   * Rewrites a PDP's answer before Writ reads it, e.g. to move vendor-specific context into the
   * members Writ understands (`reason`, `policy_ids`, `writ.approval_required`). Receives the request as
   * sent.
   * @default the answer as is
   */
  mapResponse?: ((response: AuthZenResponse, request: AuthZenRequest) => AuthZenResponse) | undefined;
  /** @default AUTHZEN_DEFAULTS.includeAdminReasons */
  includeAdminReasons?: boolean | undefined;
  /** @default AUTHZEN_DEFAULTS.allowInsecureHttp */
  allowInsecureHttp?: boolean | undefined;
  /** @default AUTHZEN_DEFAULTS.maxResponseBytes */
  maxResponseBytes?: number | undefined;
  /** Generates each request's `X-Request-ID` (which becomes the decision id). @default UUIDv7 from `clock` */
  generateId?: (() => string) | undefined;
  /** Epoch milliseconds, for the metadata cache and default ids. @default Date.now */
  clock?: (() => number) | undefined;
}

/**
 * Options of {@link AuthZenEngine.evaluateBatch}.
 *
 * @example
 * ```ts
 * await engine.evaluateBatch(requests, { semantic: 'deny_on_first_deny', signal: AbortSignal.timeout(2000) });
 * ```
 */
export interface AuthZenBatchOptions {
  /** @default AUTHZEN_DEFAULTS.semantic */
  semantic?: AuthZenEvaluationsSemantic | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A policy engine backed by an OpenID AuthZEN 1.0 PDP, with batch evaluation and discovery on top of
 * `decide`.
 *
 * @example
 * ```ts
 * const engine: AuthZenEngine = createAuthZenEngine({ pdp: 'https://pdp.example.com' });
 * const [read, write] = await engine.evaluateBatch([readRequest, writeRequest]);
 * ```
 */
export interface AuthZenEngine extends PolicyEngine {
  /** Always `false`: the PDP's policies and data can change between two identical requests. */
  readonly deterministic: false;
  /** One Access Evaluation; see {@link createAuthZenEngine}. */
  decide(request: AuthorizationRequest, options?: Partial<CallOptions>): Promise<Decision>;
  /**
   * One Access Evaluations request for many decisions, in order. Items the PDP did not evaluate (it
   * stopped early, per `semantic`) are `deny`. Without a batch endpoint, evaluates one at a time with
   * the same semantic.
   */
  evaluateBatch(
    requests: readonly AuthorizationRequest[],
    options?: AuthZenBatchOptions,
  ): Promise<Decision[]>;
  /**
   * The endpoints in use: the PDP's metadata (discovered on first use, then cached for
   * `discoveryTtlMs`), or, with `endpoints`, the configured ones (`document` then lists them).
   */
  discover(options?: { signal?: AbortSignal | undefined }): Promise<AuthZenPdpMetadata>;
}

const headersRecord = z
  .record(z.string(), z.string())
  .refine(validHeaders, { message: 'must be valid HTTP header names and values' });

const optionsSchema = z.strictObject({
  pdp: z.string({ message: 'must be the PDP base URL' }),
  endpoints: z
    .strictObject({ evaluation: z.string().optional(), evaluations: z.string().optional() })
    .optional(),
  name: z.string().min(1).max(64).optional(),
  timeoutMs: timeoutSchema.optional(),
  discoveryTtlMs: z.number().int().nonnegative().max(86_400_000).optional(),
  headers: z
    .union([
      headersRecord,
      z.custom<() => Record<string, string>>((v) => typeof v === 'function', {
        message: 'must be a function',
      }),
    ])
    .optional(),
  fetch: fetchSchema.optional(),
  mapRequest: z
    .custom<NonNullable<AuthZenEngineOptions['mapRequest']>>((v) => typeof v === 'function', {
      message: 'must be a function',
    })
    .optional(),
  mapResponse: z
    .custom<NonNullable<AuthZenEngineOptions['mapResponse']>>((v) => typeof v === 'function', {
      message: 'must be a function',
    })
    .optional(),
  includeAdminReasons: z.boolean().optional(),
  allowInsecureHttp: z.boolean().optional(),
  maxResponseBytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .optional(),
  generateId: z
    .custom<() => string>((v) => typeof v === 'function', { message: 'must be a function' })
    .optional(),
  clock: clockSchema.optional(),
});

const batchOptionsSchema = z.strictObject({
  semantic: z.enum(AUTHZEN_EVALUATIONS_SEMANTICS as [AuthZenEvaluationsSemantic]).optional(),
  signal: signalSchema.optional(),
});

const entitySchema = z.looseObject({
  type: z.string().min(1),
  id: z.string().min(1),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const wireRequestSchema = z.looseObject({
  subject: entitySchema,
  action: z.looseObject({
    name: z.string().min(1),
    properties: z.record(z.string(), z.unknown()).optional(),
  }),
  resource: entitySchema,
  context: z.record(z.string(), z.unknown()).optional(),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function validHeaders(headers: Record<string, string>): boolean {
  try {
    new Headers(headers);
    return true;
  } catch {
    return false;
  }
}

/**
 * A policy engine that asks an OpenID AuthZEN 1.0 PDP (Cerbos, Topaz, Axiomatics, …) over HTTPS.
 *
 * - Endpoints come from the PDP's metadata at `/.well-known/authzen-configuration` (checked:
 *   `policy_decision_point` must equal `pdp`; cached for `discoveryTtlMs`), or from `endpoints`.
 * - `decide` POSTs `{ subject, action, resource, context }` (after `mapRequest`) to the Access Evaluation
 *   endpoint with a fresh `X-Request-ID`, which becomes the decision id (a compliant PDP echoes it;
 *   Writ keeps the one it sent). `decision: true` is `allow`, `false` is `deny`.
 * - The answer's `context` (after `mapResponse`) adds reasons, policy ids and obligations, and can ask for
 *   approval: `context.writ.approval_required === true` makes the effect `approval_required`;
 *   `context.error` makes it `deny`. Reasons kept: `context.reason`, `context.reasons`, the values of
 *   `context.reason_user` (and of `reason_admin` with `includeAdminReasons`), else a JSON summary of the
 *   context (500 characters at most). Policy ids: `context.policy_id` and `context.policy_ids`.
 * - Timeouts (`timeoutMs`), network errors, non-2xx statuses, non-JSON or oversized bodies and answers
 *   without a boolean `decision` throw `WritError('WRIT_PDP_UNAVAILABLE')` with `details` (`endpoint`,
 *   `status`, `reason`, `requestId`); the pipeline records that as a deny. The caller's signal aborts
 *   the request (`WRIT_ABORTED`). Headers (PDP credentials) never appear in errors.
 * - `deterministic: false`: decisions must not be cached.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 * import { createAuthZenEngine } from '@writ/policy';
 *
 * const policy = createAuthZenEngine({
 *   pdp: 'http://localhost:3592', // Cerbos: AuthZEN is served on its HTTP port
 *   mapRequest: (request) => ({
 *     ...request,
 *     subject: { ...request.subject, properties: { ...request.subject.properties, 'cerbos.roles': ['agent'] } },
 *   }),
 * });
 * const writ = createWrit({ policy, audit });
 * ```
 */
export function createAuthZenEngine(options: AuthZenEngineOptions): AuthZenEngine {
  const parsed = validateOptions(optionsSchema, options, 'createAuthZenEngine');
  const allowInsecureHttp = parsed.allowInsecureHttp ?? AUTHZEN_DEFAULTS.allowInsecureHttp;
  const issues: string[] = [];
  const pdpProblem = pdpUrlProblem(parsed.pdp, { allowInsecureHttp, identifier: true });
  if (pdpProblem !== undefined) issues.push(`options.pdp: ${pdpProblem}`);
  for (const [key, value] of Object.entries(parsed.endpoints ?? {})) {
    const problem = value === undefined ? undefined : pdpUrlProblem(value, { allowInsecureHttp });
    if (problem !== undefined) issues.push(`options.endpoints.${key}: ${problem}`);
  }
  if (issues.length > 0) {
    throw new WritError('WRIT_OPTIONS_INVALID', `createAuthZenEngine: ${issues.join('; ')}`, {
      details: { issues },
    });
  }

  const pdp = parsed.pdp;
  const name = parsed.name ?? AUTHZEN_DEFAULTS.name;
  const timeoutMs = parsed.timeoutMs ?? AUTHZEN_DEFAULTS.timeoutMs;
  const ttl = parsed.discoveryTtlMs ?? AUTHZEN_DEFAULTS.discoveryTtlMs;
  const maxBytes = parsed.maxResponseBytes ?? AUTHZEN_DEFAULTS.maxResponseBytes;
  const includeAdminReasons = parsed.includeAdminReasons ?? AUTHZEN_DEFAULTS.includeAdminReasons;
  const fetchImpl = parsed.fetch;
  const mapRequest = parsed.mapRequest;
  const mapResponse = parsed.mapResponse;
  const clock = parsed.clock ?? Date.now;
  const generateId = parsed.generateId ?? (() => uuidv7(clock()));
  const staticHeaders = typeof parsed.headers === 'function' ? undefined : { ...parsed.headers };
  const headerSource = typeof parsed.headers === 'function' ? parsed.headers : undefined;

  const configured: AuthZenPdpMetadata | undefined =
    parsed.endpoints === undefined ? undefined : configuredMetadata(pdp, parsed.endpoints);
  let cached: { readonly metadata: AuthZenPdpMetadata; readonly expiresAt: number } | undefined;
  let pending: Promise<AuthZenPdpMetadata> | undefined;

  const unavailable = (message: string, details: Record<string, unknown>, cause?: unknown) =>
    new WritError('WRIT_PDP_UNAVAILABLE', `${name}: ${message}`, {
      details,
      ...(cause === undefined ? {} : { cause }),
    });

  async function headers(): Promise<Headers> {
    let record: Readonly<Record<string, string>> | undefined = staticHeaders;
    if (headerSource !== undefined) {
      try {
        record = await headerSource();
        return new Headers(record);
      } catch (error) {
        throw unavailable('the headers function failed', { reason: 'headers_failed' }, error);
      }
    }
    return new Headers(record);
  }

  function discover(signal?: AbortSignal): Promise<AuthZenPdpMetadata> {
    if (configured !== undefined) return Promise.resolve(configured);
    if (cached !== undefined && ttl > 0 && cached.expiresAt > clock())
      return Promise.resolve(cached.metadata);
    if (pending === undefined) {
      pending = headers()
        .then((sent) =>
          discoverAuthZenPdp(pdp, {
            fetch: fetchImpl,
            timeoutMs,
            headers: Object.fromEntries(sent),
            allowInsecureHttp,
            maxBytes,
          }),
        )
        .then((metadata) => {
          if (ttl > 0) cached = { metadata, expiresAt: clock() + ttl };
          return metadata;
        })
        .finally(() => {
          pending = undefined;
        });
    }
    return raceAbort(pending, signal, `${name}: AuthZEN PDP discovery`);
  }

  async function toWire(request: AuthorizationRequest): Promise<AuthZenRequest> {
    let mapped: unknown;
    try {
      mapped =
        mapRequest === undefined
          ? {
              subject: request.subject,
              action: request.action,
              resource: request.resource,
              context: request.context,
            }
          : await mapRequest(request);
    } catch (error) {
      throw unavailable('mapRequest failed', { reason: 'map_request_failed' }, error);
    }
    const result = wireRequestSchema.safeParse(mapped);
    if (!result.success) {
      const problems = result.error.issues.map(
        (i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`,
      );
      throw unavailable('the request to send is not an AuthZEN request', {
        reason: 'invalid_request',
        issues: problems,
      });
    }
    return mapped as AuthZenRequest;
  }

  async function post(
    url: string,
    body: unknown,
    requestId: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch (error) {
      throw unavailable(
        'the request is not JSON-serialisable',
        { reason: 'invalid_request', requestId },
        error,
      );
    }
    const own = await headers();
    const sent = new Headers(own);
    sent.set('content-type', 'application/json');
    sent.set('accept', 'application/json');
    sent.set('x-request-id', requestId);
    let response: JsonResponse;
    try {
      response = await fetchJson(
        url,
        { method: 'POST', headers: sent, body: text },
        {
          fetch: fetchImpl,
          timeoutMs,
          signal,
          maxBytes,
          what,
          unavailableCode: 'WRIT_PDP_UNAVAILABLE',
          invalidCode: 'WRIT_PDP_UNAVAILABLE',
        },
      );
    } catch (error) {
      if (WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')) {
        throw new WritError(error.code, error.message, {
          details: { ...error.details, requestId },
          cause: error,
        });
      }
      throw error;
    }
    const details = { endpoint: safeUrl(url), status: response.status, requestId };
    if (response.status < 200 || response.status > 299) {
      const message = pdpMessage(response.json, own);
      throw new WritError('WRIT_PDP_UNAVAILABLE', `${what} answered HTTP ${response.status}`, {
        details: {
          ...details,
          reason: 'http_status',
          ...(message === undefined ? {} : { pdpMessage: message }),
        },
      });
    }
    if (!isRecord(response.json)) {
      const reason = response.empty
        ? 'empty_body'
        : response.json === undefined
          ? 'invalid_json'
          : 'invalid_response';
      throw new WritError('WRIT_PDP_UNAVAILABLE', `${what} did not answer a JSON object`, {
        details: { ...details, reason },
      });
    }
    return response.json;
  }

  /** Applies `mapResponse` to a well-formed answer, then reads it. */
  function interpret(answer: unknown, wire: AuthZenRequest): AuthZenInterpretation {
    let value = answer;
    if (mapResponse !== undefined && isRecord(answer) && typeof answer.decision === 'boolean') {
      try {
        value = mapResponse(answer as unknown as AuthZenResponse, wire);
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        return { ok: false, problem: `mapResponse failed: ${text}` };
      }
    }
    return interpretAuthZenResponse(value, { includeAdminReasons });
  }

  function toDecision(
    outcome: Extract<AuthZenInterpretation, { ok: true }>,
    decisionId: string,
    request: AuthorizationRequest,
  ): Decision {
    return {
      effect: outcome.effect,
      policyIds: outcome.policyIds,
      reasons: outcome.reasons,
      decisionId,
      engine: name,
      evaluatedContext: request,
      ...(outcome.obligations === undefined ? {} : { obligations: outcome.obligations }),
      ...(outcome.errors === undefined ? {} : { errors: outcome.errors }),
    };
  }

  function denied(
    request: AuthorizationRequest,
    decisionId: string,
    reason: string,
    error?: string,
  ): Decision {
    return {
      effect: 'deny',
      policyIds: [],
      reasons: [reason],
      decisionId,
      engine: name,
      evaluatedContext: request,
      ...(error === undefined ? {} : { errors: [error] }),
    };
  }

  async function decide(
    request: AuthorizationRequest,
    callOptions: Partial<CallOptions> = {},
  ): Promise<Decision> {
    const signal = callOptions.signal;
    const wire = await toWire(request);
    const { accessEvaluationEndpoint: url } = await discover(signal);
    const requestId = generateId();
    const what = `${name}: AuthZEN evaluation`;
    const answer = await post(url, wire, requestId, signal, what);
    const outcome = interpret(answer, wire);
    if (!outcome.ok) {
      throw new WritError('WRIT_PDP_UNAVAILABLE', `${what} returned an unusable answer: ${outcome.problem}`, {
        details: { endpoint: safeUrl(url), requestId, reason: 'invalid_response', problem: outcome.problem },
      });
    }
    return toDecision(outcome, requestId, request);
  }

  function stopsAfter(semantic: AuthZenEvaluationsSemantic, decision: Decision): boolean {
    if (semantic === 'deny_on_first_deny') return decision.effect !== 'allow';
    if (semantic === 'permit_on_first_permit') return decision.effect === 'allow';
    return false;
  }

  async function oneByOne(
    requests: readonly AuthorizationRequest[],
    semantic: AuthZenEvaluationsSemantic,
    signal: AbortSignal | undefined,
  ): Promise<Decision[]> {
    const decisions: Decision[] = [];
    let stopped = false;
    for (const request of requests) {
      if (stopped) {
        decisions.push(denied(request, generateId(), `not evaluated: the batch stopped early (${semantic})`));
        continue;
      }
      const decision = await decide(request, signal === undefined ? {} : { signal });
      decisions.push(decision);
      stopped = stopsAfter(semantic, decision);
    }
    return decisions;
  }

  async function evaluateBatch(
    requests: readonly AuthorizationRequest[],
    batchOptions: AuthZenBatchOptions = {},
  ): Promise<Decision[]> {
    const opts = validateOptions(batchOptionsSchema, batchOptions, 'evaluateBatch');
    if (!Array.isArray(requests)) {
      throw new WritError('WRIT_OPTIONS_INVALID', 'evaluateBatch: requests must be an array', {
        details: { issues: ['requests: must be an array'] },
      });
    }
    if (requests.length === 0) return [];
    const semantic = opts.semantic ?? AUTHZEN_DEFAULTS.semantic;
    const wire = await Promise.all(requests.map(toWire));
    const { accessEvaluationsEndpoint: url } = await discover(opts.signal);
    if (url === undefined) return oneByOne(requests, semantic, opts.signal);
    const requestId = generateId();
    const what = `${name}: AuthZEN evaluations`;
    const answer = await post(url, buildEvaluationsBody(wire, semantic), requestId, opts.signal, what);
    const items = answer.evaluations;
    if (!Array.isArray(items) || items.length > requests.length) {
      const problem = Array.isArray(items)
        ? `${items.length} answers for ${requests.length} evaluations`
        : 'evaluations must be an array';
      throw new WritError('WRIT_PDP_UNAVAILABLE', `${what} returned an unusable answer: ${problem}`, {
        details: { endpoint: safeUrl(url), requestId, reason: 'invalid_response', problem },
      });
    }
    return requests.map((request, i) => {
      const decisionId = `${requestId}#${i}`;
      if (i >= items.length) {
        const why =
          semantic === 'execute_all'
            ? `not evaluated: the PDP answered ${items.length} of ${requests.length} evaluations`
            : `not evaluated: the batch stopped early (${semantic})`;
        return denied(request, decisionId, why);
      }
      const outcome = interpret(items[i], wire[i] as AuthZenRequest);
      if (!outcome.ok) {
        return denied(
          request,
          decisionId,
          `unusable answer from the PDP: ${outcome.problem}`,
          outcome.problem,
        );
      }
      return toDecision(outcome, decisionId, request);
    });
  }

  return Object.freeze({
    name,
    deterministic: false as const,
    decide,
    evaluateBatch,
    discover: (discoverOptions: { signal?: AbortSignal | undefined } = {}) =>
      discover(discoverOptions.signal),
  });
}

function configuredMetadata(
  pdp: string,
  endpoints: { evaluation?: string | undefined; evaluations?: string | undefined },
): AuthZenPdpMetadata {
  const evaluation = endpoints.evaluation ?? defaultEndpoint(pdp, '/access/v1/evaluation');
  const evaluations = endpoints.evaluations ?? defaultEndpoint(pdp, '/access/v1/evaluations');
  return Object.freeze({
    policyDecisionPoint: pdp,
    accessEvaluationEndpoint: evaluation,
    accessEvaluationsEndpoint: evaluations,
    document: Object.freeze({
      policy_decision_point: pdp,
      access_evaluation_endpoint: evaluation,
      access_evaluations_endpoint: evaluations,
    }),
  });
}

/**
 * A short error message from a PDP's error body (`{ message }` or `{ error }`), if any, with the value of
 * every configured header (and each word of it, e.g. a bearer token) blanked out in case the PDP echoes credentials.
 */
function pdpMessage(json: unknown, secrets: Headers): string | undefined {
  if (!isRecord(json)) return undefined;
  let text =
    typeof json.message === 'string' ? json.message : typeof json.error === 'string' ? json.error : undefined;
  if (text === undefined) return undefined;
  for (const [, value] of secrets) {
    for (const secret of [value, ...value.split(/\s+/)]) {
      if (secret.length >= 6) text = text.split(secret).join('[redacted]');
    }
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
