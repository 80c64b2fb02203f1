import { digest } from '../canonical-json.js';
import type { Config } from '../config.js';
import type { TaskState } from '../context.js';
import type { Decision } from '../decision.js';
import { toWritError, WritError } from '../errors.js';
import type { LedgerEntry } from '../stores/call-ledger.js';
import type { ToolDefinition } from '../tool-definition.js';
import { validate } from './1-validate.js';
import { authorize } from './2-authorize.js';
import { bindingHashOf, openApproval } from './3-approve.js';
import { NO_SPAN } from './call-span.js';
import { keepChecked } from './checked-calls.js';
import { callKeyOf, entryOf } from './replay.js';
import { runCall } from './run.js';
import { type Invoke, newCallRun, type RunOptions } from './state.js';

/** What `check` concluded about a call. */
export type CheckResult =
  | { readonly effect: 'allow'; readonly decision: Decision | undefined; readonly settled: boolean }
  | {
      readonly effect: 'approval_required';
      readonly decision: Decision;
      readonly bindingHash: string;
      readonly expiresAt: number;
      /** The task the approval belongs to: a resume answers it with `writ.task({ resume: taskId })`. */
      readonly taskId: string;
      /** Whether an earlier `check` of this call (in any process sharing the call ledger) asked it. */
      readonly askedBefore: boolean;
    }
  | { readonly effect: 'deny'; readonly error: WritError; readonly decision: Decision | undefined };

/**
 * Decides a call without running it (validate → authorize) and remembers the decision under its tool
 * call id, for frameworks that ask "may this run / does it need approval?" before executing. A refusal
 * is recorded at once (span, decision record, outcome) and replayed if the framework runs the call anyway;
 * an approval asked is opened in the pending-approvals store, for `run` (or `reject`) to take.
 */
export async function checkCall(
  config: Config,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  options: RunOptions & { readonly toolCallId: string },
  invoke: Invoke,
): Promise<CheckResult> {
  const opts: RunOptions = { ...options, ledger: true };
  const rawDigest = digest(rawArgs);
  const key = callKeyOf(task, def, rawDigest, opts);
  if (key === undefined) throw new WritError('WRIT_INTERNAL', 'check() needs a tool call id');
  let known: LedgerEntry | undefined;
  try {
    known = await config.calls.get(key);
  } catch (error) {
    // the ledger failed or holds a row that fails its signature: refused, and recorded
    const refusal = toWritError(error, 'WRIT_INTERNAL', `the call ledger "${config.calls.name}" failed`);
    const recorded = await runCall(
      config,
      task,
      def,
      rawArgs,
      { ...options, ledger: false },
      invoke,
      refusal,
    ).then(
      () => refusal,
      (e: unknown) => toWritError(e, 'WRIT_INTERNAL'),
    );
    return { effect: 'deny', error: recorded, decision: undefined };
  }
  if (known?.settled !== undefined) {
    if (known.settled.ok || known.executed === true)
      return { effect: 'allow', decision: known.decision, settled: true };
    return {
      effect: 'deny',
      error: toWritError(known.settled.error, 'WRIT_INTERNAL'),
      decision: known.decision,
    };
  }
  if (known?.decision !== undefined && known.failure === undefined)
    return pending(known, task.attribution.taskId, true);
  const run = newCallRun({
    config,
    task,
    def,
    rawArgs,
    rawDigest,
    options: opts,
    invoke,
    span: NO_SPAN,
    callId: options.toolCallId,
    key,
  });
  run.remembered = known;
  let snapshot: unknown;
  try {
    snapshot = await validate(run, true);
    await authorize(run);
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_ABORTED')) throw error;
    if (run.decision !== undefined) {
      await config.calls.remember(key, {
        ...entryOf(run, key),
        failure: toWritError(error, 'WRIT_INTERNAL'),
      });
    }
    // record the refusal the normal way (span, decision record, outcome); the run replays the failure
    try {
      await runCall(config, task, def, rawArgs, opts, invoke);
    } catch (refusal) {
      return { effect: 'deny', error: toWritError(refusal, 'WRIT_INTERNAL'), decision: run.decision };
    }
    return { effect: 'allow', decision: run.decision, settled: true };
  }
  const decision = run.decision as Decision;
  // the approval binding hash exists for approvals only: an allowed call's entry needs none
  const entry: LedgerEntry =
    decision.effect === 'approval_required'
      ? { ...entryOf(run, key), bindingHash: bindingHashOf(run, decision) }
      : entryOf(run, key);
  await config.calls.remember(key, entry);
  keepChecked(task, { def, attribution: task.attribution, snapshot, rawDigest, key, call: run.call });
  if (decision.effect === 'approval_required') {
    await openApproval(run, decision, {
      bindingHash: entry.bindingHash as string,
      expiresAt: entry.expiresAt,
      mode: 'framework',
    });
  }
  return pending(entry, task.attribution.taskId, false);
}

function pending(entry: LedgerEntry, taskId: string, askedBefore: boolean): CheckResult {
  const decision = entry.decision as Decision;
  if (decision.effect !== 'approval_required') return { effect: 'allow', decision, settled: false };
  return {
    effect: 'approval_required',
    decision,
    expiresAt: entry.expiresAt,
    bindingHash: entry.bindingHash as string,
    taskId,
    askedBefore,
  };
}

/** Whether `check` asked approval for this call and the approval is still pending. */
export async function awaitsApproval(
  config: Config,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  toolCallId: string,
): Promise<boolean> {
  const key = callKeyOf(task, def, digest(rawArgs), { ledger: true, toolCallId });
  if (key === undefined) return false;
  const entry = await config.calls.get(key);
  if (entry?.decision?.effect !== 'approval_required' || entry.settled !== undefined) return false;
  return (
    entry.bindingHash !== undefined && (await config.pendingApprovals.get(entry.bindingHash)) !== undefined
  );
}
