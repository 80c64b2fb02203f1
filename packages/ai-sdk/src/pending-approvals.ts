// The AI SDK keeps Writ's pending approvals in the conversation itself: a `tool-approval-request` part
// the model's step ended with, answered by a `tool-approval-response` the application adds. Nothing is
// remembered in this process; what is pending, and what the human answered, is read back from `messages`.
import type { ModelMessage } from 'ai';

/**
 * A human's answer to one AI SDK tool approval request, as found in the conversation: the
 * `tool-approval-response` part, joined with the `tool-approval-request` it answers and the model's
 * `tool-call` part.
 *
 * @example
 * ```ts
 * const answer: WritApprovalAnswer = {
 *   approvalId: 'aprv_1', toolCallId: 'call_2', toolName: 'refund_order',
 *   input: { orderId: '42', amount: 250 }, approved: false, reason: 'Too much',
 * };
 * ```
 */
export interface WritApprovalAnswer {
  /** The AI SDK's approval id (`tool-approval-request.approvalId`). */
  readonly approvalId: string;
  readonly toolCallId: string;
  readonly toolName: string;
  /** The tool call's input, as the model produced it (and the AI SDK validated it). */
  readonly input: unknown;
  readonly approved: boolean;
  /** The reason given with the answer, if any. */
  readonly reason: string | undefined;
}

interface RequestPart {
  readonly approvalId: string;
  readonly toolCallId: string;
  readonly isAutomatic: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Every answer a human gave to an approval request in `messages`, one per tool call (the first, as
 * the AI SDK itself only honours the first answer per call). Automatic answers (a `toolApproval`
 * status of `approved`/`denied`) are not human answers and are left out.
 */
export function humanAnswers(messages: readonly ModelMessage[]): WritApprovalAnswer[] {
  const requests = new Map<string, RequestPart>();
  const calls = new Map<string, { toolName: string; input: unknown }>();
  const responses: Array<{ approvalId: string; approved: boolean; reason: string | undefined }> = [];
  for (const message of messages) {
    if (typeof message.content === 'string' || !Array.isArray(message.content)) continue;
    for (const part of message.content as readonly unknown[]) {
      if (!isRecord(part)) continue;
      if (message.role === 'assistant' && part.type === 'tool-call') {
        if (typeof part.toolCallId === 'string' && typeof part.toolName === 'string')
          calls.set(part.toolCallId, { toolName: part.toolName, input: part.input });
      } else if (message.role === 'assistant' && part.type === 'tool-approval-request') {
        if (typeof part.approvalId === 'string' && typeof part.toolCallId === 'string')
          requests.set(part.approvalId, {
            approvalId: part.approvalId,
            toolCallId: part.toolCallId,
            isAutomatic: part.isAutomatic === true,
          });
      } else if (message.role === 'tool' && part.type === 'tool-approval-response') {
        if (typeof part.approvalId === 'string' && typeof part.approved === 'boolean')
          responses.push({
            approvalId: part.approvalId,
            approved: part.approved,
            reason: typeof part.reason === 'string' ? part.reason : undefined,
          });
      }
    }
  }
  const answers: WritApprovalAnswer[] = [];
  const answered = new Set<string>();
  for (const response of responses) {
    const request = requests.get(response.approvalId);
    if (request === undefined || request.isAutomatic || answered.has(request.toolCallId)) continue;
    const call = calls.get(request.toolCallId);
    if (call === undefined) continue;
    answered.add(request.toolCallId);
    answers.push({
      approvalId: request.approvalId,
      toolCallId: request.toolCallId,
      toolName: call.toolName,
      input: call.input,
      approved: response.approved,
      reason: response.reason,
    });
  }
  return answers;
}

/** The human's answer for one tool call, if the conversation holds one. */
export function humanAnswerFor(
  messages: readonly ModelMessage[],
  toolCallId: string,
): WritApprovalAnswer | undefined {
  // every call of every step asks; most conversations hold no answer at all, so look for one first
  if (!messages.some(holdsApprovalResponse)) return undefined;
  return humanAnswers(messages).find((a) => a.toolCallId === toolCallId);
}

/** Whether a message is a tool message with a `tool-approval-response` part. */
function holdsApprovalResponse(message: ModelMessage): boolean {
  return (
    message.role === 'tool' &&
    Array.isArray(message.content) &&
    (message.content as readonly unknown[]).some(
      (part) => isRecord(part) && part.type === 'tool-approval-response',
    )
  );
}
