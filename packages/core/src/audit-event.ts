import type { CredentialRef } from './credential.js';
import type { AuthorizationRequest, DecisionEffect, Obligation } from './decision.js';
import type { WritErrorCode } from './errors.js';
import type { PrincipalRef } from './principal.js';
import type { Resource, Risk, ToolType } from './tool-call.js';

/** Version of the audit event shape. Bumped on any incompatible change. */
export const AUDIT_EVENT_VERSION = 1 as const;

/** Kinds of audit events the pipeline emits. */
export type AuditEventKind = 'task-start' | 'decision' | 'approval' | 'outcome' | 'revocation' | 'task-end';

/** Fields every audit event carries: who, for whom, in which task, when, in which trace. */
export interface AuditEventBase {
  readonly v: typeof AUDIT_EVENT_VERSION;
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

/** A refusal raised by the pipeline itself (not the policy engine). */
export interface RefusalRecord {
  readonly code: WritErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/** What records keep of a tool call. `args` only when capture is opted in (and redacted). */
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

/** What records keep of a decision. `evaluatedContext` is absent only for refusals before a request existed. */
export interface DecisionRecord {
  readonly effect: DecisionEffect;
  readonly policyIds: readonly string[];
  readonly reasons: readonly string[];
  readonly decisionId: string;
  readonly engine: string;
  readonly evaluatedContext?: AuthorizationRequest | undefined;
  readonly obligations?: readonly Obligation[] | undefined;
  readonly errors?: readonly string[] | undefined;
}

/** What records keep of an approval. */
export interface ApprovalRecord {
  readonly approved: boolean;
  readonly approver: PrincipalRef | null;
  /** `sha256:<hex>` binding the approval to tool + canonical args + agent + decision id. */
  readonly bindingHash: string;
  readonly reason?: string | undefined;
  readonly expiresAt?: number | undefined;
}

export interface TaskStartEvent extends AuditEventBase {
  readonly kind: 'task-start';
  readonly scope: readonly string[];
  readonly credential?: CredentialRef | undefined;
  /** The caller's verified task token, when the task continues a caller's task. */
  readonly inbound?:
    | { readonly jti: string; readonly issuer: string; readonly expiresAt: number }
    | undefined;
  readonly status: 'started' | 'refused';
  readonly refusal?: RefusalRecord | undefined;
}

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

export interface ApprovalEvent extends AuditEventBase {
  readonly kind: 'approval';
  readonly call: CallRecord;
  readonly decisionId: string;
  readonly approval: ApprovalRecord;
}

export interface OutcomeEvent extends AuditEventBase {
  readonly kind: 'outcome';
  readonly call: { readonly id: string; readonly name: string };
  readonly outcome: {
    /** `ok`: the tool returned; `error`: it threw; `refused`: it never ran. */
    /** `suspended`: the framework paused the running tool (it runs again on resume, same decision). */
    readonly status: 'ok' | 'error' | 'refused' | 'suspended';
    readonly errorCode?: string | undefined;
    readonly durationMs: number;
    readonly resultDigest?: string | undefined;
    readonly result?: unknown;
  };
  /** Log index of this call's decision event, when the sink returned a receipt. */
  readonly decisionIndex?: number | undefined;
}

export interface RevocationEvent extends AuditEventBase {
  readonly kind: 'revocation';
  readonly credentials: readonly CredentialRef[];
  readonly reason: string;
}

export interface TaskEndEvent extends AuditEventBase {
  readonly kind: 'task-end';
  readonly status: 'ok' | 'error';
  readonly errorCode?: string | undefined;
  readonly durationMs: number;
}

/**
 * One piece of evidence. The pipeline emits, per call, exactly one `decision` event before the tool
 * can run and one `outcome` event after (plus an `approval` event when a human was asked); per task a
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
  | ApprovalEvent
  | OutcomeEvent
  | RevocationEvent
  | TaskEndEvent;
