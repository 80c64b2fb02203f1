import type { RunContext, Tool } from '@openai/agents';
import { createContextKey } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  type AdapterToolHints,
  activeContext,
  adaptTool,
  type CallCheck,
  refusalMessage,
  runInContext,
} from '@writ/core/adapter';
import { sha256Hex } from '@writ/core/plugin';
import { sdkTraceIds } from './framework-ids.js';
import { FRAMEWORK, type ParsedOptions } from './options.js';
import { forgetPending, peekPending, rememberPending } from './pending-approvals.js';

/** A function tool of the Agents SDK, whatever its parameters and result. @internal */
export type SdkFunctionTool<TContext> = Extract<Tool<TContext>, { type: 'function' }>;

type Details<T extends { invoke: (...args: never[]) => unknown }> = Parameters<T['invoke']>[2];

/** The SDK call a Writ-approved execution runs: the original `invoke` with the SDK's own arguments. */
interface PendingInvoke {
  readonly run: () => unknown;
  /** Set once Writ handed the call to the tool: later errors are the tool's, not refusals. */
  executed: boolean;
}

const CALL_KEY = createContextKey('writ.openai-agents.call');
/** Each governed tool and the Writ side of it (what an approval item's agent lists, found again here). */
const governedTools = new WeakMap<object, AdaptedTool>();

/**
 * The Writ side of a governed function tool (`undefined` for any other tool): how an approval answered
 * in a process that did not ask it (the run resumed from a saved `RunState`) finds the tool to record it.
 * @internal
 */
export function adaptedToolOf(tool: unknown): AdaptedTool | undefined {
  return typeof tool === 'object' && tool !== null ? governedTools.get(tool) : undefined;
}

/** `agent.asTool()` tools: function tools with the agent tool's event API. */
function isAgentTool(tool: object): boolean {
  return typeof (tool as { on?: unknown }).on === 'function';
}

/**
 * The SDK hands `needsApproval` the arguments parsed from the model's JSON and `invoke` the JSON text;
 * both are read the same way here so Writ judges and runs the very same arguments (and an approval item's
 * `arguments` too, when a resumed run is answered in another process).
 * @internal
 */
export function readArguments(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

/**
 * An SDK function tool whose calls pass through the Writ pipeline (a copy; agent tools in place):
 * - `needsApproval` asks Writ (`check`): `approval_required` interrupts the run with the SDK's own
 *   approval item; a deny is recorded at once and answered `false`, so `invoke` runs and hands the model
 *   the refusal; otherwise the tool's own `needsApproval` decides.
 * - `invoke` runs the call through Writ (`run`), passing the SDK's approval when the run was resumed
 *   after `state.approve(item)`; a refusal becomes the tool output the model sees.
 * @internal
 */
export function governFunctionTool<TContext, T extends SdkFunctionTool<TContext>>(
  tool: T,
  options: ParsedOptions,
  baseHints?: AdapterToolHints,
): T {
  if (governedTools.has(tool)) return tool;
  const adapterOptions =
    baseHints === undefined
      ? options.adapter
      : { ...options.adapter, defaults: { ...baseHints, ...options.adapter.defaults } };
  const adapted = adaptTool(
    FRAMEWORK,
    { name: tool.name, description: tool.description },
    () => {
      const call = activeContext().getValue(CALL_KEY) as PendingInvoke | undefined;
      if (call === undefined) {
        throw new WritError('WRIT_INTERNAL', `${tool.name} was run outside its OpenAI Agents tool call`);
      }
      call.executed = true;
      return call.run();
    },
    adapterOptions,
  );
  // the tool's own implementation, kept before an agent tool is governed in place (below)
  const originalInvoke = tool.invoke;
  const originalNeedsApproval = tool.needsApproval;

  const needsApproval = async (runContext: RunContext<TContext>, input: unknown, callId?: string) => {
    const ask = () => originalNeedsApproval(runContext, input as never, callId);
    if (callId === undefined) return ask();
    const args = readArguments(input);
    let check: CallCheck;
    try {
      check = await adapted.check(args, { toolCallId: callId, frameworkIds: sdkTraceIds() });
    } catch {
      // No decision was possible here (no task, identity or audit down…): `invoke` runs the whole
      // pipeline again, which refuses with the reason, recorded, as the tool output.
      return false;
    }
    if (check.effect === 'approval_required') {
      rememberPending(tool.name, callId, { tool: adapted, args });
      return true;
    }
    if (check.effect === 'deny') return false;
    return ask();
  };

  const invoke = async (runContext: RunContext<TContext>, input: string, details?: Details<T>) => {
    const callId = details?.toolCall?.callId;
    const call: PendingInvoke = { executed: false, run: () => originalInvoke(runContext, input, details) };
    const runOptions: { -readonly [K in keyof AdaptedRunOptions]: AdaptedRunOptions[K] } = {
      frameworkIds: sdkTraceIds(),
    };
    if (details?.signal !== undefined) runOptions.signal = details.signal;
    const resumeState = details?.resumeState;
    if (callId !== undefined && callId.length > 0 && typeof resumeState === 'string' && resumeState !== '') {
      // An agent tool (`agent.asTool()`) resuming its sub-agent's interrupted run under the same tool
      // call id: a new step of the call, decided and recorded on its own (one per resume state, so a
      // retried resume is still replayed), with the SDK's call id kept beside Writ's.
      runOptions.toolCallId = `${callId}#resume-${sha256Hex(resumeState).slice(7, 23)}`;
      runOptions.frameworkIds = { ...runOptions.frameworkIds, callId };
    } else if (callId !== undefined && callId.length > 0) {
      runOptions.toolCallId = callId;
      // the SDK only runs a call it asked approval for once the human approved it (state.approve)
      if (runContext.isToolApproved({ toolName: tool.name, callId }) === true) {
        const approver = peekPending(tool.name, callId)?.approver;
        runOptions.approval = approver === undefined ? { approved: true } : { approved: true, approver };
      }
    }
    try {
      return await runInContext(activeContext().setValue(CALL_KEY, call), () =>
        adapted.run(readArguments(input), runOptions),
      );
    } catch (error) {
      if (call.executed || !WritError.isInstance(error)) throw error;
      if (error.code === 'WRIT_ABORTED' && details?.signal?.aborted === true) throw details.signal.reason;
      return refusalOutput(tool, runContext, error, details);
    } finally {
      if (callId !== undefined) forgetPending(tool.name, callId);
    }
  };

  // Agent tools (`agent.asTool()`) are known to the SDK by object identity: it finds a sub-agent's
  // interrupted run again through the tool object. They are governed in place; other tools as copies.
  const copy = isAgentTool(tool)
    ? tool
    : (Object.create(
        Object.getPrototypeOf(tool) as object | null,
        Object.getOwnPropertyDescriptors(tool),
      ) as T);
  for (const [key, value] of [
    ['invoke', invoke],
    ['needsApproval', needsApproval],
  ] as const) {
    Object.defineProperty(copy, key, { value, writable: true, enumerable: true, configurable: true });
  }
  governedTools.set(copy, adapted);
  return copy;
}

/**
 * What the model sees when Writ refused the call: the refusal text, or, for a tool with an output
 * schema and an `errorFunction`, that function's schema-compatible answer to the refusal (the SDK's own
 * contract for model-visible pre-execution rejections).
 */
async function refusalOutput<TContext, T extends SdkFunctionTool<TContext>>(
  tool: T,
  runContext: RunContext<TContext>,
  error: WritError,
  details: Details<T>,
): Promise<unknown> {
  const fallback = tool.errorFunction;
  if (tool.outputSchema !== undefined && typeof fallback === 'function') {
    return fallback(runContext, error, details);
  }
  return refusalMessage(error);
}
