import { z } from 'zod';
import { validateOptions, WRIT_DEFAULTS } from '../options.js';

/**
 * Options of {@link createPendingApprovals}.
 *
 * @example
 * ```ts
 * const options: PendingApprovalsOptions = { limit: 1_000 };
 * ```
 */
export interface PendingApprovalsOptions {
  /** How many pending approvals are kept; the oldest is forgotten first. @default WRIT_DEFAULTS.callLedgerSize */
  limit?: number | undefined;
}

/**
 * An adapter's memory of the calls Writ asked a human about through the framework and whose answer has
 * not come back yet, by key (usually the framework's tool call id). Bounded like Writ's call ledger: when
 * full, the entry remembered longest ago is forgotten. In memory, per process.
 *
 * @example
 * ```ts
 * const pending = createPendingApprovals<{ bindingHash: string }>();
 * pending.remember(toolCallId, { bindingHash: check.bindingHash });
 * // … the framework resumes with the human's answer
 * const asked = pending.get(toolCallId); // undefined: nothing was asked here (or it was forgotten)
 * pending.forget(toolCallId);
 * ```
 */
export interface PendingApprovals<V> {
  /** Remembers `value` under `key`, as the newest entry (replacing what `key` held). */
  remember(key: string, value: V): void;
  /** What `key` holds, if it is still remembered. */
  get(key: string): V | undefined;
  /** Forgets `key` (the call ran, or was rejected). */
  forget(key: string): void;
  /** How many entries are remembered. */
  readonly size: number;
}

const optionsSchema = z.strictObject({ limit: z.number().int().positive().optional() });

/**
 * Creates a {@link PendingApprovals} memory: the one home for "which calls is this adapter waiting on a
 * human for" in adapters whose framework does not keep that itself (LangGraph interrupts, OpenAI Agents
 * interruptions). Throws `WRIT_OPTIONS_INVALID` for a bad `limit`.
 *
 * @example
 * ```ts
 * import { createPendingApprovals } from '@writ/core/adapter';
 *
 * const pending = createPendingApprovals<{ tool: string; args: unknown }>({ limit: 1_000 });
 * pending.remember('call_1', { tool: 'refund_order', args: { orderId: '42' } });
 * pending.get('call_1')?.tool; // 'refund_order'
 * ```
 */
export function createPendingApprovals<V>(options?: PendingApprovalsOptions): PendingApprovals<V> {
  const { limit = WRIT_DEFAULTS.callLedgerSize } = validateOptions(
    optionsSchema,
    options,
    'createPendingApprovals',
  );
  const entries = new Map<string, V>();
  return {
    remember(key, value) {
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > limit) entries.delete(entries.keys().next().value as string);
    },
    get: (key) => entries.get(key),
    forget(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
