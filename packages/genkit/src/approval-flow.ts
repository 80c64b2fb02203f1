import {
  type ApprovalAnswerLike,
  type ApprovalRequestFields,
  answeredApproverSchema,
  approvalRequestFieldsSchema,
} from '@writ/core/adapter';
import type { ToolRequestPart } from 'genkit';
import { z } from 'zod';

/**
 * The `type` of every {@link WritApprovalRequest}: how to tell Writ's interrupts from a tool's own
 * (`ai.defineInterrupt`) or another middleware's.
 *
 * @example
 * ```ts
 * const meta = interrupt.metadata?.interrupt as { type?: string } | undefined;
 * if (meta?.type === WRIT_APPROVAL_REQUEST) {
 *   // Writ wants a human approval for interrupt.toolRequest
 * }
 * ```
 */
export const WRIT_APPROVAL_REQUEST = 'writ.approval_request';

/**
 * What Writ interrupts a tool call with when policy wants a human: the `metadata.interrupt` of the
 * interrupted tool request (`response.interrupts`, `response.finishReason === 'interrupted'`). Answer
 * with {@link approvalRestart} in `resume.restart` of the next `generate` call, inside
 * `writ.task({ ..., resume: request.taskId })`.
 *
 * @example
 * ```ts
 * for (const { request } of writApprovalRequests(response.interrupts)) {
 *   console.log(request.message, request.args, 'answer in task', request.taskId);
 * }
 * ```
 */
export interface WritApprovalRequest extends ApprovalRequestFields {
  readonly type: typeof WRIT_APPROVAL_REQUEST;
  /** Genkit's tool request `ref` of the call awaiting approval (the model's call id). */
  readonly toolCallId: string;
}

/**
 * The answer to a {@link WritApprovalRequest}: `approved`, a `reason` (shown to the model when the call
 * is declined) and who answered, `approver` (recorded with assurance `asserted`: the application vouches
 * for it; by default the task's requester when approved, unknown (`null`) when declined). Genkit
 * carries it as the restarted tool request's `metadata.resumed`.
 *
 * @example
 * ```ts
 * const answer: WritApprovalAnswer = { approved: true, approver: { id: 'maria@example.com', name: 'Maria' } };
 * ```
 */
export interface WritApprovalAnswer extends ApprovalAnswerLike {}

/**
 * A Writ approval found among a response's interrupts ({@link writApprovalRequests}): Genkit's
 * interrupted tool request (what {@link approvalRestart} answers) and Writ's request.
 *
 * @example
 * ```ts
 * const [pending]: WritApprovalInterrupt[] = writApprovalRequests(response.interrupts);
 * if (pending !== undefined) await db.approvals.save({ id: pending.request.toolCallId, ...pending.request });
 * ```
 */
export interface WritApprovalInterrupt {
  /** The interrupted tool request, as Genkit returned it. */
  readonly interrupt: ToolRequestPart;
  readonly request: WritApprovalRequest;
}

/** Writ's interrupt metadata. @internal */
export const approvalRequestSchema = approvalRequestFieldsSchema.extend({
  type: z.literal(WRIT_APPROVAL_REQUEST),
  toolCallId: z.string().min(1).max(2048),
});

/** What comes back in `metadata.resumed` with an answer: bound to the request it answers. @internal */
export const approvalAnswerSchema = z.object({
  approved: z.boolean(),
  bindingHash: z.string().min(1).max(256),
  approver: answeredApproverSchema.optional(),
  reason: z.string().max(2048).optional(),
});

/**
 * Whether an interrupt's metadata is Writ asking for an approval (rather than a tool's own interrupt).
 *
 * @example
 * ```ts
 * if (isWritApprovalRequest(interrupt.metadata?.interrupt)) showApprovalDialog(interrupt);
 * ```
 */
export function isWritApprovalRequest(value: unknown): value is WritApprovalRequest {
  return approvalRequestSchema.safeParse(value).success;
}

/**
 * The Writ approvals a `generate` call paused on: every interrupted tool request (`response.interrupts`)
 * whose `metadata.interrupt` is a {@link WritApprovalRequest}.
 *
 * @example
 * ```ts
 * const response = await ai.generate({ prompt, tools, use: [writ] });
 * if (response.finishReason === 'interrupted') {
 *   const [pending] = writApprovalRequests(response.interrupts);
 *   if (pending !== undefined) await db.approvals.save(pending); // with pending.request.taskId
 * }
 * ```
 */
export function writApprovalRequests(interrupts: readonly ToolRequestPart[]): WritApprovalInterrupt[] {
  const found: WritApprovalInterrupt[] = [];
  for (const interrupt of interrupts) {
    const parsed = approvalRequestSchema.safeParse(interrupt.metadata?.interrupt);
    if (parsed.success) found.push({ interrupt, request: parsed.data as WritApprovalRequest });
  }
  return found;
}

/**
 * The tool request that answers a Writ approval: Genkit's restart of the interrupted call (as
 * `restartTool` builds it) with the answer as `metadata.resumed`. Pass it in `resume.restart` of the
 * next `generate` call (with the previous `response.messages`) inside
 * `writ.task({ ..., resume: taskId })`; Genkit re-enters the middleware and Writ runs the call
 * (approved) or records the refusal and hands the model Writ's refusal text (declined). The answer
 * carries the request's `bindingHash`: Writ takes it only for that call of that task, and asks afresh
 * (interrupts again) for any other (a plain `tool.restart(interrupt)` names no request and is asked
 * afresh too). An answer given with Genkit's `resume.respond` never reaches Writ: the call is not run
 * and its approval stays pending until it expires.
 *
 * @example
 * ```ts
 * await writ.task({ requester, agent: 'support-bot', resume: pending.request.taskId }, () =>
 *   ai.generate({
 *     messages: response.messages,
 *     tools,
 *     use: [writ],
 *     resume: { restart: [approvalRestart(pending.interrupt, { approved: true, approver: { id: 'maria@example.com' } })] },
 *   }),
 * );
 * ```
 */
export function approvalRestart(interrupt: ToolRequestPart, answer: WritApprovalAnswer): ToolRequestPart {
  const { interrupt: asked, resumed: _old, ...metadata } = interrupt.metadata ?? {};
  const request = approvalRequestSchema.safeParse(asked);
  const resumed = {
    approved: answer.approved === true,
    // the answer names the request it answers: Writ takes it for that call of that task only
    bindingHash: request.success ? request.data.bindingHash : '',
    ...(answer.approver === undefined ? {} : { approver: answer.approver }),
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
  };
  return { toolRequest: interrupt.toolRequest, metadata: { ...metadata, resumed } };
}
