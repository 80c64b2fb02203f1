import type { ApproverToken } from '../audit-event.js';
import type { PrincipalRef } from '../principal.js';
import { evictOldest } from './evict-oldest.js';

/**
 * The answer to an approval, as the store keeps it: granted or rejected, by whom, why, when. The first
 * answer given wins ({@link ApprovalStore.answer}); later ones are told which answer stands.
 *
 * @example
 * ```ts
 * const answer: ApprovalAnswer = {
 *   approved: true,
 *   approver: { kind: 'human', id: 'bob@example.com', issuer: 'https://login.example.com', assurance: 'verified' },
 *   reason: 'confirmed with the customer',
 *   answeredAt: Date.now(),
 * };
 * ```
 */
export interface ApprovalAnswer {
  readonly approved: boolean;
  /** Who answered (never their claims). `null` only for a rejection nobody signed. */
  readonly approver: PrincipalRef | null;
  readonly reason?: string | undefined;
  /** Epoch ms the answer was given. */
  readonly answeredAt: number;
  /** For a `verified` approver: the token that proved who answered (id and expiry, never the token). */
  readonly approverToken?: ApproverToken | undefined;
}

/**
 * An approval Writ asked for: which call, under which decision, until when — and, once someone answered
 * it (from any process), the answer.
 *
 * @example
 * ```ts
 * const pending: PendingApproval = {
 *   bindingHash: check.bindingHash,
 *   callId: 'call_7f3a',
 *   tool: 'refund_order',
 *   taskId: attribution.taskId,
 *   decisionId: check.decision.decisionId,
 *   expiresAt: check.expiresAt,
 * };
 * ```
 */
export interface PendingApproval {
  /** Binds the approval to one call (tool, arguments, agent, decision): the store's key. */
  readonly bindingHash: string;
  /** The framework's tool call id. */
  readonly callId: string;
  readonly tool: string;
  readonly taskId: string;
  readonly decisionId: string;
  /** Epoch ms after which the approval can no longer be given. */
  readonly expiresAt: number;
  /** Who the task is for (verified id and issuer), `null` when autonomous; what a console lists by. */
  readonly requester?: { readonly id: string; readonly issuer: string | null } | null | undefined;
  /** The acting agent's id. */
  readonly agent?: string | undefined;
  /** Digest of the call's canonical arguments (never the arguments). */
  readonly argsDigest?: string | undefined;
  /** Epoch ms approval was asked. */
  readonly requestedAt?: number | undefined;
  /** Set once someone answered: the first answer given. */
  readonly answer?: ApprovalAnswer | undefined;
}

/**
 * What {@link ApprovalStore.answer} did: recorded this answer (`answered`), kept an earlier one
 * (`already_answered`, with the answer that stands), or found nothing to answer (`not_pending`: never
 * asked, already taken by the call, or expired).
 *
 * @example
 * ```ts
 * const result = await approvals.answer(bindingHash, answer);
 * if (result.status !== 'answered') console.log(`not recorded: ${result.status}`);
 * ```
 */
export type AnswerResult =
  | { readonly status: 'answered'; readonly approval: PendingApproval }
  | { readonly status: 'already_answered'; readonly approval: PendingApproval }
  | { readonly status: 'not_pending' };

/**
 * Which approvals {@link ApprovalStore.list} returns: the unanswered, unexpired ones (with `all`, also
 * the answered and expired ones not taken yet), optionally of one task or one requester.
 *
 * @example
 * ```ts
 * const mine = await approvals.list({ requester: 'alice@example.com' });
 * ```
 */
export interface ApprovalListQuery {
  readonly taskId?: string | undefined;
  /** The requester's id. */
  readonly requester?: string | undefined;
  /**
   * Also the approvals no longer waiting that the call has not taken yet: answered ones (the call takes
   * the answer when it runs again) and expired ones (the call refuses it). @default false
   */
  readonly all?: boolean | undefined;
}

/**
 * Where approvals Writ asked for wait for their answer. An approval binds one call once:
 * {@link ApprovalStore.take} hands it to exactly one taker (the call, when it runs). Answers may come
 * from any process sharing the store ({@link ApprovalStore.answer}: a console, a webhook, the CLI); the
 * first answer wins. The in-memory store ({@link createInMemoryApprovalStore}) serves one process.
 *
 * @example
 * ```ts
 * const writ = createWrit({ policy, audit, stores: { approvals: createInMemoryApprovalStore({ clock: Date.now, max: 10_000 }) } });
 * ```
 */
export interface ApprovalStore {
  readonly name: string;
  /** Records that approval was asked (idempotent for the same binding hash: an answer is kept). */
  open(pending: PendingApproval): Promise<void>;
  /** The approval with this binding hash (answered or not), unless it was taken, or has expired. */
  get(bindingHash: string): Promise<PendingApproval | undefined>;
  /**
   * Takes the approval out, atomically: of concurrent takers exactly one gets it. An expired one is
   * taken too (the taker refuses it, saying it expired).
   */
  take(bindingHash: string): Promise<PendingApproval | undefined>;
  /**
   * Answers a pending approval, from any process: the first answer wins. An expired or taken approval
   * is `not_pending` (the answer is refused, nothing recorded).
   */
  answer(bindingHash: string, answer: ApprovalAnswer): Promise<AnswerResult>;
  /**
   * The approvals still waiting for an answer (unanswered, unexpired), oldest first; with `all`, also the
   * answered and expired ones their call has not taken yet.
   */
  list(query?: ApprovalListQuery): Promise<readonly PendingApproval[]>;
}

/**
 * Options of {@link createInMemoryApprovalStore}.
 *
 * @example
 * ```ts
 * const options: InMemoryApprovalStoreOptions = { clock: Date.now, max: 10_000 };
 * ```
 */
export interface InMemoryApprovalStoreOptions {
  /** Epoch-ms clock. */
  readonly clock: () => number;
  /** Pending approvals kept at most (the oldest go first). */
  readonly max: number;
}

/**
 * Pending approvals in this process's memory. An answer that reaches another process finds nothing
 * there (refused: `no_pending_approval`).
 *
 * @example
 * ```ts
 * const approvals = createInMemoryApprovalStore({ clock: Date.now, max: 10_000 });
 * ```
 */
export function createInMemoryApprovalStore(options: InMemoryApprovalStoreOptions): ApprovalStore {
  const { clock, max } = options;
  const pending = new Map<string, PendingApproval>();
  const evict = evictOldest(pending);
  const live = (bindingHash: string): PendingApproval | undefined => {
    const found = pending.get(bindingHash);
    if (found !== undefined && found.expiresAt <= clock()) {
      pending.delete(bindingHash);
      return undefined;
    }
    return found;
  };
  return {
    name: 'in-memory',
    async open(approval) {
      const known = pending.get(approval.bindingHash);
      pending.delete(approval.bindingHash);
      pending.set(
        approval.bindingHash,
        known?.answer === undefined ? approval : { ...approval, answer: known.answer },
      );
      evict(max);
    },
    async get(bindingHash) {
      return live(bindingHash);
    },
    async take(bindingHash) {
      const found = pending.get(bindingHash);
      pending.delete(bindingHash);
      return found;
    },
    async answer(bindingHash, answer) {
      const found = pending.get(bindingHash);
      // an expired approval stays for its call to find (and refuse as late): it cannot be answered
      if (found === undefined || found.expiresAt <= clock()) return { status: 'not_pending' };
      if (found.answer !== undefined) return { status: 'already_answered', approval: found };
      const answered = { ...found, answer };
      pending.set(bindingHash, answered);
      return { status: 'answered', approval: answered };
    },
    async list(query = {}) {
      const now = clock();
      return [...pending.values()].filter(
        (p) =>
          (query.all === true || (p.answer === undefined && p.expiresAt > now)) &&
          (query.taskId === undefined || p.taskId === query.taskId) &&
          (query.requester === undefined || p.requester?.id === query.requester),
      );
    },
  };
}
