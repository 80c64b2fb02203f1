/**
 * An approval Writ asked for and nobody has answered yet: which call, under which decision, until when.
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
}

/**
 * Where approvals Writ asked for through an agent framework wait for their answer. An approval binds one
 * call once: {@link ApprovalStore.take} hands a pending approval to exactly one taker. The in-memory store
 * ({@link createInMemoryApprovalStore}) serves one process.
 *
 * @example
 * ```ts
 * const writ = createWrit({ policy, audit, stores: { approvals: createInMemoryApprovalStore({ clock: Date.now, max: 10_000 }) } });
 * ```
 */
export interface ApprovalStore {
  readonly name: string;
  /** Records that approval was asked (idempotent for the same binding hash). */
  open(pending: PendingApproval): Promise<void>;
  /** The pending approval with this binding hash, unless it was taken, or has expired. */
  get(bindingHash: string): Promise<PendingApproval | undefined>;
  /**
   * Takes the pending approval out, atomically: of concurrent takers exactly one gets it. An expired one
   * is taken too (the taker refuses it, saying it expired).
   */
  take(bindingHash: string): Promise<PendingApproval | undefined>;
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
      pending.delete(approval.bindingHash);
      pending.set(approval.bindingHash, approval);
      while (pending.size > max) pending.delete(pending.keys().next().value as string);
    },
    async get(bindingHash) {
      return live(bindingHash);
    },
    async take(bindingHash) {
      const found = pending.get(bindingHash);
      pending.delete(bindingHash);
      return found;
    },
  };
}
