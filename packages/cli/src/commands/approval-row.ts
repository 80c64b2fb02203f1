import type { ApproverToken, PendingApproval, PrincipalRef } from '@writ/core/plugin';

/**
 * Where an approval stands: `waiting` for an answer, answered (`approved`, `rejected`: its call takes the
 * answer when it runs again), or `expired` unanswered (its call refuses it).
 *
 * @example
 * ```ts
 * const open = rows.filter((row) => row.status === ('waiting' satisfies ApprovalStatus));
 * ```
 */
export type ApprovalStatus = 'waiting' | 'approved' | 'rejected' | 'expired';

/**
 * One approval in the `--json` output of `writ approvals list`, `approve` and `reject`. Times are ISO
 * 8601; text is as the store holds it (JSON escapes it).
 *
 * @example
 * ```ts
 * const waiting = (JSON.parse(stdout) as ApprovalsListJson).approvals.filter((a: ApprovalRowJson) => a.status === 'waiting');
 * ```
 */
export interface ApprovalRowJson {
  /** `sha256:<hex>`: binds the approval to one call; `approve` and `reject` take a unique prefix of it. */
  readonly bindingHash: string;
  readonly tool: string;
  /** The framework's tool call id. */
  readonly callId: string;
  readonly taskId: string;
  readonly decisionId: string;
  /** Who the task is for (`null`: autonomous). */
  readonly requester: { readonly id: string; readonly issuer: string | null } | null;
  /** The acting agent's id (a SPIFFE ID), `null` when the store has none. */
  readonly agent: string | null;
  /** Digest of the call's canonical arguments (never the arguments). */
  readonly argsDigest: string | null;
  /** When approval was asked. */
  readonly askedAt: string | null;
  /** After this, the approval can no longer be given. */
  readonly expiresAt: string;
  readonly status: ApprovalStatus;
  /** The answer that stands, `null` while nobody answered. */
  readonly answer: {
    readonly approved: boolean;
    /** Who answered: `assurance` is `verified` only when an ID token proved it, `claimed` for `--approver`. */
    readonly approver: PrincipalRef | null;
    /** For a verified approver: the token's id and expiry. */
    readonly approverToken: ApproverToken | null;
    readonly reason: string | null;
    readonly answeredAt: string;
  } | null;
}

const iso = (ms: number | undefined) =>
  ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();

/**
 * Where an approval stands at `now` (epoch ms).
 *
 * @example
 * ```ts
 * statusOf(pending, Date.now()); // 'waiting'
 * ```
 */
export function statusOf(approval: PendingApproval, now: number): ApprovalStatus {
  if (approval.answer !== undefined) return approval.answer.approved ? 'approved' : 'rejected';
  return approval.expiresAt > now ? 'waiting' : 'expired';
}

/**
 * An approval as `--json` shows it.
 *
 * @example
 * ```ts
 * const row = approvalRow(pending, Date.now());
 * ```
 */
export function approvalRow(approval: PendingApproval, now: number): ApprovalRowJson {
  const { answer } = approval;
  return {
    bindingHash: approval.bindingHash,
    tool: approval.tool,
    callId: approval.callId,
    taskId: approval.taskId,
    decisionId: approval.decisionId,
    requester: approval.requester ?? null,
    agent: approval.agent ?? null,
    argsDigest: approval.argsDigest ?? null,
    askedAt: iso(approval.requestedAt),
    expiresAt: iso(approval.expiresAt) ?? String(approval.expiresAt),
    status: statusOf(approval, now),
    answer:
      answer === undefined
        ? null
        : {
            approved: answer.approved,
            approver: answer.approver,
            approverToken: answer.approverToken ?? null,
            reason: answer.reason ?? null,
            answeredAt: iso(answer.answeredAt) ?? String(answer.answeredAt),
          },
  };
}

/** The binding hash as the table shows it: its first 12 hex digits (enough for `approve <prefix>`). */
export const shortHash = (bindingHash: string) => bindingHash.replace(/^sha256:/, '').slice(0, 12);
