import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import {
  clockSchema,
  type FetchLike,
  fetchSchema,
  functionSchema,
  signalSchema,
  timeoutSchema,
  uuidv7,
  validateOptions,
} from '@writ/core/internal';
import type { CallOptions, PolicyEngine } from '@writ/core/plugin';
import { z } from 'zod';
import { maxResponseBytesSchema, pdpHeadersSchema } from '../pdp/pdp-options.js';
import {
  type AuthZenReadOptions,
  notEvaluated,
  readEvaluation,
  readEvaluations,
} from './authzen-decision.js';
import { createAuthZenEndpoints } from './authzen-endpoints.js';
import { buildEvaluationsBody, toAuthZenRequest } from './authzen-request.js';
import { type AuthZenHeaders, createAuthZenTransport } from './authzen-transport.js';
import {
  AUTHZEN_EVALUATIONS_SEMANTICS,
  type AuthZenEvaluationsSemantic,
  type AuthZenPdpMetadata,
  type AuthZenRequest,
  type AuthZenResponse,
} from './authzen-types.js';
import { pdpUrlProblem } from './pdp-url.js';

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

const optionsSchema = z.strictObject({
  pdp: z.string({ message: 'must be the PDP base URL' }),
  endpoints: z
    .strictObject({ evaluation: z.string().optional(), evaluations: z.string().optional() })
    .optional(),
  name: z.string().min(1).max(64).optional(),
  timeoutMs: timeoutSchema.optional(),
  discoveryTtlMs: z.number().int().nonnegative().max(86_400_000).optional(),
  headers: z.union([pdpHeadersSchema, functionSchema<() => Record<string, string>>()]).optional(),
  fetch: fetchSchema.optional(),
  mapRequest: functionSchema<NonNullable<AuthZenEngineOptions['mapRequest']>>().optional(),
  mapResponse: functionSchema<NonNullable<AuthZenEngineOptions['mapResponse']>>().optional(),
  includeAdminReasons: z.boolean().optional(),
  allowInsecureHttp: z.boolean().optional(),
  maxResponseBytes: maxResponseBytesSchema.optional(),
  generateId: functionSchema<() => string>().optional(),
  clock: clockSchema.optional(),
});

const batchOptionsSchema = z.strictObject({
  semantic: z.enum(AUTHZEN_EVALUATIONS_SEMANTICS as [AuthZenEvaluationsSemantic]).optional(),
  signal: signalSchema.optional(),
});

/** Checks the PDP identifier and configured endpoints (https, or http on loopback / when allowed). */
function assertPdpUrls(options: z.infer<typeof optionsSchema>): void {
  const allowInsecureHttp = options.allowInsecureHttp ?? AUTHZEN_DEFAULTS.allowInsecureHttp;
  const issues: string[] = [];
  const pdpProblem = pdpUrlProblem(options.pdp, { allowInsecureHttp, identifier: true });
  if (pdpProblem !== undefined) issues.push(`options.pdp: ${pdpProblem}`);
  for (const [key, value] of Object.entries(options.endpoints ?? {})) {
    const problem = value === undefined ? undefined : pdpUrlProblem(value, { allowInsecureHttp });
    if (problem !== undefined) issues.push(`options.endpoints.${key}: ${problem}`);
  }
  if (issues.length > 0) {
    throw new WritError('WRIT_OPTIONS_INVALID', `createAuthZenEngine: ${issues.join('; ')}`, {
      details: { issues },
    });
  }
}

/** Whether a batch evaluated one at a time stops after this decision. */
function stopsAfter(semantic: AuthZenEvaluationsSemantic, decision: Decision): boolean {
  if (semantic === 'deny_on_first_deny') return decision.effect !== 'allow';
  if (semantic === 'permit_on_first_permit') return decision.effect === 'allow';
  return false;
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
  assertPdpUrls(parsed);
  const name = parsed.name ?? AUTHZEN_DEFAULTS.name;
  const timeoutMs = parsed.timeoutMs ?? AUTHZEN_DEFAULTS.timeoutMs;
  const maxBytes = parsed.maxResponseBytes ?? AUTHZEN_DEFAULTS.maxResponseBytes;
  const clock = parsed.clock ?? Date.now;
  const generateId = parsed.generateId ?? (() => uuidv7(clock()));
  const mapRequest = parsed.mapRequest;
  const reading: AuthZenReadOptions = {
    engine: name,
    includeAdminReasons: parsed.includeAdminReasons ?? AUTHZEN_DEFAULTS.includeAdminReasons,
    mapResponse: parsed.mapResponse,
  };
  const transport = createAuthZenTransport({
    name,
    headers: parsed.headers,
    fetch: parsed.fetch,
    timeoutMs,
    maxBytes,
  });
  const endpoints = createAuthZenEndpoints({
    pdp: parsed.pdp,
    endpoints: parsed.endpoints,
    name,
    ttlMs: parsed.discoveryTtlMs ?? AUTHZEN_DEFAULTS.discoveryTtlMs,
    clock,
    timeoutMs,
    maxBytes,
    allowInsecureHttp: parsed.allowInsecureHttp ?? AUTHZEN_DEFAULTS.allowInsecureHttp,
    fetch: parsed.fetch,
    headers: transport.headers,
  });
  const toWire = (request: AuthorizationRequest) => toAuthZenRequest(request, { name, mapRequest });

  async function decide(
    request: AuthorizationRequest,
    callOptions: Partial<CallOptions> = {},
  ): Promise<Decision> {
    const signal = callOptions.signal;
    const wire = await toWire(request);
    const { accessEvaluationEndpoint: url } = await endpoints(signal);
    const requestId = generateId();
    const what = `${name}: AuthZEN evaluation`;
    const answer = await transport.post(url, wire, requestId, signal, what);
    return readEvaluation(answer, wire, request, { url, requestId, what }, reading);
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
        const why = `not evaluated: the batch stopped early (${semantic})`;
        decisions.push(notEvaluated(request, generateId(), why, name));
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
    const { accessEvaluationsEndpoint: url } = await endpoints(opts.signal);
    if (url === undefined) return oneByOne(requests, semantic, opts.signal);
    const requestId = generateId();
    const what = `${name}: AuthZEN evaluations`;
    const answer = await transport.post(
      url,
      buildEvaluationsBody(wire, semantic),
      requestId,
      opts.signal,
      what,
    );
    return readEvaluations(answer, wire, requests, semantic, { url, requestId, what }, reading);
  }

  return Object.freeze({
    name,
    deterministic: false as const,
    decide,
    evaluateBatch,
    discover: (discoverOptions: { signal?: AbortSignal | undefined } = {}) =>
      endpoints(discoverOptions.signal),
  });
}
