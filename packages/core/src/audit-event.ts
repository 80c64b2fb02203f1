import type { ApprovalRecord } from './approval-record.js';
import type { CredentialRef } from './credential.js';
import type { AuthorizationRequest, DecisionEffect, Obligation } from './decision.js';
import type { WritErrorCode } from './errors.js';
import type { InboundRecord } from './inbound-record.js';
import type { PrincipalRef } from './principal.js';
import type { RemoteCallRecord } from './remote-call-record.js';
import type { SharedContext } from './shared-context.js';
import type { Resource, Risk, ToolType } from './tool-call.js';

export type { ApprovalRecord, ApproverToken } from './approval-record.js';

/**
 * Version of the audit event shape (the `v` field of every event). Bumped on any incompatible change.
 * Version 2: a decision record may carry the part of its evaluated context that its task's calls share
 * by reference (`decision.sharedContext`, see {@link SharedContext}); version 1 records keep it whole.
 *
 * @example
 * ```ts
 * const parsed = JSON.parse(line) as { v?: unknown };
 * if (parsed.v !== 1 && parsed.v !== AUDIT_EVENT_VERSION) throw new Error(`unsupported audit event version ${String(parsed.v)}`);
 * const event = parsed as AuditEvent;
 * ```
 */
export const AUDIT_EVENT_VERSION = 2 as const;

/**
 * Kinds of audit events the pipeline emits.
 *
 * @example
 * ```ts
 * function countByKind(events: readonly AuditEvent[]): Map<AuditEventKind, number> {
 *   const counts = new Map<AuditEventKind, number>();
 *   for (const event of events) counts.set(event.kind, (counts.get(event.kind) ?? 0) + 1);
 *   return counts;
 * }
 * ```
 */
export type AuditEventKind =
  | 'task-start'
  | 'decision'
  | 'approval-requested'
  | 'approval'
  | 'outcome'
  | 'revocation'
  | 'task-end';

/**
 * Fields every audit event carries: who, for whom, in which task, when, in which trace.
 *
 * @example
 * ```ts
 * function describe(event: AuditEventBase): string {
 *   const actor = event.chain.at(-1)?.id ?? 'no agent';
 *   const forWhom = event.requester?.id ?? 'nobody (autonomous)';
 *   return `${event.time} ${actor} for ${forWhom}, task ${event.taskId}, trace ${event.traceId ?? '-'}`;
 * }
 * ```
 */
export interface AuditEventBase {
  /** {@link AUDIT_EVENT_VERSION} when written; `1` in logs written before version 2. */
  readonly v: 1 | typeof AUDIT_EVENT_VERSION;
  /** Unique event id. */
  readonly id: string;
  /** RFC 3339 UTC timestamp with milliseconds. */
  readonly time: string;
  /** `service` option of `createWrit`. */
  readonly service: string;
  readonly taskId: string;
  readonly parentTaskId?: string | undefined;
  readonly correlationId: string;
  readonly traceId?: string | undefined;
  readonly spanId?: string | undefined;
  readonly requester: PrincipalRef | null;
  /** Agents, outermost first; the last is the actor. */
  readonly chain: readonly PrincipalRef[];
  readonly autonomous: boolean;
  readonly intent?: string | undefined;
  /** The framework's conversation / thread id, when the task was given one. */
  readonly conversationId?: string | undefined;
}

/**
 * A refusal raised by the pipeline itself (not the policy engine).
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, … }) …
 * for (const event of audit.ofKind('decision')) {
 *   const refusal: RefusalRecord | undefined = event.refusal;
 *   if (refusal !== undefined) console.log(event.call.name, refusal.code, refusal.message); // 'refund_order WRIT_INPUT_INVALID …'
 * }
 * ```
 */
export interface RefusalRecord {
  readonly code: WritErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What records keep of a tool call. `args` only when capture is opted in (and redacted).
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, … }) …
 * const calls: CallRecord[] = audit.ofKind('decision').map((event) => event.call);
 * calls.map((c) => `${c.name} ${c.risk} ${c.resource?.type}:${c.resource?.id} ${c.argsDigest}`);
 * ```
 */
export interface CallRecord {
  readonly id: string;
  readonly name: string;
  readonly type: ToolType;
  readonly risk: Risk;
  readonly permission: string;
  readonly audience?: string | undefined;
  readonly resource?: Resource | undefined;
  readonly argsDigest?: string | undefined;
  readonly args?: unknown;
  /** The agent framework that made the call and its own ids for it (adapter calls only). */
  readonly framework?:
    | { readonly name: string; readonly ids?: Readonly<Record<string, string>> | undefined }
    | undefined;
}

/**
 * What records keep of a decision. `evaluatedContext` is absent only for refusals before a request existed.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, … }) …
 * const denied: DecisionRecord[] = audit.ofKind('decision').map((e) => e.decision).filter((d) => d.effect === 'deny');
 * denied.map((d) => `${d.engine} ${d.policyIds.join(',')}: ${d.reasons.join('; ')}`);
 * ```
 */
export interface DecisionRecord {
  readonly effect: DecisionEffect;
  readonly policyIds: readonly string[];
  readonly reasons: readonly string[];
  readonly decisionId: string;
  readonly engine: string;
  /**
   * The request the engine judged. As stored with a `sharedContext`, only its per-call part (no
   * `subject`, none of the `SHARED_CONTEXT_KEYS` in `context`): the readers of `@writ/audit`
   * (`readVerifiedLog`, `explain`, `writ report`), `resolveSharedContexts` and the testing sink's
   * `events` give it back whole.
   */
  readonly evaluatedContext?: AuthorizationRequest | undefined;
  readonly obligations?: readonly Obligation[] | undefined;
  readonly errors?: readonly string[] | undefined;
  /** Digest of the policy set (policies and schema) that decided, when the engine gives one (Cedar). */
  readonly policySetDigest?: string | undefined;
  /** The part of the evaluated context the task's calls share, by digest (records of version 2). */
  readonly sharedContext?: SharedContext | undefined;
}

/**
 * The first record of a task: its scope, its task credential (by reference) and whether it started or
 * was refused (unverifiable requester, unregistered agent, scope wider than the caller's…).
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … tasks run through createWrit({ audit, … }) …
 * const refused: TaskStartEvent[] = audit.ofKind('task-start').filter((e) => e.status === 'refused');
 * refused.map((e) => e.refusal?.code); // e.g. ['WRIT_IDENTITY_INVALID']
 * ```
 */
export interface TaskStartEvent extends AuditEventBase {
  readonly kind: 'task-start';
  readonly scope: readonly string[];
  readonly credential?: CredentialRef | undefined;
  /** The caller's verified credential, when the task continues a caller's task (`writ.task({ inbound })`). */
  readonly inbound?: InboundRecord | undefined;
  readonly status: 'started' | 'refused';
  readonly refusal?: RefusalRecord | undefined;
  /** Set when the task continues one this service opened earlier (`writ.task({ resume })`). */
  readonly resumed?: true | undefined;
  /**
   * Set when the correlation id came from incoming W3C baggage nobody signed (an unauthenticated
   * caller can choose it): investigation tools keep such tasks out of a correlation unless asked.
   */
  readonly correlationUnverified?: true | undefined;
}

/**
 * The record written before a tool may run (as durable as `durability` asks): the call, the decision
 * and the request it was judged on, and any scope drift, pipeline refusal, approval or credential.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, … }) …
 * const drift: DecisionEvent[] = audit.ofKind('decision').filter((e) => e.scopeDrift !== undefined);
 * drift.map((e) => `${e.call.permission} outside ${e.scopeDrift?.scope.join(' ')}: ${e.decision.effect}`);
 * ```
 */
export interface DecisionEvent extends AuditEventBase {
  readonly kind: 'decision';
  readonly call: CallRecord;
  readonly decision: DecisionRecord;
  /**
   * Set when the call's permission was outside the acting agent's scope (scope drift), whatever the
   * policy then decided (deny, approval, or allow).
   */
  readonly scopeDrift?: { readonly permission: string; readonly scope: readonly string[] } | undefined;
  /** Set when the pipeline refused the call (input invalid, approval rejected, …) whatever the policy said. */
  readonly refusal?: RefusalRecord | undefined;
  readonly approval?: ApprovalRecord | undefined;
  readonly credential?: CredentialRef | undefined;
}

/**
 * The record written when Writ asks for approval (before anyone answers): the call, the decision that
 * asked, the binding hash an answer must echo, and until when it may be given. An approval asked and
 * never answered leaves this record; the answer, when it comes, is an `approval` record.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls needing approval run through createWrit({ audit, … }) …
 * const answered = new Set(audit.ofKind('approval').map((e) => e.approval.bindingHash));
 * const unanswered = audit.ofKind('approval-requested').filter((e) => !answered.has(e.bindingHash));
 * unanswered.map((e: ApprovalRequestedEvent) => `${e.call.name} waits until ${new Date(e.expiresAt).toISOString()}`);
 * ```
 */
export interface ApprovalRequestedEvent extends AuditEventBase {
  readonly kind: 'approval-requested';
  readonly call: CallRecord;
  readonly decision: DecisionRecord;
  /** `sha256:<hex>` the answer must echo (see `approvalBindingHash`). */
  readonly bindingHash: string;
  /** Epoch ms after which the approval can no longer be given. */
  readonly expiresAt: number;
  /** How the call waits: through the framework's own approval flow, or suspended (`WRIT_APPROVAL_PENDING`). */
  readonly mode: 'framework' | 'suspend';
}

/**
 * The record of a human's answer to an approval request, bound to the call and the decision that asked.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, approvals, … }) …
 * const declined: ApprovalEvent[] = audit.ofKind('approval').filter((e) => !e.approval.approved);
 * declined.map((e) => `${e.call.name} (decision ${e.decisionId}): ${e.approval.reason ?? 'no reason given'}`);
 * ```
 */
export interface ApprovalEvent extends AuditEventBase {
  readonly kind: 'approval';
  readonly call: CallRecord;
  readonly decisionId: string;
  readonly approval: ApprovalRecord;
}

/**
 * The record written after a call: whether the tool returned, threw, never ran or was suspended, and
 * how long it took.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, … }) …
 * const failed: OutcomeEvent[] = audit.ofKind('outcome').filter((e) => e.outcome.status === 'error');
 * failed.map((e) => `${e.call.name}: ${e.outcome.errorCode} after ${e.outcome.durationMs} ms`);
 * ```
 */
export interface OutcomeEvent extends AuditEventBase {
  readonly kind: 'outcome';
  readonly call: { readonly id: string; readonly name: string };
  readonly outcome: {
    /** `ok`: the tool returned; `error`: it threw; `refused`: it never ran. */
    /** `suspended`: the framework paused the running tool (it runs again on resume, same decision). */
    /** `replayed`: the task asked again for a call that already ran; its recorded result was returned. */
    readonly status: 'ok' | 'error' | 'refused' | 'suspended' | 'replayed';
    readonly errorCode?: string | undefined;
    readonly durationMs: number;
    readonly resultDigest?: string | undefined;
    readonly result?: unknown;
    /** What the services this call reached returned (receipts, refusals): as received, never verified. */
    readonly remote?: readonly RemoteCallRecord[] | undefined;
  };
  /** Log index of this call's decision event, when the sink returned a receipt. */
  readonly decisionIndex?: number | undefined;
}

/**
 * The record of credentials revoked, by reference (never the tokens), on their own: when a task's start
 * record was refused, when a reaper closes an abandoned task, and at the end of a task in logs written
 * before the task-end record carried them (`TaskEndEvent.revoked`).
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … a task whose start record was refused ran through createWrit({ audit, credentials, … }) …
 * const revocation: RevocationEvent | undefined = audit.ofKind('revocation')[0];
 * revocation?.credentials.map((c) => `${c.jti}: ${revocation.reason}`); // what was issued before the refusal
 * ```
 */
export interface RevocationEvent extends AuditEventBase {
  readonly kind: 'revocation';
  readonly credentials: readonly CredentialRef[];
  readonly reason: string;
}

/**
 * The last record of a task: whether its function returned or threw, and how long the task took.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … tasks run through createWrit({ audit, … }) …
 * const slow: TaskEndEvent[] = audit.ofKind('task-end').filter((e) => e.durationMs > 30_000);
 * slow.map((e) => `${e.taskId} ${e.status} ${e.durationMs} ms`);
 * ```
 */
export interface TaskEndEvent extends AuditEventBase {
  readonly kind: 'task-end';
  /** `abandoned`: the process running the task stopped renewing its lease; a reaper closed the task. */
  readonly status: 'ok' | 'error' | 'abandoned';
  readonly errorCode?: string | undefined;
  readonly durationMs: number;
  /**
   * The credentials revoked as the task ended, by reference (never the tokens). Logs written before this
   * field, and revocations that do not happen at the end, have a {@link RevocationEvent} instead.
   */
  readonly revoked?: readonly CredentialRef[] | undefined;
}

/**
 * One piece of evidence. The pipeline emits, per call, exactly one `decision` event before the tool
 * can run and one `outcome` event after (plus an `approval-requested` event when approval was asked and
 * an `approval` event when it was answered); per task a
 * `task-start`, a `revocation` and a `task-end`.
 *
 * @example
 * ```ts
 * const sink: AuditSink = { name: 'console', append: async (event) => { console.log(event.kind, event.taskId); return { log: 'console', index: 0, leafHash: '' }; } };
 * ```
 */
export type AuditEvent =
  | TaskStartEvent
  | DecisionEvent
  | ApprovalRequestedEvent
  | ApprovalEvent
  | OutcomeEvent
  | RevocationEvent
  | TaskEndEvent;
