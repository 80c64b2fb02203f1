import { diag, type Tracer, trace } from '@opentelemetry/api';
import type { AgentDefinition } from './agent.js';
import type { Hook } from './compose.js';
import type { Decision } from './decision.js';
import { assertedIdentity, denyAllPolicy } from './defaults.js';
import type { WritError } from './errors.js';
import { uuidv7 } from './ids.js';
import type {
  ApprovalHandler,
  AuditSink,
  CredentialBroker,
  Durability,
  IdentityProvider,
  PolicyEngine,
} from './interfaces.js';
import type { CallState, WritMiddleware } from './middleware.js';
import { parseWritOptions, WRIT_DEFAULTS, type WritOptions } from './options.js';
import type { ApprovalMode } from './pipeline/state.js';
import { type ApprovalStore, createInMemoryApprovalStore } from './stores/approval-store.js';
import { type CallLedgerStore, createInMemoryCallLedger } from './stores/call-ledger.js';
import { VERSION } from './version.js';

/**
 * A Writ instance's configuration, resolved once from its options: every component, limit and default
 * the pipeline, tasks and free functions read. Nothing here runs a call.
 */
export interface Config {
  readonly service: string;
  readonly environment: string;
  readonly identity: IdentityProvider;
  readonly policy: PolicyEngine;
  readonly credentials: CredentialBroker | undefined;
  readonly audit: AuditSink | undefined;
  readonly approvals: ApprovalHandler | undefined;
  /** How calls needing approval wait (`block`: ask the handler; `suspend`: `WRIT_APPROVAL_PENDING`). */
  readonly approvalMode: ApprovalMode;
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
  readonly limits: { readonly argsBytes: number };
  readonly tracer: Tracer;
  readonly telemetry: {
    readonly recordInputs: boolean;
    readonly recordOutputs: boolean;
    readonly recordEndUser: boolean;
    readonly recordErrorMessages: boolean;
  };
  readonly timeouts: typeof WRIT_DEFAULTS.timeouts;
  readonly clock: () => number;
  readonly generateId: () => string;
  /** Framework tool calls remembered by tool call id (adapters' decide-then-run flows). */
  readonly calls: CallLedgerStore;
  /** Approvals asked through a framework, waiting for their answer. */
  readonly pendingApprovals: ApprovalStore;
  /** Reports a failure that cannot be thrown into the caller (`onError`, else `diag.error`). */
  report(error: WritError): void;
  /** The public object, so context-resolved free functions can find it. */
  writ: unknown;
}

/** Resolves options (validated) into a {@link Config}. */
export function createConfig(input: WritOptions | undefined): Config {
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
    approvalMode: options.approvalMode ?? WRIT_DEFAULTS.approvalMode,
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
      recordErrorMessages:
        options.telemetry?.recordErrorMessages ?? WRIT_DEFAULTS.telemetry.recordErrorMessages,
    },
    limits: { ...WRIT_DEFAULTS.limits, ...options.limits },
    timeouts: { ...WRIT_DEFAULTS.timeouts, ...options.timeouts },
    clock,
    generateId: options.generateId ?? (() => uuidv7(clock())),
    calls: options.stores?.calls ?? createInMemoryCallLedger({ max: WRIT_DEFAULTS.callLedgerSize, clock }),
    pendingApprovals:
      options.stores?.approvals ?? createInMemoryApprovalStore({ max: WRIT_DEFAULTS.callLedgerSize, clock }),
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
