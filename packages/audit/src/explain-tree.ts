import type {
  ApprovalRecord,
  CredentialRef,
  DecisionEvent,
  InboundRecord,
  OutcomeEvent,
  PrincipalRef,
  TaskStartEvent,
} from '@writ/core/plugin';
import type { LogRecord } from './record.js';
import type { RecordEvidence } from './verify/verified-log.js';

/**
 * One record an explained node was built from: its index, its kind and, when the log was verified,
 * what that proves about it.
 *
 * @example
 * ```ts
 * const doubtful = (refs: readonly RecordRef[]) => refs.filter((r) => r.evidence !== 'verified');
 * ```
 */
export interface RecordRef {
  readonly index: number;
  readonly kind: LogRecord['kind'];
  readonly evidence?: RecordEvidence;
}

/**
 * What to explain: one task (and its delegations), one call, or everything with a correlation id.
 *
 * @example
 * ```ts
 * const byCall: ExplainQuery = { callId: '019a5c1e-7d2f-7c4e-9f1a-3b2c1d0e9f8a' };
 * const roots = await explainLog('.writ/audit', byCall);
 * ```
 */
export type ExplainQuery =
  | { taskId: string }
  | { callId: string }
  | {
      correlationId: string;
      /**
       * Also the tasks whose correlation id came from unsigned baggage (`correlationUnverified`): anyone
       * who reached the service could have chosen it. @default false
       */
      includeUnverified?: boolean;
    };

/**
 * One tool call in the authority chain: its decision, approval, credential and outcome.
 *
 * @example
 * ```ts
 * const roots = await explainLog('.writ/audit', { taskId });
 * const refused = roots
 *   .flatMap((task) => task.calls)
 *   .filter((call: CallNode) => call.decision.effect === 'deny' || call.refusal !== undefined)
 *   .map((call) => `${call.tool}: ${call.refusal?.code ?? call.decision.reasons.join('; ')}`);
 * ```
 */
export interface CallNode {
  readonly callId: string;
  readonly tool: string;
  /** Log index of the decision record. */
  readonly index: number;
  readonly decision: DecisionEvent['decision'];
  readonly scopeDrift: DecisionEvent['scopeDrift'];
  readonly refusal: DecisionEvent['refusal'];
  readonly approval: ApprovalRecord | undefined;
  /** When the approval was answered: the time of its `approval` record (ISO 8601), when it has one. */
  readonly answeredAt?: string | undefined;
  /**
   * Set when approval was asked for the call (`approval-requested` record): the binding hash an answer
   * must echo, its expiry and how the call waited. A call whose approval is still unanswered has only
   * this record (its `decision` is the one that asked).
   */
  readonly approvalRequested?:
    | { readonly bindingHash: string; readonly expiresAt: number; readonly mode: 'framework' | 'suspend' }
    | undefined;
  readonly credential: CredentialRef | undefined;
  readonly outcome: OutcomeEvent['outcome'] | undefined;
  /** The records it was built from: decision, approval (when separate), outcome. */
  readonly records: readonly RecordRef[];
  /** The weakest evidence among `records`, when the events carried evidence. */
  readonly evidence?: RecordEvidence;
  /**
   * Over several logs (`explainLogs`): the tasks other services' logs hold that continued this call's
   * task with the credential this call was issued (the chain across services).
   */
  readonly callees?: readonly TaskNode[];
}

/**
 * One task or delegation: who asked, which agents acted under what scope, its calls, and the tasks it
 * delegated to.
 *
 * @example
 * ```ts
 * const countCalls = (task: TaskNode): number =>
 *   task.calls.length + task.delegations.reduce((n, sub) => n + countCalls(sub), 0);
 * const [root] = await explainLog('.writ/audit', { taskId });
 * if (root !== undefined) console.log(`${root.requester?.id ?? 'autonomous'}: ${countCalls(root)} calls`);
 * ```
 */
export interface TaskNode {
  readonly taskId: string;
  readonly parentTaskId: string | undefined;
  readonly correlationId: string;
  /** The correlation id came from unsigned baggage, not from a verified credential: the caller chose it. */
  readonly correlationUnverified?: boolean;
  readonly intent: string | undefined;
  readonly requester: PrincipalRef | null;
  readonly chain: readonly PrincipalRef[];
  readonly scope: readonly string[];
  readonly status: 'started' | 'refused';
  readonly refusal: TaskStartEvent['refusal'];
  readonly credential: CredentialRef | undefined;
  /**
   * When the task continues a caller's task (`writ.task({ inbound })`): the caller's credential each
   * task-start recorded (jti, audience, issuer, expiry, and what the token carried: intent digest, the
   * requester's identity provider and assurance, the caller's log and span; `missing` what it did not).
   * One entry per distinct credential, in log order.
   */
  readonly inbound?: readonly InboundRecord[];
  readonly calls: CallNode[];
  readonly delegations: TaskNode[];
  readonly revoked: readonly CredentialRef[];
  readonly end: { status: 'ok' | 'error' | 'abandoned'; errorCode?: string | undefined } | undefined;
  /** The records it was built from: task start(s), revocation, task end (its calls list their own). */
  readonly records: readonly RecordRef[];
  /** The weakest evidence among `records`, when the events carried evidence. */
  readonly evidence?: RecordEvidence;
  /** Over several logs (`explainLogs`): the log that holds it (its label). */
  readonly log?: string;
  /** Over several logs (`explainLogs`): the service that wrote its task-start (`createWrit`'s `service`). */
  readonly service?: string;
}
