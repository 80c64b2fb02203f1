import { diag } from '@opentelemetry/api';
import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import { functionSchema, raceAbort, timeoutSchema, uuidv7, validateOptions } from '@writ/core/internal';
import { type CallOptions, type PolicyEngine, toWritError } from '@writ/core/plugin';
import { z } from 'zod';
import { assertEngine, failedDecision, type Settled, settleDecision } from './settle-decision.js';

/**
 * Defaults of {@link shadow} and {@link shadowOnly}.
 *
 * @example
 * ```ts
 * shadow(cedar, opa, { onReport, candidateTimeoutMs: SHADOW_DEFAULTS.candidateTimeoutMs / 2 });
 * ```
 */
export const SHADOW_DEFAULTS = Object.freeze({
  /**
   * How long {@link shadow} waits for the candidate, milliseconds. A candidate that takes longer is
   * reported as failed (`shadow:<name>:error`); the enforced decision is then returned. Keep it below the
   * pipeline's `timeouts.policyMs` (2000 by default). @default 1000
   */
  candidateTimeoutMs: 1_000,
  /** How long {@link shadowOnly} waits for its engine, milliseconds. @default 1000 */
  timeoutMs: 1_000,
});

/**
 * What {@link shadow} and {@link shadowOnly} report for every call: both decisions and whether their
 * effects agree. A failed engine is represented by the deny the pipeline would have recorded for it
 * (reason and `errors` = the failure), with the failure itself in `enforcedError` / `candidateError`.
 *
 * @example
 * ```ts
 * const onReport = (report: ShadowReport) => {
 *   if (!report.agreed) console.warn(`${report.request.action.name}: ${report.enforced.effect} → ${report.candidate.effect}`);
 * };
 * ```
 */
export interface ShadowReport {
  /** The request both engines judged. */
  readonly request: AuthorizationRequest;
  /** The decision that was enforced (for `shadowOnly`: the allow it returned). */
  readonly enforced: Decision;
  /** The decision of the engine under evaluation. */
  readonly candidate: Decision;
  /** Whether the two effects agree, counting decisions with `errors` and failures as `deny`. */
  readonly agreed: boolean;
  /** Why the enforced engine failed, when it did (the call is then refused). */
  readonly enforcedError?: WritError | undefined;
  /** Why the candidate failed, when it did. */
  readonly candidateError?: WritError | undefined;
}

/**
 * Options of {@link shadow}.
 *
 * @example
 * ```ts
 * const options: ShadowOptions = { onReport: (r) => metrics.count('policy.shadow', { agreed: r.agreed }) };
 * ```
 */
export interface ShadowOptions {
  /** Receives every comparison. Its throws and rejections go to `onError`, never into the call. */
  onReport: (report: ShadowReport) => void | Promise<void>;
  /** Receives `onReport` failures. @default diag.error */
  onError?: ((error: WritError) => void) | undefined;
  /** @default SHADOW_DEFAULTS.candidateTimeoutMs */
  candidateTimeoutMs?: number | undefined;
  /** Name of the combination. @default `shadow(<enforced>,<candidate>)` */
  name?: string | undefined;
  /** Ids of decisions synthesised for failed engines. @default uuidv7 */
  generateId?: (() => string) | undefined;
}

/**
 * Options of {@link shadowOnly}.
 *
 * @example
 * ```ts
 * const options: ShadowOnlyOptions = { onReport: (r) => log.info({ wouldHave: r.candidate.effect }) };
 * ```
 */
export interface ShadowOnlyOptions {
  /** Receives every evaluation. Its throws and rejections go to `onError`, never into the call. */
  onReport: (report: ShadowReport) => void | Promise<void>;
  /** Receives `onReport` failures. @default diag.error */
  onError?: ((error: WritError) => void) | undefined;
  /** @default SHADOW_DEFAULTS.timeoutMs */
  timeoutMs?: number | undefined;
  /** Name of the wrapper and of the engine in its decisions. @default `<engine>:shadow-only` */
  name?: string | undefined;
  /** Ids of the allow decisions. @default uuidv7 */
  generateId?: (() => string) | undefined;
}

const shadowSchema = z.strictObject({
  onReport: functionSchema<ShadowOptions['onReport']>(),
  onError: functionSchema<(error: WritError) => void>().optional(),
  candidateTimeoutMs: timeoutSchema.optional(),
  name: z.string().min(1).max(256).optional(),
  generateId: functionSchema<() => string>().optional(),
});

const shadowOnlySchema = z.strictObject({
  onReport: functionSchema<ShadowOnlyOptions['onReport']>(),
  onError: functionSchema<(error: WritError) => void>().optional(),
  timeoutMs: timeoutSchema.optional(),
  name: z.string().min(1).max(256).optional(),
  generateId: functionSchema<() => string>().optional(),
});

/** Asks an engine under its own deadline (and the caller's signal); never throws. */
async function settleWithin(
  engine: PolicyEngine,
  request: AuthorizationRequest,
  callOptions: CallOptions,
  timeoutMs: number,
  generateId: () => string,
): Promise<Settled> {
  const deadline = new AbortController();
  const signal =
    callOptions?.signal === undefined
      ? deadline.signal
      : AbortSignal.any([callOptions.signal, deadline.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => {
      const error = new WritError(
        'WRIT_PDP_UNAVAILABLE',
        `policy engine "${engine.name}" did not answer within ${timeoutMs} ms`,
        { details: { engine: engine.name, reason: 'timeout' } },
      );
      deadline.abort(error);
      resolve({ ok: false, error });
    }, timeoutMs);
  });
  try {
    return await Promise.race([settleDecision(engine, request, { signal }, generateId), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `onReport` so that nothing it does reaches the tool call. */
function deliver(
  report: ShadowReport,
  onReport: (report: ShadowReport) => void | Promise<void>,
  onError: ((error: WritError) => void) | undefined,
  who: string,
): void {
  const fail = (error: unknown) => {
    const failure = toWritError(
      error,
      'WRIT_INTERNAL',
      `${who}: onReport failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    try {
      if (onError !== undefined) onError(failure);
      else diag.error(`writ: ${failure.code}: ${failure.message}`);
    } catch {
      // onError must not reach the call either.
    }
  };
  try {
    const result = onReport(report);
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, fail);
    }
  } catch (error) {
    fail(error);
  }
}

const marker = (prefix: string, name: string, settled: Settled): string =>
  settled.ok
    ? `${prefix}:${name}:${settled.decision.effect}:${settled.decision.decisionId}`
    : `${prefix}:${name}:error`;

/**
 * Evaluates a candidate engine alongside the enforced one without letting it decide: the returned
 * decision is always the enforced engine's (its failure is still a failure), with one extra reason
 * `shadow:<candidate>:<effect>:<candidate decisionId>` (or `shadow:<candidate>:error`) so records show a
 * shadow evaluation happened and what it said. Both engines are asked in parallel; the candidate's
 * failures are caught and it is given at most `candidateTimeoutMs`, so a slow or broken candidate
 * adds at most that much latency and never refuses a call. Every call is reported to `onReport`
 * (agreement or not), which never throws into the call.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const policy = shadow(cedarEngine, createOpaEngine({ url, path: 'writ/authz' }), {
 *   onReport: (report) => { if (!report.agreed) disagreements.push(report); },
 * });
 * const writ = createWrit({ policy, audit });
 * ```
 */
export function shadow(
  enforced: PolicyEngine,
  candidate: PolicyEngine,
  options: ShadowOptions,
): PolicyEngine {
  assertEngine(enforced, 'shadow', 'enforced');
  assertEngine(candidate, 'shadow', 'candidate');
  const o = validateOptions(shadowSchema, options, 'shadow');
  const name = o.name ?? `shadow(${enforced.name},${candidate.name})`;
  const timeoutMs = o.candidateTimeoutMs ?? SHADOW_DEFAULTS.candidateTimeoutMs;
  const generateId = o.generateId ?? (() => uuidv7());
  const { onReport, onError } = o;

  return Object.freeze({
    name,
    deterministic: enforced.deterministic === true && candidate.deterministic === true,
    async decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      const both = Promise.all([
        settleDecision(enforced, request, callOptions, generateId),
        settleWithin(candidate, request, callOptions, timeoutMs, generateId),
      ]);
      const [e, c] = await raceAbort(both, callOptions?.signal, name);
      const enforcedDecision = e.ok ? e.decision : failedDecision(enforced, request, e.error, generateId());
      const candidateDecision = c.ok ? c.decision : failedDecision(candidate, request, c.error, generateId());
      deliver(
        {
          request,
          enforced: enforcedDecision,
          candidate: candidateDecision,
          agreed: enforcedDecision.effect === candidateDecision.effect,
          ...(e.ok ? {} : { enforcedError: e.error }),
          ...(c.ok ? {} : { candidateError: c.error }),
        },
        onReport,
        onError,
        name,
      );
      if (!e.ok) throw e.error;
      return { ...e.decision, reasons: [...e.decision.reasons, marker('shadow', candidate.name, c)] };
    },
  });
}

/**
 * **WARNING: this disables enforcement. Every call is allowed, whatever the engine says.** Use it only to
 * observe a new policy on real traffic before enforcing it, never as the production policy of tools
 * that matter.
 *
 * Asks `engine`, reports its decision to `onReport` (`enforced` is the allow returned, `candidate` the
 * engine's decision, `agreed` whether the engine allowed too), and returns an `allow` that says what
 * happened: engine `<engine>:shadow-only`, policy id `writ:shadow-only`, reasons
 * `shadow-only:<engine>:<effect>:<decisionId>` (or `shadow-only:<engine>:error`) and
 * `enforcement disabled: shadow-only mode allows every call`. The engine's obligations are dropped.
 * The engine gets at most `timeoutMs`; its failures are reported, and the call is still allowed.
 *
 * @example
 * ```ts
 * // Staging only: watch what the new OPA policy would refuse, refuse nothing.
 * const policy = shadowOnly(createOpaEngine({ url, path: 'writ/authz' }), {
 *   onReport: (report) => { if (!report.agreed) log.warn('would deny', report.candidate.reasons); },
 * });
 * ```
 */
export function shadowOnly(engine: PolicyEngine, options: ShadowOnlyOptions): PolicyEngine {
  assertEngine(engine, 'shadowOnly', 'engine');
  const o = validateOptions(shadowOnlySchema, options, 'shadowOnly');
  const name = o.name ?? `${engine.name}:shadow-only`;
  const timeoutMs = o.timeoutMs ?? SHADOW_DEFAULTS.timeoutMs;
  const generateId = o.generateId ?? (() => uuidv7());
  const { onReport, onError } = o;

  return Object.freeze({
    name,
    deterministic: engine.deterministic === true,
    async decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      const settled = await raceAbort(
        settleWithin(engine, request, callOptions, timeoutMs, generateId),
        callOptions?.signal,
        name,
      );
      const allowed: Decision = {
        effect: 'allow',
        policyIds: ['writ:shadow-only'],
        reasons: [
          marker('shadow-only', engine.name, settled),
          'enforcement disabled: shadow-only mode allows every call',
        ],
        decisionId: generateId(),
        engine: name,
        evaluatedContext: request,
      };
      const observed = settled.ok
        ? settled.decision
        : failedDecision(engine, request, settled.error, generateId());
      deliver(
        {
          request,
          enforced: allowed,
          candidate: observed,
          agreed: observed.effect === 'allow',
          ...(settled.ok ? {} : { candidateError: settled.error }),
        },
        onReport,
        onError,
        name,
      );
      return allowed;
    },
  });
}
