import { diag, type Span, type Tracer, trace } from '@opentelemetry/api';
import type { AgentDefinition } from './agent.js';
import type { Attribution } from './attribution.js';
import type { AuditEvent, AuditEventBase } from './audit-event.js';
import { AUDIT_EVENT_VERSION } from './audit-event.js';
import { ascending } from './canonical-json.js';
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
import { parseWritOptions, WRIT_DEFAULTS, type WritOptions } from './options.js';
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
  readonly timeouts: typeof WRIT_DEFAULTS.timeouts;
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
    service: options.service ?? WRIT_DEFAULTS.service,
    environment: options.environment ?? process.env.NODE_ENV ?? 'development',
    identity: options.identity ?? assertedIdentity(),
    policy: options.policy ?? denyAllPolicy(),
    credentials: options.credentials,
    audit: options.audit,
    approvals: options.approvals,
    durability: options.durability ?? WRIT_DEFAULTS.durability,
    requireTask: options.requireTask ?? WRIT_DEFAULTS.requireTask,
    autonomousAgent: options.autonomousAgent ?? WRIT_DEFAULTS.autonomousAgent,
    agents: new Map((options.agents ?? []).map((a) => [a.id, a])),
    transformRequest: middleware.flatMap((m) => (m.transformRequest ? [m.transformRequest.bind(m)] : [])),
    wrapDecide: middleware.flatMap((m) => (m.wrapDecide ? [m.wrapDecide.bind(m)] : [])),
    wrapExecute: middleware.flatMap((m) => (m.wrapExecute ? [m.wrapExecute.bind(m)] : [])),
    redact: Object.freeze([...(options.redact ?? [])]),
    capture: { ...WRIT_DEFAULTS.capture, ...options.capture },
    tracer: options.telemetry?.tracer ?? trace.getTracer('@writ/core', VERSION),
    telemetry: {
      recordInputs: options.telemetry?.recordInputs ?? WRIT_DEFAULTS.telemetry.recordInputs,
      recordOutputs: options.telemetry?.recordOutputs ?? WRIT_DEFAULTS.telemetry.recordOutputs,
      recordEndUser: options.telemetry?.recordEndUser ?? WRIT_DEFAULTS.telemetry.recordEndUser,
    },
    timeouts: { ...WRIT_DEFAULTS.timeouts, ...options.timeouts },
    clock,
    generateId: options.generateId ?? (() => uuidv7(clock())),
    ledger: new CallLedger(WRIT_DEFAULTS.callLedgerSize, clock),
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
  return race(ms, parent, new AbortController(), run, onTimeout);
}

/**
 * `withDeadline` for work that takes no signal (an audit append): the same deadline and parent abort,
 * without an `AbortController` per call. @internal
 */
export function withTimeLimit<T>(
  ms: number,
  parent: AbortSignal,
  run: () => Promise<T>,
  onTimeout: () => WritError,
): Promise<T> {
  return race(ms, parent, undefined, run, onTimeout);
}

function race<T>(
  ms: number,
  parent: AbortSignal,
  controller: AbortController | undefined,
  run: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => WritError,
): Promise<T> {
  if (parent.aborted) return Promise.reject(abortError(parent));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      if (onAbort !== undefined) parent.removeEventListener('abort', onAbort);
    };
    const fail = (error: WritError) => {
      if (settled) return;
      finish();
      controller?.abort(error);
      reject(error);
    };
    timer = setTimeout(() => fail(onTimeout()), ms);
    // the shared never-aborting signal gets no listeners (thousands of concurrent calls would pile them up)
    if (parent !== NEVER) {
      onAbort = () => fail(abortError(parent));
      parent.addEventListener('abort', onAbort, { once: true });
    }
    let work: Promise<T>;
    try {
      work = run(controller === undefined ? NEVER : controller.signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    Promise.resolve(work).then(
      (value) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        finish();
        reject(error);
      },
    );
  });
}

/** @internal */
export function abortError(signal: AbortSignal): WritError {
  return new WritError('WRIT_ABORTED', 'the call was aborted before the tool ran', { cause: signal.reason });
}

/** The principal references of an attribution, built once per attribution (every record repeats them). @internal */
const refs = new WeakMap<Attribution, Pick<AuditEventBase, 'requester' | 'chain'>>();

export function principalRefs(attribution: Attribution): Pick<AuditEventBase, 'requester' | 'chain'> {
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
  const traced = spanContext !== undefined && spanContext.traceId !== '00000000000000000000000000000000';
  const { requester, chain } = principalRefs(attribution);
  // keys in canonical (sorted) order, so that records serialise on canonicalJson's fast path
  const base = { autonomous: attribution.autonomous, chain } as {
    -readonly [K in keyof AuditEventBase]: AuditEventBase[K];
  };
  if (attribution.conversationId !== undefined) base.conversationId = attribution.conversationId;
  base.correlationId = attribution.correlationId;
  base.id = rt.generateId();
  if (attribution.intent !== undefined) base.intent = attribution.intent;
  if (attribution.parentTaskId !== undefined) base.parentTaskId = attribution.parentTaskId;
  base.requester = requester;
  base.service = rt.service;
  if (traced) base.spanId = spanContext.spanId;
  base.taskId = attribution.taskId;
  base.time = new Date(rt.clock()).toISOString();
  if (traced) base.traceId = spanContext.traceId;
  base.v = AUDIT_EVENT_VERSION;
  return base;
}

/**
 * An audit event: the common fields of `eventBase` and the event's own `fields`, keys in canonical
 * order (`undefined` fields left out). @internal
 */
export function auditEvent<F extends { readonly kind: AuditEvent['kind'] }>(
  rt: Runtime,
  attribution: Attribution,
  span: Span | undefined,
  fields: F,
): AuditEventBase & F {
  const base = eventBase(rt, attribution, span) as unknown as Record<string, unknown>;
  const own = fields as unknown as Record<string, unknown>;
  const baseNames = Object.keys(base);
  const ownNames = Object.keys(own);
  if (!ascending(ownNames)) ownNames.sort();
  // merge two sorted key lists (the fields never repeat a base key)
  const event: Record<string, unknown> = {};
  let i = 0;
  let j = 0;
  while (i < baseNames.length || j < ownNames.length) {
    const fromBase = baseNames[i];
    const fromOwn = ownNames[j];
    if (fromOwn === undefined || (fromBase !== undefined && fromBase < fromOwn)) {
      event[fromBase as string] = base[fromBase as string];
      i++;
    } else {
      const value = own[fromOwn];
      if (value !== undefined) event[fromOwn] = value;
      j++;
    }
  }
  return event as unknown as AuditEventBase & F;
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
    const receipt = await withTimeLimit(
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
