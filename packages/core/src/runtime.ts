import { diag, type Span, type Tracer, trace } from '@opentelemetry/api';
import type { AgentDefinition } from './agent.js';
import type { Attribution } from './attribution.js';
import type { AuditEvent, AuditEventBase } from './audit-event.js';
import { AUDIT_EVENT_VERSION } from './audit-event.js';
import { compose, type Hook } from './compose.js';
import type { Decision } from './decision.js';
import { assertedIdentity, denyAllPolicy } from './defaults.js';
import { WritError } from './errors.js';
import { uuidv7 } from './ids.js';
import type {
  ApprovalHandler,
  AuditReceipt,
  AuditSink,
  CredentialBroker,
  Durability,
  IdentityProvider,
  PolicyEngine,
} from './interfaces.js';
import { CallLedger } from './ledger.js';
import type { CallState, WritMiddleware } from './middleware.js';
import { DEFAULTS, parseWritOptions, type WritOptions } from './options.js';
import { toPrincipalRef } from './principal.js';
import { VERSION } from './version.js';

/** Resolved configuration shared by the pipeline, tasks and free functions. @internal */
export interface Runtime {
  readonly service: string;
  readonly environment: string;
  readonly identity: IdentityProvider;
  readonly policy: PolicyEngine;
  readonly credentials: CredentialBroker | undefined;
  readonly audit: AuditSink | undefined;
  readonly approvals: ApprovalHandler | undefined;
  readonly durability: Durability;
  readonly requireTask: boolean;
  readonly autonomousAgent: string;
  /** The agent registry; empty when none was given. */
  readonly agents: ReadonlyMap<string, AgentDefinition>;
  readonly transformRequest: NonNullable<WritMiddleware['transformRequest']>[];
  readonly wrapDecide: Hook<CallState, Decision>[];
  readonly wrapExecute: Hook<CallState, unknown>[];
  readonly redact: readonly string[];
  readonly capture: { readonly args: boolean; readonly results: boolean };
  readonly tracer: Tracer;
  readonly telemetry: {
    readonly recordInputs: boolean;
    readonly recordOutputs: boolean;
    readonly recordEndUser: boolean;
  };
  readonly timeouts: typeof DEFAULTS.timeouts;
  readonly clock: () => number;
  readonly generateId: () => string;
  /** Framework tool calls remembered by tool call id (adapters' decide-then-run flows). */
  readonly ledger: CallLedger;
  report(error: WritError): void;
  /** The public object, so context-resolved free functions can find it. */
  writ: unknown;
}

/** @internal */
export function createRuntime(input: WritOptions | undefined): Runtime {
  const options = parseWritOptions(input);
  const middleware = options.middleware ?? [];
  const onError = options.onError;
  const clock = options.clock ?? Date.now;
  return {
    service: options.service ?? DEFAULTS.service,
    environment: options.environment ?? process.env.NODE_ENV ?? 'development',
    identity: options.identity ?? assertedIdentity(),
    policy: options.policy ?? denyAllPolicy(),
    credentials: options.credentials,
    audit: options.audit,
    approvals: options.approvals,
    durability: options.durability ?? DEFAULTS.durability,
    requireTask: options.requireTask ?? DEFAULTS.requireTask,
    autonomousAgent: options.autonomousAgent ?? DEFAULTS.autonomousAgent,
    agents: new Map((options.agents ?? []).map((a) => [a.id, a])),
    transformRequest: middleware.flatMap((m) => (m.transformRequest ? [m.transformRequest.bind(m)] : [])),
    wrapDecide: middleware.flatMap((m) => (m.wrapDecide ? [m.wrapDecide.bind(m)] : [])),
    wrapExecute: middleware.flatMap((m) => (m.wrapExecute ? [m.wrapExecute.bind(m)] : [])),
    redact: Object.freeze([...(options.redact ?? [])]),
    capture: { ...DEFAULTS.capture, ...options.capture },
    tracer: options.telemetry?.tracer ?? trace.getTracer('@writ/core', VERSION),
    telemetry: {
      recordInputs: options.telemetry?.recordInputs ?? DEFAULTS.telemetry.recordInputs,
      recordOutputs: options.telemetry?.recordOutputs ?? DEFAULTS.telemetry.recordOutputs,
      recordEndUser: options.telemetry?.recordEndUser ?? DEFAULTS.telemetry.recordEndUser,
    },
    timeouts: { ...DEFAULTS.timeouts, ...options.timeouts },
    clock,
    generateId: options.generateId ?? (() => uuidv7(clock())),
    ledger: new CallLedger(DEFAULTS.callLedgerSize, clock),
    report(error) {
      try {
        if (onError) onError(error);
        else diag.error(`writ: ${error.code}: ${error.message}`);
      } catch {
        // a failing error handler must never break a tool call
      }
    },
    writ: undefined,
  };
}

/**
 * Runs `run` with a signal that aborts when `parent` aborts or `ms` elapse. The returned promise settles
 * by the deadline even if `run` ignores its signal.
 * @internal
 */
export function withDeadline<T>(
  ms: number,
  parent: AbortSignal,
  run: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => WritError,
): Promise<T> {
  if (parent.aborted) return Promise.reject(abortError(parent));
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = onTimeout();
      controller.abort(error);
      reject(error);
    }, ms);
    onAbort = () => {
      const error = abortError(parent);
      controller.abort(error);
      reject(error);
    };
    // the shared never-aborting signal gets no listeners (thousands of concurrent calls would pile them up)
    if (parent !== NEVER) parent.addEventListener('abort', onAbort, { once: true });
  });
  let work: Promise<T>;
  try {
    work = run(controller.signal);
  } catch (error) {
    work = Promise.reject(error);
  }
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
    if (onAbort && parent !== NEVER) parent.removeEventListener('abort', onAbort);
  });
}

/** @internal */
export function abortError(signal: AbortSignal): WritError {
  return new WritError('WRIT_ABORTED', 'the call was aborted before the tool ran', { cause: signal.reason });
}

/** The principal references of an attribution, built once per attribution (every record repeats them). */
const refs = new WeakMap<Attribution, Pick<AuditEventBase, 'requester' | 'chain'>>();

function principalRefs(attribution: Attribution): Pick<AuditEventBase, 'requester' | 'chain'> {
  let found = refs.get(attribution);
  if (found === undefined) {
    found = {
      requester:
        attribution.requester === undefined ? null : Object.freeze(toPrincipalRef(attribution.requester)),
      chain: Object.freeze(attribution.chain.map((p) => Object.freeze(toPrincipalRef(p)))),
    };
    refs.set(attribution, found);
  }
  return found;
}

/** Common fields of an audit event from an attribution and (optionally) the span it belongs to. @internal */
export function eventBase(rt: Runtime, attribution: Attribution, span?: Span): AuditEventBase {
  const spanContext = span?.spanContext();
  const { requester, chain } = principalRefs(attribution);
  const base: { -readonly [K in keyof AuditEventBase]: AuditEventBase[K] } = {
    v: AUDIT_EVENT_VERSION,
    id: rt.generateId(),
    time: new Date(rt.clock()).toISOString(),
    service: rt.service,
    taskId: attribution.taskId,
    correlationId: attribution.correlationId,
    requester,
    chain,
    autonomous: attribution.autonomous,
  };
  if (attribution.parentTaskId !== undefined) base.parentTaskId = attribution.parentTaskId;
  if (attribution.intent !== undefined) base.intent = attribution.intent;
  if (attribution.conversationId !== undefined) base.conversationId = attribution.conversationId;
  if (spanContext !== undefined && spanContext.traceId !== '00000000000000000000000000000000') {
    base.traceId = spanContext.traceId;
    base.spanId = spanContext.spanId;
  }
  return base;
}

/**
 * Appends an event with the configured durability and deadline. Rejects with `WRIT_AUDIT_UNAVAILABLE`.
 * @internal
 */
export async function appendEvent(
  rt: Runtime,
  event: AuditEvent,
  signal?: AbortSignal,
): Promise<AuditReceipt> {
  const durability = rt.durability === 'strict' && AFTER_THE_FACT.has(event.kind) ? 'batched' : rt.durability;
  const sink = rt.audit;
  if (sink === undefined) {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', 'no audit sink is configured: pass `audit` to createWrit', {
      details: { kind: event.kind },
    });
  }
  try {
    const receipt = await withDeadline(
      rt.timeouts.auditMs,
      signal ?? NEVER,
      () => sink.append(event, { durability }),
      () =>
        new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `audit sink "${sink.name}" did not acknowledge within ${rt.timeouts.auditMs} ms`,
        ),
    );
    if (typeof receipt !== 'object' || receipt === null || typeof receipt.index !== 'number') {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `audit sink "${sink.name}" returned no receipt`);
    }
    return receipt;
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')) throw error;
    throw new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      `audit sink "${sink.name}" failed to append the ${event.kind} record: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { kind: event.kind } },
    );
  }
}

/**
 * Records written after what they describe already happened (the tool ran, the task ended): under
 * `strict` they are acknowledged once written (`batched`), since nothing waits on their durability; the
 * records that must precede an action (task-start, approval, decision) stay `strict`.
 */
const AFTER_THE_FACT: ReadonlySet<AuditEvent['kind']> = new Set(['outcome', 'revocation', 'task-end']);

/** A signal that never aborts. @internal */
export const NEVER: AbortSignal = new AbortController().signal;

export { compose };
