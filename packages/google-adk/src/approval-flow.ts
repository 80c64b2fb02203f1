import { type BasePlugin, REQUEST_CONFIRMATION_FUNCTION_CALL_NAME } from '@google/adk';
import {
  type ApprovalAnswerLike,
  type ApprovalRequestFields,
  answeredApproverSchema,
  approvalRequestFieldsSchema,
} from '@writ/core/adapter';
import { z } from 'zod';

/**
 * The `type` of every {@link WritApprovalRequest}: how to tell Writ's confirmation requests from a
 * tool's own (`requireConfirmation`) or another plugin's.
 *
 * @example
 * ```ts
 * const payload = call.args?.toolConfirmation?.payload as { type?: string } | undefined;
 * if (payload?.type === WRIT_APPROVAL_REQUEST) {
 *   // Writ wants a human approval for the call in call.args.originalFunctionCall
 * }
 * ```
 */
export const WRIT_APPROVAL_REQUEST = 'writ.approval_request';

/**
 * What Writ asks ADK's tool confirmation with when policy wants a human: the `payload` of the
 * `adk_request_confirmation` function call ADK emits (`args.toolConfirmation.payload`), its `hint`
 * being `message`. The run pauses there; answer with {@link approvalResponse} as the next user message,
 * inside `writ.task({ ..., resume: request.taskId })`.
 *
 * @example
 * ```ts
 * for (const { request } of writApprovalRequests(events)) {
 *   console.log(request.message, request.args, 'answer in task', request.taskId);
 * }
 * ```
 */
export interface WritApprovalRequest extends ApprovalRequestFields {
  readonly type: typeof WRIT_APPROVAL_REQUEST;
  /** ADK's function call id of the call awaiting approval (`originalFunctionCall.id`). */
  readonly toolCallId: string;
}

/**
 * The answer to a {@link WritApprovalRequest}: `approved`, a `reason` (shown to the model when the call
 * is declined) and who answered, `approver` (recorded with assurance `asserted`: the application vouches
 * for it; by default the task's requester when approved, unknown (`null`) when declined). ADK carries it
 * as the confirmation's `{ confirmed, payload: { approver, reason } }`; a plain `{ confirmed: true }`
 * (ADK's own approval UI) is an approval by the task's requester.
 *
 * @example
 * ```ts
 * const answer: WritApprovalAnswer = { approved: true, approver: { id: 'maria@example.com', name: 'Maria' } };
 * ```
 */
export interface WritApprovalAnswer extends ApprovalAnswerLike {}

/**
 * A Writ approval found in ADK events ({@link writApprovalRequests}): ADK's confirmation call id (what
 * the answer names) and Writ's request.
 *
 * @example
 * ```ts
 * const [pending]: WritApprovalRequestCall[] = writApprovalRequests(events);
 * if (pending !== undefined) await db.approvals.save({ id: pending.confirmationCallId, ...pending.request });
 * ```
 */
export interface WritApprovalRequestCall {
  /** The id of ADK's `adk_request_confirmation` call: the answer's function response carries it. */
  readonly confirmationCallId: string;
  readonly request: WritApprovalRequest;
}

/** Writ's confirmation payload. @internal */
export const approvalRequestSchema = approvalRequestFieldsSchema.extend({
  type: z.literal(WRIT_APPROVAL_REQUEST),
  toolCallId: z.string().min(1).max(2048),
});

/** What comes back in `toolConfirmation.payload` with an answer (lenient). @internal */
export const approvalAnswerSchema = z.object({
  approver: answeredApproverSchema.optional(),
  reason: z.string().max(2048).optional(),
});

/**
 * Whether a confirmation payload is Writ asking for an approval (rather than a tool's own gate).
 *
 * @example
 * ```ts
 * if (isWritApprovalRequest(call.args?.toolConfirmation?.payload)) showApprovalDialog(call);
 * ```
 */
export function isWritApprovalRequest(value: unknown): value is WritApprovalRequest {
  return approvalRequestSchema.safeParse(value).success;
}

/** A message of the conversation (`Content` of `@google/genai`, as ADK hands it to plugins). */
type Content = Parameters<BasePlugin['onUserMessageCallback']>[0]['userMessage'];

/** The parts of ADK events: `event.content.parts`. */
interface EventLike {
  readonly content?:
    | { readonly parts?: readonly { readonly functionCall?: unknown }[] | undefined }
    | undefined;
}

/**
 * The Writ approvals a run paused on: every `adk_request_confirmation` function call in `events`
 * (what `runner.runAsync` yielded, or `session.events`) whose payload is a {@link WritApprovalRequest}.
 *
 * @example
 * ```ts
 * import type { Event } from '@google/adk';
 *
 * const events: Event[] = [];
 * for await (const event of runner.runAsync({ userId, sessionId, newMessage })) events.push(event);
 * const [pending] = writApprovalRequests(events);
 * if (pending !== undefined) await db.approvals.save(pending); // with pending.request.taskId
 * ```
 */
export function writApprovalRequests(events: readonly EventLike[]): WritApprovalRequestCall[] {
  const found: WritApprovalRequestCall[] = [];
  for (const event of events) {
    for (const part of event.content?.parts ?? []) {
      const call = part.functionCall as
        | { id?: unknown; name?: unknown; args?: { toolConfirmation?: { payload?: unknown } } }
        | undefined;
      if (call?.name !== REQUEST_CONFIRMATION_FUNCTION_CALL_NAME || typeof call.id !== 'string') continue;
      const parsed = approvalRequestSchema.safeParse(call.args?.toolConfirmation?.payload);
      if (parsed.success) {
        found.push({ confirmationCallId: call.id, request: parsed.data as WritApprovalRequest });
      }
    }
  }
  return found;
}

/**
 * The user message that answers a Writ approval: ADK's confirmation function response
 * (`adk_request_confirmation`, `{ confirmed, payload: { approver, reason } }`) for the confirmation call
 * `confirmationCallId`. Send it as `newMessage` to `runner.runAsync` inside
 * `writ.task({ ..., resume: taskId })`; ADK resumes the paused call and Writ runs it (approved) or
 * records the refusal and hands the model Writ's refusal text (declined).
 *
 * @example
 * ```ts
 * await writ.task({ requester, agent: 'support-bot', resume: pending.request.taskId }, async () => {
 *   const newMessage = approvalResponse(pending.confirmationCallId, { approved: true, approver: { id: 'maria@example.com' } });
 *   for await (const event of runner.runAsync({ userId, sessionId, newMessage })) console.log(event);
 * });
 * ```
 */
export function approvalResponse(confirmationCallId: string, answer: WritApprovalAnswer): Content {
  const payload = {
    ...(answer.approver === undefined ? {} : { approver: answer.approver }),
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
  };
  return {
    role: 'user',
    parts: [
      {
        functionResponse: {
          id: confirmationCallId,
          name: REQUEST_CONFIRMATION_FUNCTION_CALL_NAME,
          response: { confirmed: answer.approved === true, payload },
        },
      },
    ],
  };
}
