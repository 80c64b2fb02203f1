import type { Principal, Risk } from '@writ/core';
import type { FrameworkApproval } from '@writ/core/adapter';
import { z } from 'zod';

/**
 * The `type` of every interrupt value Writ raises, to tell them from your own interrupts.
 *
 * @example
 * ```ts
 * const ours = result.__interrupt__?.filter((i) => (i.value as { type?: string }).type === APPROVAL_REQUEST_TYPE);
 * ```
 */
export const APPROVAL_REQUEST_TYPE = 'writ.approval';

/**
 * The value Writ passes to LangGraph's `interrupt()` when its policy wants a human to approve a tool
 * call. It comes back to you in `result.__interrupt__[i].value` (or `graph.getState(config)`); show it
 * to the approver, then continue the thread with `new Command({ resume: { approved, approver } })`.
 * Everything in it is JSON, so it survives any checkpointer.
 *
 * @example
 * ```ts
 * const result = await agent.invoke({ messages }, config);
 * for (const { value } of result.__interrupt__ ?? []) {
 *   if (isWritApprovalRequest(value)) console.log(value.message, value.args, 'answer before', new Date(value.expiresAt));
 * }
 * ```
 */
export interface WritApprovalRequest {
  readonly type: typeof APPROVAL_REQUEST_TYPE;
  /** The model's tool call id; put it in the answer to bind the answer to this call. */
  readonly toolCallId: string;
  /** Tool name. */
  readonly tool: string;
  /** The arguments the model sent (as in the conversation state). */
  readonly args: unknown;
  readonly risk: Risk;
  /** Why approval is needed, for the approver. */
  readonly message: string;
  /** `sha256:<hex>` binding the approval to this tool, these arguments, this agent and this decision. */
  readonly bindingHash: string;
  /** The policy decision that asked for approval. */
  readonly decisionId: string;
  /** Epoch ms after which an answer is refused. */
  readonly expiresAt: number;
}

/**
 * Whether an interrupt value is a Writ approval request (rather than one of your own interrupts).
 *
 * @example
 * ```ts
 * const pending = (result.__interrupt__ ?? []).map((i) => i.value).filter(isWritApprovalRequest);
 * ```
 */
export function isWritApprovalRequest(value: unknown): value is WritApprovalRequest {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === APPROVAL_REQUEST_TYPE &&
    typeof (value as { toolCallId?: unknown }).toolCallId === 'string' &&
    typeof (value as { bindingHash?: unknown }).bindingHash === 'string'
  );
}

/**
 * The resume value that answers a {@link WritApprovalRequest}:
 * `new Command({ resume: { approved: true, approver: { id: 'maria@example.com' } } })`.
 *
 * - `approved` is required. A value that does not match this shape exactly (unknown keys included) is
 *   not guessed at: the call is refused with `WRIT_APPROVAL_REJECTED` and the refusal recorded.
 * - `approver` is who answered. Your application vouches for it, so it is recorded with assurance
 *   `asserted`. @default the task's requester (for an approval), unknown (for a rejection)
 * - `reason` is recorded, and shown to the model when the call is rejected.
 * - `toolCallId`, when given, must be the request's: an answer meant for another call is refused.
 *   Give it whenever one node can raise several approvals (a LangGraph `ToolNode`, or `createAgent`
 *   with `version: 'v1'`), where LangGraph matches answers to interrupts by their order.
 *
 * @example
 * ```ts
 * import { Command } from '@langchain/langgraph';
 *
 * const answer = approvalResumeSchema.parse(await request.json()); // e.g. from your approval UI
 * await agent.invoke(new Command({ resume: answer }), { configurable: { thread_id } });
 * ```
 */
export const approvalResumeSchema = z.strictObject({
  approved: z.boolean(),
  approver: z
    .strictObject({
      id: z.string().min(1).max(2048),
      kind: z.enum(['human', 'agent', 'service']).optional(),
      name: z.string().min(1).max(256).optional(),
      issuer: z.string().min(1).max(2048).optional(),
    })
    .optional(),
  reason: z.string().max(2048).optional(),
  toolCallId: z.string().min(1).max(256).optional(),
});

/**
 * What to pass as `Command({ resume })` to answer a {@link WritApprovalRequest}. See
 * {@link approvalResumeSchema} for the rules.
 *
 * @example
 * ```ts
 * import { Command } from '@langchain/langgraph';
 *
 * const resume: WritApprovalResume = { approved: false, reason: 'Refunds above 100 need a receipt', toolCallId: request.toolCallId };
 * await agent.invoke(new Command({ resume }), config);
 * ```
 */
export type WritApprovalResume = z.input<typeof approvalResumeSchema>;

/** The answer as the pipeline takes it: the approver is asserted by the application. @internal */
export function toFrameworkApproval(resume: z.output<typeof approvalResumeSchema>): FrameworkApproval {
  const approver: Principal | undefined =
    resume.approver === undefined
      ? undefined
      : {
          kind: resume.approver.kind ?? 'human',
          id: resume.approver.id,
          assurance: 'asserted',
          ...(resume.approver.name === undefined ? {} : { name: resume.approver.name }),
          ...(resume.approver.issuer === undefined ? {} : { issuer: resume.approver.issuer }),
        };
  return {
    approved: resume.approved,
    ...(approver === undefined ? {} : { approver }),
    ...(resume.reason === undefined ? {} : { reason: resume.reason }),
  };
}
