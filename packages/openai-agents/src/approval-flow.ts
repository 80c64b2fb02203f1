import type { RunToolApprovalItem, ToolErrorFormatter } from '@openai/agents';
import { type Principal, tryGetAttribution, WritError } from '@writ/core';
import { approverSchema, refusalMessage } from '@writ/core/adapter';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { adaptedToolOf, readArguments } from './govern-tool.js';
import { forgetPending, type PendingApproval, peekPending, rememberPending } from './pending-approvals.js';

/**
 * What {@link approveCall} and {@link rejectCall} need of the run state: `RunState` (or
 * `result.state`) fits.
 *
 * @example
 * ```ts
 * import { RunState } from '@openai/agents';
 *
 * const state: ApprovalState = await RunState.fromString(agent, stored);
 * ```
 */
export interface ApprovalState {
  approve(item: RunToolApprovalItem, options?: { alwaysApprove?: boolean }): void;
  reject(item: RunToolApprovalItem, options?: { alwaysReject?: boolean; message?: string }): void;
}

/**
 * Options of {@link approveCall}.
 *
 * @example
 * ```ts
 * const options: ApproveCallOptions = { approver: { kind: 'human', id: 'maria@example.com', assurance: 'verified' } };
 * ```
 */
export interface ApproveCallOptions {
  /** Who approved, recorded in the approval record. @default the task's requester */
  approver?: Principal | undefined;
}

/**
 * Options of {@link rejectCall}.
 *
 * @example
 * ```ts
 * const options: RejectCallOptions = { approver: maria, reason: 'refunds over 500 need a manager' };
 * ```
 */
export interface RejectCallOptions {
  /** Who declined, recorded in the approval record. @default unknown (recorded as `null`) */
  approver?: Principal | undefined;
  /** Why, recorded and included in what the model sees. */
  reason?: string | undefined;
}

const approveSchema = z.strictObject({ approver: approverSchema.optional() });
const rejectSchema = z.strictObject({
  approver: approverSchema.optional(),
  reason: z.string().max(8192).optional(),
});

/** The tool name and call id of a function-call approval item. */
function callOf(item: RunToolApprovalItem): { name: string; callId: string } | undefined {
  const raw = item.rawItem;
  if (raw.type !== 'function_call') return undefined;
  return { name: raw.name, callId: raw.callId };
}

/**
 * The call Writ asked about that an approval item names: remembered when this process asked it, else
 * found from the item itself — the run was interrupted in another process and resumed here from its
 * saved `RunState` (replicas sharing Writ's stores): the governed tool among the item's agent's tools,
 * the arguments the model sent. Whether Writ is waiting for that call's approval in this task is for
 * the shared call ledger to say (`reject` and `run` check it).
 */
function pendingOf(
  call: { name: string; callId: string },
  item: RunToolApprovalItem,
): PendingApproval | undefined {
  const known = peekPending(call.name, call.callId);
  if (known !== undefined) return known;
  const tools = (item.agent as { tools?: unknown } | undefined)?.tools;
  const governed = Array.isArray(tools)
    ? tools.find((t: unknown) => (t as { name?: unknown } | null)?.name === call.name)
    : undefined;
  const tool = adaptedToolOf(governed);
  const raw = item.rawItem;
  if (tool === undefined || raw.type !== 'function_call') return undefined;
  const entry: PendingApproval = { tool, args: readArguments(raw.arguments) };
  rememberPending(call.name, call.callId, entry);
  return entry;
}

/**
 * `state.approve(item)`, telling Writ who approved. The approval is bound to this tool call of the task
 * that asked (tool call id, tool, arguments, task, requester, agent, decision): call it, and resume the
 * run, inside `writ.task({ ..., resume: taskId })` with the task id you stored beside the `RunState`.
 * When the run resumes, Writ records the approval with this approver and runs the call; in any other task
 * the approval is refused and the call judged afresh. Naming an `approver` outside any task throws
 * `WRIT_NO_TASK` (Writ could not tell which task's approval it names). Without this helper
 * `state.approve(item)` works too; the approver is then the task's requester. `alwaysApprove` is not
 * offered: Writ approves one call at a time.
 *
 * @example
 * ```ts
 * import { RunState, run } from '@openai/agents';
 *
 * const { state: stored, taskId } = await db.pending.load(ticketId); // saved beside each other
 * await writ.task({ requester: userToken, agent: 'support-bot', resume: taskId }, async () => {
 *   const state = await RunState.fromString(agent, stored);
 *   for (const item of state.getInterruptions()) {
 *     approveCall(state, item, { approver: { kind: 'human', id: 'maria@example.com', assurance: 'verified' } });
 *   }
 *   return run(agent, state);
 * });
 * ```
 */
export function approveCall(
  state: ApprovalState,
  item: RunToolApprovalItem,
  options: ApproveCallOptions = {},
): void {
  const { approver } = validateOptions(approveSchema, options, 'approveCall');
  if (approver !== undefined && tryGetAttribution() === undefined) {
    throw new WritError(
      'WRIT_NO_TASK',
      'approveCall: naming an approver needs the task that asked: call it inside writ.task({ ..., resume: taskId })',
    );
  }
  const call = callOf(item);
  const pending = call === undefined ? undefined : pendingOf(call, item);
  if (pending !== undefined && approver !== undefined) pending.approver = approver;
  state.approve(item);
}

/**
 * `state.reject(item)`, recorded by Writ: the approval record (approved: false, approver, reason), the
 * refused decision and its outcome are written now, and the model is told, in Writ's words, that the
 * call was not approved (`Refused by Writ (WRIT_APPROVAL_REJECTED): …`). Call it inside the task the run
 * belongs to (`writ.task({ ..., resume: taskId })` when the answer comes in a later request). Resolves to
 * the refusal, or `undefined` when Writ had not asked about this call in this task (then it is a plain
 * `state.reject(item)`).
 *
 * @example
 * ```ts
 * import { run } from '@openai/agents';
 *
 * await writ.task({ requester: userToken, agent: 'support-bot' }, async () => {
 *   const result = await run(agent, 'Refund order 42');
 *   for (const item of result.interruptions) {
 *     await rejectCall(result.state, item, { approver: maria, reason: 'refunds over 200 need a manager' });
 *   }
 *   return run(agent, result.state); // the model sees the refusal as the tool output
 * });
 * ```
 */
export async function rejectCall(
  state: ApprovalState,
  item: RunToolApprovalItem,
  options: RejectCallOptions = {},
): Promise<WritError | undefined> {
  const parsed = validateOptions(rejectSchema, options, 'rejectCall');
  const call = callOf(item);
  const pending = call === undefined ? undefined : pendingOf(call, item);
  if (call === undefined || pending === undefined) {
    state.reject(item);
    return undefined;
  }
  const error = await pending.tool.reject(pending.args, {
    toolCallId: call.callId,
    ...(parsed.approver === undefined ? {} : { approver: parsed.approver }),
    ...(parsed.reason === undefined ? {} : { reason: parsed.reason }),
  });
  forgetPending(call.name, call.callId);
  state.reject(item, error === undefined ? undefined : { message: refusalMessage(error) });
  return error;
}

/**
 * A `toolErrorFormatter` for `run()` / `new Runner()` that records plain `state.reject(item)` calls.
 * The SDK answers a rejected call without calling the tool; this formatter is the one hook it calls
 * then (and only when the rejection carried no `message`). It records the rejection like
 * {@link rejectCall} (approver unknown) and returns Writ's refusal text for the model. Other errors go
 * to `next`, or the SDK's default text.
 *
 * @example
 * ```ts
 * import { run } from '@openai/agents';
 *
 * state.reject(item);
 * await run(agent, state, { toolErrorFormatter: writToolErrorFormatter() });
 * ```
 */
export function writToolErrorFormatter<TContext = unknown>(
  next?: ToolErrorFormatter<TContext>,
): ToolErrorFormatter<TContext> {
  if (next !== undefined && typeof next !== 'function') {
    throw new WritError('WRIT_OPTIONS_INVALID', 'writToolErrorFormatter: next must be a function');
  }
  return async (args) => {
    if (args.kind === 'approval_rejected' && args.toolType === 'function') {
      // namespaced tools are reported as `namespace.name`; Writ knows them by name
      const name = args.toolName.slice(args.toolName.lastIndexOf('.') + 1);
      const pending = peekPending(name, args.callId);
      if (pending !== undefined) {
        const error = await pending.tool.reject(pending.args, { toolCallId: args.callId });
        forgetPending(name, args.callId);
        if (error !== undefined) return refusalMessage(error);
      }
    }
    return next === undefined ? undefined : next(args);
  };
}
