import { type TaskHandle, WritError } from '@writ/core';
import type { AdaptedCheckOptions, AdaptedTool, CallCheck, FrameworkApproval } from '@writ/core/adapter';
import { VERIFIED_APPROVER } from '@writ/core/plugin';
import { type ElicitingServer, elicitApproval } from './approval-flow.js';
import { approvalText, showArgs, type WritApprovalRequest } from './approval-prompt.js';
import { claimedApprover, verifyApproverToken } from './approver.js';
import type { McpCall } from './mcp-call.js';
import type { ServerSettings } from './options.js';

/** What asking the human came to: an approval to run with, or the recorded refusal. @internal */
export type ApprovalStep = { readonly approval: FrameworkApproval } | { readonly refusal: WritError };

/**
 * Asks the human at the client for an approval the decision requires, and records a refusal when there
 * is one. Writ refuses to ask (recorded, nobody named) when the prompt cannot show the complete
 * arguments, or when the policy wants a verified approver and the server cannot verify one. An answer
 * typed into the client approves as the requester, claimed; an approver token bound to this approval
 * and verified by `verifyApprover` approves as its subject, verified. @internal
 */
export async function askApproval(input: {
  readonly settings: ServerSettings<unknown>;
  readonly elicitor: ElicitingServer;
  readonly adapted: AdaptedTool;
  readonly name: string;
  readonly args: unknown;
  readonly request: McpCall<unknown>;
  readonly task: TaskHandle;
  readonly check: Extract<CallCheck, { effect: 'approval_required' }>;
  readonly base: AdaptedCheckOptions;
}): Promise<ApprovalStep> {
  const { settings, adapted, name, args, request, check, base } = input;
  const requester = input.task.attribution.requester;
  const refuse = async (reason: string, approver = false): Promise<ApprovalStep> => {
    const claimed = approver ? claimedApprover(requester) : undefined;
    const refusal = await adapted.reject(args, {
      ...base,
      reason,
      ...(claimed === undefined ? {} : { approver: claimed }),
    });
    return {
      refusal: refusal ?? new WritError('WRIT_APPROVAL_REJECTED', `${name} was not approved: ${reason}`),
    };
  };

  const verifiedApprover = check.decision.obligations?.some((o) => o.id === VERIFIED_APPROVER) === true;
  const shown = showArgs(args, settings.approvalArgsMaxChars);
  if (!shown.ok) return refuse(shown.why);
  if (verifiedApprover && settings.verifyApprover === undefined) {
    return refuse(
      'the policy requires a verified approver and this server cannot verify one (no verifyApprover), so Writ did not ask',
    );
  }
  const prompt: WritApprovalRequest = {
    tool: name,
    args,
    argsJson: shown.json,
    message: check.message,
    bindingHash: check.bindingHash,
    expiresAt: check.expiresAt,
    verifiedApprover,
  };
  const answer = await elicitApproval(input.elicitor, {
    message: approvalText(prompt, settings.approvalMessage),
    approval: {
      tool: name,
      args: shown.value,
      bindingHash: check.bindingHash,
      expiresAt: check.expiresAt,
      verifiedApprover,
    },
    withApproverToken: settings.verifyApprover !== undefined,
    relatedRequestId: request.requestId,
    signal: request.signal,
    timeoutMs: Math.max(1, check.expiresAt - Date.now()),
  });
  if (!answer.approved) return refuse(answer.reason, answer.answered);
  const reason = answer.reason === undefined ? {} : { reason: answer.reason };
  if (answer.approverToken === undefined || settings.verifyApprover === undefined) {
    const approver = claimedApprover(requester);
    return { approval: { approved: true, ...(approver === undefined ? {} : { approver }), ...reason } };
  }
  const verified = await verifyApproverToken(settings.verifyApprover, answer.approverToken, {
    tool: name,
    bindingHash: check.bindingHash,
    expiresAt: check.expiresAt,
    signal: request.signal,
  });
  if (!verified.ok) return refuse(verified.reason);
  return { approval: { approved: true, approver: verified.approver, ...reason } };
}
