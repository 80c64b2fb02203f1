import type { ApprovalHandler, ApprovalRequest, ApprovalResponse, CallOptions } from '../interfaces.js';
import type { Principal } from '../principal.js';

/**
 * Options of {@link createInMemoryApprovals}.
 *
 * @example
 * ```ts
 * const options: InMemoryApprovalsOptions = {
 *   approver: { kind: 'human', id: 'manager@example.com', assurance: 'verified' },
 *   approve: (request) => (request.call.args as { amount: number }).amount <= 100,
 *   reason: 'refund limit 100',
 * };
 * const approvals = createInMemoryApprovals(options);
 * ```
 */
export interface InMemoryApprovalsOptions {
  /** Who answers. @default a human 'approver@writ.test' */
  approver?: Principal;
  /** The answer for each request. @default approve everything */
  approve?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  reason?: string;
}

/**
 * An in-memory approval handler, exposing the requests it saw.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const approvals: InMemoryApprovals = createInMemoryApprovals();
 * const writ = createWrit({ approvals, policy, audit });
 * // … the agent calls a tool the policy wants approved …
 * expect(approvals.requests.map((r) => r.call.name)).toEqual(['refund_order']);
 * ```
 */
export interface InMemoryApprovals extends ApprovalHandler {
  readonly requests: ApprovalRequest[];
}

/**
 * An approval handler for tests: answers each request with `approve(request)`, correctly bound to it.
 *
 * @example
 * ```ts
 * const approvals = createInMemoryApprovals({ approve: (r) => r.call.name !== 'delete_customer' });
 * ```
 */
export function createInMemoryApprovals(options: InMemoryApprovalsOptions = {}): InMemoryApprovals {
  const approver: Principal = options.approver ?? {
    kind: 'human',
    id: 'approver@writ.test',
    assurance: 'verified',
  };
  const decide = options.approve ?? (() => true);
  const requests: ApprovalRequest[] = [];
  return {
    name: 'in-memory',
    requests,
    async requestApproval(request: ApprovalRequest, _options: CallOptions): Promise<ApprovalResponse> {
      requests.push(request);
      const approved = await decide(request);
      return { approved, approver, bindingHash: request.bindingHash, reason: options.reason };
    },
  };
}
