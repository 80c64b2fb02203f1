import type { Decision } from '@writ/core';
import type { ApprovalAnswerLike } from '@writ/core/adapter';
import { z } from 'zod';

/**
 * The `type` of every {@link WritApprovalRequest}: how to tell Writ's suspensions from a tool's own.
 *
 * @example
 * ```ts
 * const output = await agent.generate('Refund order 42', { memory: { thread, resource } });
 * const payload = output.suspendPayload?.suspendPayload as { type?: string } | undefined;
 * if (payload?.type === WRIT_APPROVAL_REQUEST) {
 *   // Writ wants a human approval; any other payload is the tool asking for input
 * }
 * ```
 */
export const WRIT_APPROVAL_REQUEST = 'writ.approval_request';

/**
 * What a wrapped tool suspends with when Writ's policy asks for a human approval: the call, the Writ
 * task that asked, and the `decisionId`, `policyIds` and `reasons` of the decision that asks. Mastra
 * shows it as the `suspendPayload` of the `tool-call-suspended` chunk (`stream()`), of
 * `output.suspendPayload` (`generate()`, `finishReason: 'suspended'`) and of `agent.listSuspendedRuns()`.
 * Answer it inside `writ.task({ ..., resume: request.taskId })`.
 *
 * @example
 * ```ts
 * const output = await agent.generate('Refund order 42', { memory });
 * const request = output.suspendPayload?.suspendPayload;
 * if (isWritApprovalRequest(request)) console.log(request.message, request.args, 'answer in task', request.taskId);
 * ```
 */
export interface WritApprovalRequest extends Pick<Decision, 'decisionId' | 'policyIds' | 'reasons'> {
  readonly type: typeof WRIT_APPROVAL_REQUEST;
  /**
   * The Writ task that asked. An approval binds one call of one task of one requester: resume the run
   * inside `writ.task({ ..., resume: taskId })`, for the same requester. In any other task the answer is
   * refused and the call judged afresh.
   */
  readonly taskId: string;
  /** Tool name (the key in the agent's `tools`). */
  readonly tool: string;
  /** The arguments Writ decided on, exactly as they will run once approved. */
  readonly args: unknown;
  /** What to show the approver. */
  readonly message: string;
  /**
   * Binds the answer to this call (tool call id, tool, arguments), this task and requester, this agent
   * and this decision.
   */
  readonly bindingHash: string;
  /** Epoch ms after which Writ refuses the answer. */
  readonly expiresAt: number;
  /**
   * Set when the call continues a suspension of the tool's own: the resume data and payload the tool
   * gets back once Writ's approval is answered.
   */
  readonly resume?: { readonly data: unknown; readonly payload?: unknown } | undefined;
}

/**
 * The answer to a {@link WritApprovalRequest}, passed as Mastra resume data: `approved`, a `reason`
 * (shown to the model when the call is declined) and who answered, `approver` (recorded with assurance
 * `asserted`: the application vouches for it; by default the task's requester when approved, unknown
 * (`null`) when declined). Mastra's own `approveToolCall()` / `declineToolCall({ reason })` (and their
 * `…Generate` forms) send exactly this shape, so they answer Writ's approvals too; `resumeStream` /
 * `resumeGenerate` can also name the approver.
 *
 * @example
 * ```ts
 * const answer: WritApprovalAnswer = { approved: true, approver: { id: 'maria@example.com', name: 'Maria' } };
 * await agent.resumeGenerate(answer, { runId: output.runId, toolCallId });
 * ```
 */
export interface WritApprovalAnswer extends ApprovalAnswerLike {}

const text = z.string().min(1).max(2048);

/** Suspend data of Writ's approvals. @internal */
export const approvalRequestSchema = z.object({
  type: z.literal(WRIT_APPROVAL_REQUEST),
  taskId: text,
  tool: text,
  args: z.unknown(),
  message: z.string().max(8192),
  decisionId: text,
  bindingHash: text,
  expiresAt: z.number(),
  policyIds: z.array(z.string()),
  reasons: z.array(z.string()),
  resume: z.object({ data: z.unknown(), payload: z.unknown().optional() }).optional(),
});

/** Resume data answering Writ's approvals (lenient: Mastra's own approve/decline add nothing else). @internal */
export const approvalAnswerSchema = z.object({
  approved: z.boolean(),
  reason: z.string().max(2048).optional(),
  approver: z
    .object({
      id: text,
      kind: z.enum(['human', 'agent', 'service']).optional(),
      name: z.string().max(256).optional(),
      issuer: z.string().max(2048).optional(),
    })
    .optional(),
});

/**
 * Whether a Mastra suspend payload is Writ asking for an approval (rather than a tool asking for input).
 *
 * @example
 * ```ts
 * for await (const chunk of stream.fullStream) {
 *   if (chunk.type === 'tool-call-suspended' && isWritApprovalRequest(chunk.payload.suspendPayload)) {
 *     showApprovalDialog(chunk.payload.toolCallId, chunk.payload.suspendPayload.message);
 *   }
 * }
 * ```
 */
export function isWritApprovalRequest(value: unknown): value is WritApprovalRequest {
  return approvalRequestSchema.safeParse(value).success;
}
