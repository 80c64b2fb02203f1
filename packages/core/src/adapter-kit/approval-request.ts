import { z } from 'zod';
import type { CallCheck } from './adapted-tool.js';
import type { ApprovalAnswerLike } from './approval-answer.js';

/** The `approval_required` arm of a {@link CallCheck}. */
type ApprovalCheck = Extract<CallCheck, { effect: 'approval_required' }>;

/**
 * What every adapter's approval request tells the application and the approver about one call Writ
 * wants a human to approve: the task that asked (the answer continues it), the tool, the arguments the
 * decision was made on, why, the binding hash, the decision and the expiry. Adapters add their own tag
 * (`type`) and whatever their framework needs to find the call again.
 *
 * @example
 * ```ts
 * const fields: ApprovalRequestFields = approvalRequestFields(adapted, args, check);
 * fields.taskId; // answer inside writ.task({ ..., resume: fields.taskId })
 * ```
 */
export interface ApprovalRequestFields {
  /** The Writ task that asked: the answer is honoured only in `writ.task({ ..., resume: taskId })`. */
  readonly taskId: string;
  /** Tool name. */
  readonly tool: string;
  /** The arguments Writ decided on, exactly as they will run once approved. */
  readonly args: unknown;
  /** What to show the approver. */
  readonly message: string;
  /** Binds the answer to this call (tool call id, tool, arguments), task, requester, agent and decision. */
  readonly bindingHash: string;
  /** The policy decision that asked for approval. */
  readonly decisionId: string;
  /** Epoch ms after which Writ refuses the answer. */
  readonly expiresAt: number;
  /** The policies that asked. */
  readonly policyIds: readonly string[];
  /** Why they asked. */
  readonly reasons: readonly string[];
}

/**
 * The {@link ApprovalRequestFields} of a call `check` found needs approval: one home for what an
 * adapter puts in its framework's approval request.
 *
 * @example
 * ```ts
 * import { approvalRequestFields } from '@writ/core/adapter';
 *
 * const check = await adapted.check(args, { toolCallId });
 * if (check.effect === 'approval_required') {
 *   framework.pause({ type: 'my-framework.writ_approval', ...approvalRequestFields(adapted, args, check) });
 * }
 * ```
 */
export function approvalRequestFields(
  tool: { readonly name: string },
  args: unknown,
  check: ApprovalCheck,
): ApprovalRequestFields {
  return {
    taskId: check.taskId,
    tool: tool.name,
    args,
    message: check.message,
    bindingHash: check.bindingHash,
    decisionId: check.decision.decisionId,
    expiresAt: check.expiresAt,
    policyIds: [...check.decision.policyIds],
    reasons: [...check.decision.reasons],
  };
}

const text = z.string().min(1).max(2048);

/**
 * zod schema of {@link ApprovalRequestFields} (extra keys kept), for adapters reading an approval
 * request back from their framework's paused state.
 *
 * @example
 * ```ts
 * const request = approvalRequestFieldsSchema.extend({ type: z.literal(MY_TAG) });
 * if (request.safeParse(payload).success) { ... }
 * ```
 */
export const approvalRequestFieldsSchema = z.looseObject({
  taskId: text,
  tool: text,
  args: z.unknown(),
  message: z.string().max(8192),
  bindingHash: text,
  decisionId: text,
  expiresAt: z.number(),
  policyIds: z.array(z.string()),
  reasons: z.array(z.string()),
});

/**
 * zod schema of who answered an approval, as an application names them in its answer (an
 * {@link ApprovalAnswerLike}'s `approver`): a non-empty `id`, optionally `kind`, `name`, `issuer`.
 *
 * @example
 * ```ts
 * const answer = z.object({ approved: z.boolean(), approver: answeredApproverSchema.optional() });
 * ```
 */
export const answeredApproverSchema: z.ZodType<NonNullable<ApprovalAnswerLike['approver']>> = z.object({
  id: text,
  kind: z.enum(['human', 'agent', 'service']).optional(),
  name: z.string().max(256).optional(),
  issuer: z.string().max(2048).optional(),
});

/**
 * zod schema of an {@link ApprovalAnswerLike}: `approved`, an optional `reason` and `approver`
 * (lenient: other keys are dropped).
 *
 * @example
 * ```ts
 * const parsed = approvalAnswerLikeSchema.safeParse(resumeValue);
 * const approval = parsed.success ? answeredApproval(parsed.data) : { approved: false, reason: 'malformed answer' };
 * ```
 */
export const approvalAnswerLikeSchema: z.ZodType<ApprovalAnswerLike> = z.object({
  approved: z.boolean(),
  reason: z.string().max(2048).optional(),
  approver: answeredApproverSchema.optional(),
});
