import type { ApprovalHandler, Principal } from '@writ/core';
import { WritError } from '@writ/core';
import type { ApprovalRequest, ApprovalResponse, CallOptions } from '@writ/core/plugin';

/**
 * What an approval callback answers: the decision and who made it. The binding to the request is added
 * by the handler.
 *
 * @example
 * ```ts
 * const approvals = createCallbackApprovals(async (request): Promise<ApprovalAnswer> => {
 *   const ok = await cli.confirm(`Allow ${request.call.name} for ${request.attribution.requester?.id}?`);
 *   return ok
 *     ? { approved: true, approver: { kind: 'human', id: 'operator@example.com', assurance: 'asserted' } }
 *     : { approved: false, reason: 'declined at the terminal' };
 * });
 * ```
 */
export interface ApprovalAnswer {
  readonly approved: boolean;
  /** Who decided. Required to approve. */
  readonly approver?: Principal | undefined;
  readonly reason?: string | undefined;
}

/**
 * An approval handler from a function: ask a human however you like (chat-ops message, CLI prompt,
 * ticket) and return their answer. The answer is bound to the request it was given for; Writ refuses
 * it for any other call, after expiry, or without an approver.
 *
 * @example
 * ```ts
 * const approvals = createCallbackApprovals(async (request, { signal }) => {
 *   const ok = await slack.ask(`${request.attribution.requester?.id} via ${request.call.name}?`, { signal });
 *   return { approved: ok.yes, approver: { kind: 'human', id: ok.user, assurance: 'verified' } };
 * });
 * ```
 */
export function createCallbackApprovals(
  callback: (request: ApprovalRequest, options: CallOptions) => ApprovalAnswer | Promise<ApprovalAnswer>,
  options: { name?: string } = {},
): ApprovalHandler {
  if (typeof callback !== 'function')
    throw new WritError('WRIT_OPTIONS_INVALID', 'createCallbackApprovals: callback must be a function');
  return {
    name: options.name ?? 'callback',
    async requestApproval(request: ApprovalRequest, callOptions: CallOptions): Promise<ApprovalResponse> {
      const answer = await callback(request, callOptions);
      return {
        approved: answer.approved === true,
        approver: answer.approver,
        reason: answer.reason,
        bindingHash: request.bindingHash,
      };
    },
  };
}
