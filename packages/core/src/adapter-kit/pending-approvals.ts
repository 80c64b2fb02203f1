import { z } from 'zod';
import type { Attribution } from '../attribution.js';
import { canonicalJson } from '../canonical-json.js';
import { tryGetAttribution } from '../context.js';
import { validateOptions, WRIT_DEFAULTS } from '../options.js';
import { requesterOf } from '../pipeline/replay.js';
import { evictOldest } from '../stores/evict-oldest.js';

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
 * not come back yet, by key (usually the framework's tool call id) **within the task that asked**.
 *
 * A framework's tool call id is a hint, not an identity: providers number calls per response ("0"),
 * and two users' runs can present the same id. So every entry belongs to the task active when it was
 * remembered (its task id and requester, read from the active attribution): `get` and `forget` in
 * another task, for another requester, or outside any task do not see it. The request that carries the
 * human's answer continues the task that asked (`writ.task({ ..., resume: taskId })`) and finds it there.
 * Entries remembered outside any task are seen only outside any task.
 *
 * Bounded like Writ's call ledger: when full, the entry remembered longest ago is forgotten. In memory,
 * per process.
 *
 * @example
 * ```ts
 * await writ.task({ requester: aliceToken, agent: 'support-bot' }, async (task) => {
 *   pending.remember(toolCallId, { bindingHash: check.bindingHash }); // alice's task
 *   return task.attribution.taskId; // kept beside the framework's paused state
 * });
 * // … the framework resumes with the human's answer, in the task that asked
 * await writ.task({ requester: aliceToken, agent: 'support-bot', resume: taskId }, async () => {
 *   const asked = pending.get(toolCallId); // { bindingHash } (in bob's task, or a new one: undefined)
 *   pending.forget(toolCallId);
 * });
 * ```
 */
export interface PendingApprovals<V> {
  /** Remembers `value` under `key` for the active task, as the newest entry (replacing what it held). */
  remember(key: string, value: V): void;
  /** What `key` holds for the active task, if it is still remembered. */
  get(key: string): V | undefined;
  /** Forgets `key` for the active task (the call ran, or was rejected). */
  forget(key: string): void;
  /** How many entries are remembered, all tasks together. */
  readonly size: number;
}

const optionsSchema = z.strictObject({ limit: z.number().int().positive().optional() });

/**
 * Creates a {@link PendingApprovals} memory: the one home for "which calls is this adapter waiting on a
 * human for" in adapters whose framework does not keep that itself (LangGraph interrupts, OpenAI Agents
 * interruptions). Its keys are scoped to the active task and requester, so one memory serves every user
 * of the process. Throws `WRIT_OPTIONS_INVALID` for a bad `limit`.
 *
 * @example
 * ```ts
 * import { createPendingApprovals } from '@writ/core/adapter';
 *
 * const pending = createPendingApprovals<{ tool: string; args: unknown }>({ limit: 1_000 });
 * await writ.task({ requester: aliceToken, agent: 'support-bot' }, async () => {
 *   pending.remember('call_1', { tool: 'refund_order', args: { orderId: '42' } });
 *   pending.get('call_1')?.tool; // 'refund_order'
 * });
 * await writ.task({ requester: bobToken, agent: 'support-bot' }, async () => {
 *   pending.get('call_1'); // undefined: bob's task never asked
 * });
 * ```
 */
export function createPendingApprovals<V>(options?: PendingApprovalsOptions): PendingApprovals<V> {
  const { limit = WRIT_DEFAULTS.callLedgerSize } = validateOptions(
    optionsSchema,
    options,
    'createPendingApprovals',
  );
  const entries = new Map<string, V>();
  const evict = evictOldest(entries);
  return {
    remember(key, value) {
      const scoped = scopedKey(key);
      entries.delete(scoped);
      entries.set(scoped, value);
      evict(limit);
    },
    get: (key) => entries.get(scopedKey(key)),
    forget(key) {
      entries.delete(scopedKey(key));
    },
    get size() {
      return entries.size;
    },
  };
}

/** `key` within the active task: its task id and requester (verified id and issuer), or no task at all. */
function scopedKey(key: string, attribution: Attribution | undefined = tryGetAttribution()): string {
  return canonicalJson({
    key,
    requester: attribution === undefined ? null : requesterOf(attribution),
    taskId: attribution?.taskId ?? null,
  });
}
