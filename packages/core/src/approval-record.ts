// What records keep of an approval and of the token a verified approver proved who they are with.
import type { PrincipalRef } from './principal.js';

/**
 * What records keep of an approval.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, approvals, … }) …
 * for (const event of audit.ofKind('approval')) {
 *   const approval: ApprovalRecord = event.approval;
 *   console.log(event.call.name, approval.approved ? 'approved' : 'declined', 'by', approval.approver?.id ?? 'unknown');
 * }
 * ```
 */
export interface ApprovalRecord {
  readonly approved: boolean;
  readonly approver: PrincipalRef | null;
  /** `sha256:<hex>` binding the approval to tool + canonical args + agent + decision id. */
  readonly bindingHash: string;
  readonly reason?: string | undefined;
  readonly expiresAt?: number | undefined;
  /** For a `verified` approver: the token that proved who answered (its id and expiry). */
  readonly approverToken?: ApproverToken | undefined;
}

/**
 * The token a `verified` approver proved who they are with (an OIDC ID token, see `verifiedApprover` in
 * `@writ/identity`), as records keep it: never the token, only its id and expiry. The approver's
 * `issuer` and `id` (the token's `sub`) are on the approver itself.
 *
 * @example
 * ```ts
 * const token: ApproverToken = { jti: 'a3f1c9e2-5d1b-4b8e-9c0f-1e2d3c4b5a69', expiresAt: 1767225600000 };
 * ```
 */
export interface ApproverToken {
  /**
   * The token's `jti` claim; for a token without one (OIDC does not require it in ID tokens),
   * `sha256:<hex>` of the token's compact serialization.
   */
  readonly jti: string;
  /** Epoch ms the token expires (its `exp`). */
  readonly expiresAt: number;
}
