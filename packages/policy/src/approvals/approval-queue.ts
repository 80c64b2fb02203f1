import type { ApprovalHandler, Principal } from '@writ/core';
import { WritError } from '@writ/core';
import type { ApprovalRequest, ApprovalResponse, CallOptions } from '@writ/core/plugin';

/**
 * A request waiting for a human, as an {@link ApprovalQueue} lists it.
 *
 * @example
 * ```ts
 * const approvals = createApprovalQueue();
 * const rows = approvals.pending().map((p: PendingApproval) => ({
 *   id: p.id,
 *   tool: p.request.call.name,
 *   requester: p.request.attribution.requester?.id ?? '(autonomous)',
 *   waitingSec: Math.round((Date.now() - p.requestedAt) / 1000),
 * }));
 * ```
 */
export interface PendingApproval {
  /** The binding hash: the id to answer with. */
  readonly id: string;
  readonly request: ApprovalRequest;
  readonly requestedAt: number;
}

/**
 * An approval handler that parks requests until someone answers them (a UI, an API, a bot).
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const approvals: ApprovalQueue = createApprovalQueue();
 * const writ = createWrit({ service: 'support', policy, audit, approvals });
 * // a test, or a simple bot: answer the next request that arrives
 * const pending = await approvals.next();
 * approvals.answer(pending.id, {
 *   approved: true,
 *   approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
 *   reason: 'customer confirmed by phone',
 * });
 * ```
 */
export interface ApprovalQueue extends ApprovalHandler {
  /** Requests waiting now, oldest first. */
  pending(): readonly PendingApproval[];
  /**
   * Answers one pending request. Each answer is used once, for the call it names: answering an id that
   * is not pending (already answered, expired, aborted, or never asked) throws `WRIT_APPROVAL_REJECTED`.
   */
  answer(id: string, answer: { approved: boolean; approver: Principal; reason?: string }): void;
  /** Resolves with the next request to arrive (for tests and simple bots). */
  next(): Promise<PendingApproval>;
}

/**
 * An in-process approval queue. Requests wait until answered, until the pipeline's approval timeout,
 * or until the call is aborted; unanswered requests are refused.
 *
 * @example
 * ```ts
 * const approvals = createApprovalQueue({ onRequest: (p) => notifyApprovers(p.id, p.request.call.name) });
 * app.post('/approvals/:id', (req) => approvals.answer(req.params.id, { approved: req.body.ok, approver: req.user }));
 * ```
 */
export function createApprovalQueue(
  options: { onRequest?: (pending: PendingApproval) => void; clock?: () => number } = {},
): ApprovalQueue {
  const clock = options.clock ?? Date.now;
  const waiting = new Map<string, { pending: PendingApproval; resolve: (r: ApprovalResponse) => void }>();
  const listeners: ((p: PendingApproval) => void)[] = [];
  return {
    name: 'queue',
    pending: () => [...waiting.values()].map((w) => w.pending),
    answer(id, answer) {
      const entry = waiting.get(id);
      if (entry === undefined) {
        throw new WritError(
          'WRIT_APPROVAL_REJECTED',
          'no pending approval has this id (answered, expired, or another call)',
          {
            details: { why: 'not_pending' },
          },
        );
      }
      if (answer.approved && (answer.approver === undefined || typeof answer.approver.id !== 'string')) {
        throw new WritError('WRIT_APPROVAL_REJECTED', 'an approval must name its approver', {
          details: { why: 'no_approver' },
        });
      }
      waiting.delete(id);
      entry.resolve({
        approved: answer.approved,
        approver: answer.approver,
        reason: answer.reason,
        bindingHash: id,
      });
    },
    next: () => new Promise<PendingApproval>((resolve) => listeners.push(resolve)),
    requestApproval(request: ApprovalRequest, callOptions: CallOptions): Promise<ApprovalResponse> {
      return new Promise<ApprovalResponse>((resolve, reject) => {
        const id = request.bindingHash;
        if (waiting.has(id)) {
          reject(new WritError('WRIT_APPROVAL_REJECTED', 'this call is already waiting for approval'));
          return;
        }
        const pending: PendingApproval = Object.freeze({ id, request, requestedAt: clock() });
        const onAbort = () => {
          waiting.delete(id);
          reject(
            new WritError('WRIT_APPROVAL_REJECTED', 'the approval request was withdrawn (timeout or abort)', {
              cause: callOptions.signal.reason,
            }),
          );
        };
        if (callOptions.signal.aborted) return onAbort();
        callOptions.signal.addEventListener('abort', onAbort, { once: true });
        waiting.set(id, {
          pending,
          resolve: (response) => {
            callOptions.signal.removeEventListener('abort', onAbort);
            resolve(response);
          },
        });
        options.onRequest?.(pending);
        for (const listener of listeners.splice(0)) listener(pending);
      });
    },
  };
}
