import { InterruptResponseContent } from '@strands-agents/sdk';
import {
  type ApprovalAnswerLike,
  type ApprovalRequestFields,
  approvalRequestFieldsSchema,
} from '@writ/core/adapter';
import { z } from 'zod';

/**
 * The `type` of every {@link WritApprovalRequest}, and the prefix of the name of the Strands interrupt
 * that carries it (`writ.approval_request:<bindingHash>`): how to tell Writ's interrupts from a tool's or
 * another hook's.
 *
 * @example
 * ```ts
 * const fromWrit = result.interrupts?.filter((i) => i.name.startsWith(WRIT_APPROVAL_REQUEST)) ?? [];
 * ```
 */
export const WRIT_APPROVAL_REQUEST = 'writ.approval_request';

/**
 * What Writ asks when policy wants a human: the `reason` of the Strands interrupt the run stops on
 * (`stopReason: 'interrupt'`). Answer with {@link approvalResponse} as the next invocation of the same
 * agent, inside `writ.task({ ..., resume: request.taskId })`.
 *
 * @example
 * ```ts
 * for (const { request } of writApprovalRequests(result)) {
 *   console.log(request.message, request.args, 'answer in task', request.taskId);
 * }
 * ```
 */
export interface WritApprovalRequest extends ApprovalRequestFields {
  readonly type: typeof WRIT_APPROVAL_REQUEST;
  /** The model's tool use id of the call awaiting approval. */
  readonly toolCallId: string;
}

/**
 * The answer to a {@link WritApprovalRequest}: `approved`, a `reason` (shown to the model when the call
 * is declined) and who answered, `approver` (recorded with assurance `asserted`: the application vouches
 * for it; by default the task's requester when approved, unknown (`null`) when declined). Strands carries
 * it as the interrupt's `response`.
 *
 * @example
 * ```ts
 * const answer: WritApprovalAnswer = { approved: true, approver: { id: 'maria@example.com', name: 'Maria' } };
 * ```
 */
export interface WritApprovalAnswer extends ApprovalAnswerLike {}

/**
 * A Writ approval found in an agent result ({@link writApprovalRequests}): the Strands interrupt id (what
 * the answer names) and Writ's request.
 *
 * @example
 * ```ts
 * const [pending]: WritApprovalRequestCall[] = writApprovalRequests(result);
 * if (pending !== undefined) await db.approvals.save({ id: pending.interruptId, ...pending.request });
 * ```
 */
export interface WritApprovalRequestCall {
  /** The id of the Strands interrupt: the answer's `InterruptResponseContent` names it. */
  readonly interruptId: string;
  readonly request: WritApprovalRequest;
}

/** Writ's interrupt reason. @internal */
export const approvalRequestSchema = approvalRequestFieldsSchema.extend({
  type: z.literal(WRIT_APPROVAL_REQUEST),
  toolCallId: z.string().min(1).max(2048),
});

/**
 * Whether an interrupt reason is Writ asking for an approval (rather than a tool's own interrupt).
 *
 * @example
 * ```ts
 * for (const i of result.interrupts ?? []) if (isWritApprovalRequest(i.reason)) showApprovalDialog(i);
 * ```
 */
export function isWritApprovalRequest(value: unknown): value is WritApprovalRequest {
  return approvalRequestSchema.safeParse(value).success;
}

/** What an agent result carries: `result.interrupts`. */
interface ResultLike {
  readonly interrupts?: readonly { readonly id: string; readonly reason?: unknown }[] | undefined;
}

/**
 * The Writ approvals a run stopped on (`stopReason: 'interrupt'`): every interrupt of `result` whose
 * reason is a {@link WritApprovalRequest}.
 *
 * @example
 * ```ts
 * const result = await agent.invoke('Refund 250 on order 42');
 * const [pending] = writApprovalRequests(result);
 * if (pending !== undefined) await db.approvals.save(pending); // with pending.request.taskId
 * ```
 */
export function writApprovalRequests(result: ResultLike): WritApprovalRequestCall[] {
  const found: WritApprovalRequestCall[] = [];
  for (const interrupt of result.interrupts ?? []) {
    const parsed = approvalRequestSchema.safeParse(interrupt.reason);
    if (parsed.success) {
      found.push({ interruptId: interrupt.id, request: parsed.data as WritApprovalRequest });
    }
  }
  return found;
}

/**
 * The content that answers a Writ approval: a Strands `InterruptResponseContent` for the interrupt
 * `interruptId`. Invoke the same agent with it (`agent.invoke([approvalResponse(...)])`) inside
 * `writ.task({ ..., resume: taskId })`; Strands resumes the paused call and Writ runs it (approved) or
 * records the refusal and hands the model Writ's refusal text (declined).
 *
 * @example
 * ```ts
 * await writ.task({ requester, agent: 'support-bot', resume: pending.request.taskId }, () =>
 *   agent.invoke([approvalResponse(pending.interruptId, { approved: true, approver: { id: 'maria@example.com' } })]),
 * );
 * ```
 */
export function approvalResponse(interruptId: string, answer: WritApprovalAnswer): InterruptResponseContent {
  const response = {
    approved: answer.approved === true,
    ...(answer.approver === undefined ? {} : { approver: answer.approver }),
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
  };
  return new InterruptResponseContent({ interruptId, response: JSON.parse(JSON.stringify(response)) });
}
