import { interrupt, isGraphBubbleUp } from '@langchain/langgraph';
import type { Risk } from '@writ/core';
import {
  type AdaptedTool,
  answeredApproval,
  type CallCheck,
  type FrameworkApproval,
} from '@writ/core/adapter';
import { formatIssues } from '@writ/core/internal';
import { z } from 'zod';
import type { ApprovalMode } from './options.js';

/**
 * The `type` of every interrupt value Writ raises, to tell them from your own interrupts.
 *
 * @example
 * ```ts
 * const ours = result.__interrupt__?.filter((i) => (i.value as { type?: string }).type === WRIT_APPROVAL_REQUEST);
 * ```
 */
export const WRIT_APPROVAL_REQUEST = 'writ.approval';

/**
 * The value Writ passes to LangGraph's `interrupt()` when its policy wants a human to approve a tool
 * call. It comes back to you in `result.__interrupt__[i].value` (or `graph.getState(config)`); show it
 * to the approver, then continue the thread, in the task that asked, with
 * `writ.task({ ..., resume: request.taskId }, () => agent.invoke(new Command({ resume: answer }), config))`.
 * Everything in it is JSON, so it survives any checkpointer.
 *
 * @example
 * ```ts
 * const result = await agent.invoke({ messages }, config);
 * for (const { value } of result.__interrupt__ ?? []) {
 *   if (isWritApprovalRequest(value)) console.log(value.message, value.args, 'answer before', new Date(value.expiresAt), 'in task', value.taskId);
 * }
 * ```
 */
export interface WritApprovalRequest {
  readonly type: typeof WRIT_APPROVAL_REQUEST;
  /** The model's tool call id; put it in the answer to bind the answer to this call. */
  readonly toolCallId: string;
  /**
   * The Writ task that asked. An approval binds one call of one task of one requester: resume the
   * thread inside `writ.task({ ..., resume: taskId })`, for the same requester. In any other task the
   * answer is refused and the call judged afresh.
   */
  readonly taskId: string;
  /** Tool name. */
  readonly tool: string;
  /** The arguments the model sent (as in the conversation state). */
  readonly args: unknown;
  readonly risk: Risk;
  /** Why approval is needed, for the approver. */
  readonly message: string;
  /**
   * `sha256:<hex>` binding the approval to this call (tool call id, tool, arguments), this task and
   * requester, this agent and this decision.
   */
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
    (value as { type?: unknown }).type === WRIT_APPROVAL_REQUEST &&
    typeof (value as { toolCallId?: unknown }).toolCallId === 'string' &&
    typeof (value as { taskId?: unknown }).taskId === 'string' &&
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
 * const answer = approvalAnswerSchema.parse(await request.json()); // e.g. from your approval UI
 * await agent.invoke(new Command({ resume: answer }), { configurable: { thread_id } });
 * ```
 */
export const approvalAnswerSchema = z.strictObject({
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
 * {@link approvalAnswerSchema} for the rules.
 *
 * @example
 * ```ts
 * import { Command } from '@langchain/langgraph';
 *
 * const resume: WritApprovalAnswer = { approved: false, reason: 'Refunds above 100 need a receipt', toolCallId: request.toolCallId };
 * await agent.invoke(new Command({ resume }), config);
 * ```
 */
export type WritApprovalAnswer = z.input<typeof approvalAnswerSchema>;

/** LangGraph's side of Writ's approvals, for one middleware or tool wrapper. @internal */
export interface ApprovalFlow {
  /**
   * Asks the human through `interrupt()` (first run: throws `GraphInterrupt`; after
   * `Command({ resume })`: returns the answer). Anything but a well-formed answer to an approval this
   * task asked before (in this process or in any process sharing Writ's call ledger) becomes a rejection.
   */
  ask(
    adapted: AdaptedTool,
    args: unknown,
    toolCallId: string,
    check: Extract<CallCheck, { effect: 'approval_required' }>,
  ): FrameworkApproval;
  /**
   * LangGraph hands resume values to a node's `interrupt()` calls by their order. When a node runs
   * again after a call that asked for approval has settled, that call takes its place in the order
   * again (the answer it gets back is the one it already used), so a later call gets its own answer.
   */
  keepInterruptOrder(toolCallId: string): void;
}

/**
 * Creates the {@link ApprovalFlow} of one middleware or tool wrapper. It keeps nothing in memory: what
 * an answer is checked against comes from the call ledger (`check` says whether this task asked the
 * approval before) and from the interrupt value, so a resume served by another process (replicas sharing
 * Writ's stores and a LangGraph checkpointer) is judged exactly as one served here.
 * @internal
 */
export function createApprovalFlow(approvals: ApprovalMode): ApprovalFlow {
  return {
    ask(adapted, args, toolCallId, check) {
      const request: WritApprovalRequest = {
        type: WRIT_APPROVAL_REQUEST,
        toolCallId,
        taskId: check.taskId,
        tool: adapted.name,
        args,
        risk: adapted.risk,
        message: check.message,
        bindingHash: check.bindingHash,
        decisionId: check.decision.decisionId,
        expiresAt: check.expiresAt,
      };
      let value: unknown;
      try {
        value = interrupt<WritApprovalRequest, unknown>(request);
      } catch (error) {
        if (isGraphBubbleUp(error)) throw error;
        return {
          approved: false,
          reason: `LangGraph could not pause the run for approval: ${messageOf(error)}`,
        };
      }
      // an answer came back, but this check asked the approval just now: the interrupt it answers was
      // raised for another request (another task or requester, an expired or older decision)
      if (!check.askedBefore) {
        return {
          approved: false,
          reason:
            'the answer came for an approval request that is not pending in this task (it expired, or it belongs to another task or requester)',
        };
      }
      const parsed = approvalAnswerSchema.safeParse(value);
      if (!parsed.success) {
        const issues = formatIssues(parsed.error.issues, { root: 'resume', limit: 5 });
        return {
          approved: false,
          reason: `the resume value is not an approval answer (${issues.join('; ')})`,
        };
      }
      const answer = answeredApproval(parsed.data);
      if (parsed.data.toolCallId !== undefined && parsed.data.toolCallId !== toolCallId) {
        return {
          ...answer,
          approved: false,
          reason: `the answer is for tool call ${parsed.data.toolCallId}, not ${toolCallId}`,
        };
      }
      return answer;
    },
    keepInterruptOrder(toolCallId) {
      if (approvals !== 'interrupt') return;
      try {
        // at this position LangGraph holds the answer this call already used: the value is never shown
        interrupt({ type: WRIT_APPROVAL_REQUEST, toolCallId });
      } catch {
        // no answer at this position (the node runs from an older checkpoint), or no checkpointer to
        // hold one: the call is settled, so do not ask
      }
    },
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
