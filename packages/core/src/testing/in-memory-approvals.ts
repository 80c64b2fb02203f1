import type { ApprovalHandler, ApprovalRequest, ApprovalResponse, CallOptions } from '../interfaces.js';
import type { Principal } from '../principal.js';

/** Options of {@link createInMemoryApprovals}. */
export interface InMemoryApprovalsOptions {
  /** Who answers. @default a human 'approver@writ.test' */
  approver?: Principal;
  /** The answer for each request. @default approve everything */
  approve?: (request: ApprovalRequest) => boolean | Promise<boolean>;
  reason?: string;
}

/** An in-memory approval handler, exposing the requests it saw. */
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
