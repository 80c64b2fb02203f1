import type { OutcomeEvent } from '../audit-event.js';
import { digest } from '../canonical-json.js';
import { compose } from '../compose.js';
import type { Config } from '../config.js';
import { activeContext, runInContext, type TaskState } from '../context.js';
import { toWritError, WritError } from '../errors.js';
import type { AuditReceipt } from '../interfaces.js';
import type { LedgerEntry } from '../stores/call-ledger.js';
import { ATTR } from '../telemetry.js';
import type { ToolDefinition } from '../tool-definition.js';
import { validate } from './1-validate.js';
import { authorize } from './2-authorize.js';
import { approve } from './3-approve.js';
import { issueCredential } from './4-credential.js';
import { execute } from './5-execute.js';
import { markError, startCallSpan } from './call-span.js';
import { takeChecked } from './checked-calls.js';
import { recordedResult } from './lazy-results.js';
import {
  appendEvent,
  appendQuietly,
  decisionEvent,
  outcomeEvent,
  redactedJson,
  replayEvent,
} from './records.js';
import { callKeyOf, claimCall, replay, settleWhenDone, suspended } from './replay.js';
import { type CallRun, type Invoke, newCallRun, type RunOptions } from './state.js';

/**
 * Runs one tool call through the pipeline inside the given task:
 * validate → authorize → approve → credential → decision record → execute → outcome record.
 * A call remembered by its tool call id is claimed first: a call that already ran (or was refused) is
 * replayed, never run twice. `preRefusal` refuses the call before any stage (and records it).
 */
export async function runCall(
  config: Config,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  options: RunOptions,
  invoke: Invoke,
  preRefusal?: WritError,
): Promise<unknown> {
  // suspend mode resumes a call by its tool call id: such calls are remembered in the call ledger
  if (
    options.ledger !== true &&
    options.toolCallId !== undefined &&
    (options.approvalMode ?? config.approvalMode) === 'suspend'
  ) {
    options = { ...options, ledger: true };
  }
  // what `check` worked out for these very arguments, if it checked this call: not worked out twice
  const checked =
    options.ledger === true && options.toolCallId !== undefined && preRefusal === undefined
      ? takeChecked(task, def, options.toolCallId, rawArgs)
      : undefined;
  const rawDigest = checked?.rawDigest ?? digest(rawArgs);
  const key = checked?.key ?? callKeyOf(task, def, rawDigest, options);
  let remembered: LedgerEntry | undefined;
  if (key !== undefined) {
    let claim: Awaited<ReturnType<typeof claimCall>>;
    try {
      claim = await claimCall(config, key, options.signal ?? task.signal ?? activeSignal);
    } catch (error) {
      if (WritError.isInstance(error, 'WRIT_ABORTED')) throw error;
      // the ledger failed or holds a row that fails its signature: the call is refused, and recorded
      return runCall(
        config,
        task,
        def,
        rawArgs,
        { ...options, ledger: false, approvalMode: 'block' },
        invoke,
        preRefusal ?? toWritError(error, 'WRIT_INTERNAL'),
      );
    }
    // the framework re-ran a call that already ran (or was refused): same answer, no second execution,
    // recorded in the task that asked
    if (claim.status === 'settled') {
      const { settled, decisionIndex } = claim.entry;
      await appendQuietly(
        config,
        replayEvent(config, task.attribution, { id: key.callId, name: def.name }, settled, decisionIndex),
      );
      return replay(settled);
    }
    remembered = claim.entry;
  }
  let run: CallRun;
  let result: Promise<unknown>;
  try {
    const { span, context, callId, owned } = startCallSpan(
      config,
      activeContext(),
      def,
      task.attribution,
      options,
    );
    run = newCallRun({ config, task, def, rawArgs, rawDigest, options, invoke, span, callId, key, checked });
    run.remembered = remembered;
    const started = run;
    result = runInContext(context, () => drive(started, preRefusal, owned));
  } catch (error) {
    if (key !== undefined) await config.calls.release(key);
    throw error;
  }
  return key === undefined ? result : settleWhenDone(run, key, result);
}

/** A signal that never aborts, for claims made without one. */
const activeSignal: AbortSignal = new AbortController().signal;

/** The stages in pipeline order; the decision record is written after the credential, before the tool. */
const stages = compose<CallRun, unknown>(
  [
    (run, next) => validate(run).then(next),
    (run, next) => authorize(run).then(next),
    (run, next) => approve(run).then(next),
    (run, next) => issueCredential(run).then(next),
    (run, next) => recordDecision(run).then(next),
  ],
  (run) => execute(run),
);

/** Runs the stages and records how the call ended; refusals are recorded and rethrown as `WritError`s. */
async function drive(run: CallRun, preRefusal: WritError | undefined, ownsSpan: boolean): Promise<unknown> {
  const { config, span } = run;
  const started = performance.now();
  try {
    if (preRefusal) throw preRefusal;
    const result = await stages(run);
    // success leaves the status unset (OpenTelemetry's Recording Errors; instrumentations do not set OK)
    if (config.telemetry.recordOutputs)
      span.setAttribute(ATTR.GEN_AI_TOOL_CALL_RESULT, redactedJson(config, recordedResult(result)));
    await recordOutcome(run, 'ok', started, undefined, result);
    return result;
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_APPROVAL_PENDING') && !run.executed) {
      // suspended for an approval: its approval-requested record is written; the call is decided (decision
      // and outcome records) when it runs again with the answer
      span.setAttribute(ATTR.WRIT_OUTCOME, 'approval_pending');
      throw error;
    }
    if (run.executed) {
      const code = WritError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
      if (suspended(run, error)) {
        // paused by the framework, not failed: the span ends unset, the outcome says so
        span.setAttribute(ATTR.WRIT_OUTCOME, 'suspended');
        await recordOutcome(run, 'suspended', started, code, undefined);
        throw error;
      }
      // a tool's own message often quotes its arguments: on the span only when opted in
      markError(span, code, config.telemetry.recordErrorMessages ? error : code);
      await recordOutcome(run, 'error', started, code, undefined);
      throw error;
    }
    const refusal = toWritError(error, 'WRIT_INTERNAL');
    markError(span, refusal.code, refusal);
    if (!run.decisionSettled) {
      run.decisionSettled = true;
      const receipt = await appendQuietly(config, decisionEvent(run, refusal));
      if (receipt !== undefined) {
        run.decisionReceipt = receipt;
        span.setAttribute(ATTR.WRIT_AUDIT_INDEX, receipt.index);
        handReceipt(run, receipt);
      }
    }
    await recordOutcome(run, 'refused', started, refusal.code, undefined);
    throw refusal;
  } finally {
    if (ownsSpan) span.end();
  }
}

/** The decision record: durable (per `durability`) before the tool may run. */
async function recordDecision(run: CallRun): Promise<void> {
  run.decisionSettled = true;
  const receipt = await appendEvent(run.config, decisionEvent(run, undefined), run.signal);
  run.decisionReceipt = receipt;
  run.span.setAttribute(ATTR.WRIT_AUDIT_INDEX, receipt.index);
  // the task's start record was appended before it, and written with it or before (writeWithNext): one
  // that failed stops the tool (the log may have reopened since, and taken this record without it)
  await run.task.startDurable?.();
  handReceipt(run, receipt);
}

/** Gives the decision record's receipt to whoever asked (`onReceipt`): a callee returns it to its caller. */
function handReceipt(run: CallRun, receipt: AuditReceipt): void {
  const onReceipt = run.options.onReceipt;
  if (onReceipt === undefined) return;
  try {
    onReceipt({ log: receipt.log, index: receipt.index, leafHash: receipt.leafHash });
  } catch (error) {
    run.config.report(toWritError(error, 'WRIT_INTERNAL', 'onReceipt threw'));
  }
}

function recordOutcome(
  run: CallRun,
  status: OutcomeEvent['outcome']['status'],
  started: number,
  errorCode: string | undefined,
  result: unknown,
): Promise<unknown> {
  const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  return appendQuietly(run.config, outcomeEvent(run, status, durationMs, errorCode, result));
}
