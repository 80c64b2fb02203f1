import { type Attribution, currentActor } from '../attribution.js';
import { canonicalJson, digest, sha256Hex } from '../canonical-json.js';
import type { Config } from '../config.js';
import type { TaskState } from '../context.js';
import { toWritError, WritError } from '../errors.js';
import type { CallClaim, CallKey, LedgerEntry, SettledCall } from '../stores/call-ledger.js';
import type { ToolDefinition } from '../tool-definition.js';
import { abortError } from './deadline.js';
import { recordedResult } from './lazy-results.js';
import type { CallRun, RunOptions } from './state.js';

// The call ledger's side of a run: which call an entry is bound to, claiming a call so it runs once,
// replaying how it ended, and settling it when it ends.

/**
 * The ledger key of a call remembered by its tool call id (`undefined` when it is not remembered). A
 * framework's tool call id is a hint, not an identity: providers, proxies and client-held histories
 * reuse ids. An entry applies only to the same task, requester, acting agent, tool and arguments.
 */
export function callKeyOf(
  task: TaskState,
  def: ToolDefinition,
  rawDigest: string,
  options: RunOptions,
): CallKey | undefined {
  if (options.ledger !== true || options.toolCallId === undefined) return undefined;
  const [before, after] = bindingParts(task.attribution, def.name);
  // the canonical JSON of { agent, argsDigest, requester, taskId, tool }, its fixed parts written once
  const binding = sha256Hex(`${before}${canonicalJson(rawDigest)}${after}`);
  return Object.freeze({ callId: options.toolCallId, binding });
}

/** The canonical JSON of a binding around its `argsDigest`, per (frozen) attribution and tool. */
const partsOf = new WeakMap<Attribution, Map<string, readonly [string, string]>>();

/**
 * The canonical JSON of `{ agent, argsDigest, requester, taskId, tool }` before and after the value of
 * `argsDigest` (its keys in canonical order, each member as `canonicalJson` writes it). Kept per
 * attribution when what it reads is frozen (a task's attribution is), else written afresh.
 */
export function bindingParts(attribution: Attribution, tool: string): readonly [string, string] {
  const actor = currentActor(attribution);
  const requester = attribution.requester;
  const frozen =
    Object.isFrozen(attribution) &&
    Object.isFrozen(attribution.chain) &&
    Object.isFrozen(actor) &&
    (requester === undefined || Object.isFrozen(requester));
  let perTool = frozen ? partsOf.get(attribution) : undefined;
  const known = perTool?.get(tool);
  if (known !== undefined) return known;
  const parts = [
    `{"agent":${canonicalJson(actor.id)},"argsDigest":`,
    `,"requester":${canonicalJson(requesterOf(attribution))},"taskId":${canonicalJson(attribution.taskId)},"tool":${canonicalJson(tool)}}`,
  ] as const;
  if (frozen) {
    if (perTool === undefined) {
      perTool = new Map();
      partsOf.set(attribution, perTool);
    }
    perTool.set(tool, parts);
  }
  return parts;
}

/** Who a task is for, as bindings name them: the verified id and its issuer (`null` when autonomous). */
export function requesterOf(attribution: Attribution): { id: string; issuer: string | null } | null {
  const requester = attribution.requester;
  return requester === undefined ? null : { id: requester.id, issuer: requester.issuer ?? null };
}

/** Claims a call for this run; a caller that gives up while another claimant runs it gets `WRIT_ABORTED`. */
export async function claimCall(config: Config, key: CallKey, signal: AbortSignal): Promise<CallClaim> {
  try {
    return await config.calls.claim(key, { signal });
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    throw toWritError(error, 'WRIT_INTERNAL', `the call ledger "${config.calls.name}" failed`);
  }
}

/** How a settled call ended, again: its value, or the same error. */
export function replay(settled: SettledCall): Promise<unknown> {
  return settled.ok ? Promise.resolve(settled.value) : Promise.reject(settled.error);
}

/** Whether a tool's error is the framework pausing it (see `RunOptions.isSuspension`). */
export function suspended(run: CallRun, error: unknown): boolean {
  if (!run.executed || run.options.isSuspension === undefined) return false;
  try {
    return run.options.isSuspension(error) === true;
  } catch {
    return false;
  }
}

/**
 * Settles a claimed call when its run ends: the result or error is what a re-run gets back. An abort, or
 * the framework pausing the tool, is not the call's result: the claim is released and it runs again.
 */
export function settleWhenDone(run: CallRun, key: CallKey, result: Promise<unknown>): Promise<unknown> {
  const { config } = run;
  const end = async (settled: SettledCall | undefined) => {
    try {
      if (settled === undefined) await config.calls.release(key);
      else
        await config.calls.settle(key, {
          ...entryOf(run, key),
          settled,
          executed: run.executed,
          ...(settled.ok ? { resultDigest: run.resultDigest ?? resultDigestOf(settled.value) } : {}),
          decisionIndex: run.decisionReceipt?.index,
        });
    } catch (error) {
      config.report(
        toWritError(
          error,
          'WRIT_INTERNAL',
          `the call ledger "${config.calls.name}" could not settle ${key.callId}`,
        ),
      );
    }
  };
  return result.then(
    async (value) => {
      await end({ ok: true, value });
      return value;
    },
    async (error: unknown) => {
      const notTheResult =
        WritError.isInstance(error, 'WRIT_ABORTED') ||
        WritError.isInstance(error, 'WRIT_APPROVAL_PENDING') ||
        suspended(run, error);
      await end(notTheResult ? undefined : { ok: false, error });
      throw error;
    },
  );
}

/** The digest of a result as its outcome record has it (`undefined` when it has no JSON form). */
function resultDigestOf(value: unknown): string | undefined {
  try {
    return digest(recordedResult(value));
  } catch {
    return undefined;
  }
}

/** The ledger entry of a run (its decision so far), kept for `timeouts.approvalMs`. */
export function entryOf(run: CallRun, key: CallKey): LedgerEntry {
  return {
    binding: key.binding,
    request: run.request,
    decision: run.decision,
    failure: undefined,
    expiresAt: run.config.clock() + run.config.timeouts.approvalMs,
  };
}
