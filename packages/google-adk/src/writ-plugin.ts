import { BasePlugin, type BaseTool, type Context, ReadonlyContext } from '@google/adk';
import { createContextKey } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  type AdapterOptions,
  type AdapterToolHints,
  activeContext,
  adaptTool,
  answeredApproval,
  approvalRequestFields,
  checkToolHints,
  refusalMessage,
  runInContext,
} from '@writ/core/adapter';
import { approvalAnswerSchema, WRIT_APPROVAL_REQUEST, type WritApprovalRequest } from './approval-flow.js';
import { FRAMEWORK, parseOptions, type WritPluginOptions } from './options.js';

type ToolArgs = Record<string, unknown>;
type ToolResponse = Record<string, unknown>;
type InvocationContext = ReadonlyContext['invocationContext'];

/** The ADK call a Writ-approved execution runs: the tool's own `runAsync` for this call. */
interface PendingRun {
  readonly run: (args: unknown) => unknown;
  /** Set once Writ handed the call to the tool: later errors are the tool's, not refusals. */
  executed: boolean;
}

const CALL_KEY = createContextKey('writ.google-adk.call');

/**
 * Tools ADK adds itself, with the facts they start from (your `defaults` and per-tool hints win):
 * `transfer_to_agent` hands the conversation to a sub-agent of the same runner, whose calls are governed
 * in turn; it acts on nothing itself.
 */
const FRAMEWORK_TOOLS: Readonly<Record<string, AdapterToolHints>> = Object.freeze({
  transfer_to_agent: Object.freeze({
    risk: 'low' as const,
    annotations: Object.freeze({ readOnly: true, destructive: false, openWorld: false }),
  }),
});

/** What the model reads while a call waits for a human (ADK's own convention for plugins). */
const WAITING = 'This tool call needs a human approval (Writ); it was not run yet.';

/**
 * The plugin: every tool call of every agent of the runner (sub-agents included) goes
 * through the Writ pipeline. ADK calls `beforeToolCallback` before each tool; the plugin decides there
 * and, when allowed, runs the tool itself inside the pipeline and returns its result, so ADK does not
 * run it again.
 */
class WritPlugin extends BasePlugin {
  readonly #options: AdapterOptions;
  /** Each tool object ADK hands over and the Writ side of it. */
  readonly #adapted = new WeakMap<BaseTool, AdaptedTool>();
  /** Tools whose confirmation gate also knows Writ's pending approvals. */
  readonly #gated = new WeakSet<BaseTool>();

  constructor(options: AdapterOptions) {
    super('writ');
    this.#options = options;
  }

  override async beforeRunCallback({
    invocationContext,
  }: {
    invocationContext: InvocationContext;
  }): Promise<undefined> {
    const tools = await toolsOf(invocationContext);
    // a resumed confirmation is checked against the tools' gates before any tool callback runs
    for (const tool of tools) this.#gate(tool);
    // a hint naming no tool of this run's agents (a typo) would leave the real tool on default facts
    const hints = this.#options.tools;
    if (hints !== undefined) {
      const names = [...tools.map((t) => t.name), ...Object.keys(FRAMEWORK_TOOLS)];
      checkToolHints(hints, names, `writPlugin: agent "${invocationContext.agent?.name ?? '?'}"`);
    }
    return undefined;
  }

  override async beforeToolCallback({
    tool,
    toolArgs,
    toolContext,
  }: {
    tool: BaseTool;
    toolArgs: ToolArgs;
    toolContext: Context;
  }): Promise<ToolResponse | undefined> {
    const adapted = this.#adaptedOf(tool);
    this.#gate(tool);
    const callId = toolContext.functionCallId;
    const base: AdaptedRunOptions = {
      frameworkIds: {
        invocationId: toolContext.invocationId,
        sessionId: toolContext.sessionId,
        agentName: toolContext.agentName,
      },
      ...(toolContext.abortSignal === undefined ? {} : { signal: toolContext.abortSignal }),
    };
    // no call id: nothing to pause on or resume; approvals go to the instance's approval handler
    if (callId === undefined) return this.#run(adapted, tool, toolArgs, toolContext, base);
    const options = { ...base, toolCallId: callId };
    let check: Awaited<ReturnType<AdaptedTool['check']>>;
    try {
      check = await adapted.check(toolArgs, options);
    } catch (error) {
      if (!WritError.isInstance(error)) throw error;
      return { error: refusalMessage(error) }; // no task, identity or audit down…: recorded by check
    }
    if (check.effect === 'deny') return { error: check.message };
    const confirmation = toolContext.toolConfirmation;
    if (check.effect === 'approval_required') {
      // an answer is used only for an approval this task asked before (not one asked just now)
      if (confirmation === undefined || !check.askedBefore) {
        const request: WritApprovalRequest = {
          type: WRIT_APPROVAL_REQUEST,
          toolCallId: callId,
          ...approvalRequestFields(adapted, toolArgs, check),
        };
        toolContext.requestConfirmation({ hint: check.message, payload: request });
        return { partial: WAITING };
      }
      const parsed = approvalAnswerSchema.safeParse(confirmation.payload ?? {});
      const answer = parsed.success
        ? { approved: confirmation.confirmed === true, ...parsed.data }
        : { approved: false, reason: 'the answer to the approval request was malformed' };
      const approval = answeredApproval(answer);
      if (approval.approved) {
        return this.#run(adapted, tool, toolArgs, toolContext, { ...options, approval });
      }
      const refusal = await adapted.reject(toolArgs, {
        ...options,
        ...(approval.approver === undefined ? {} : { approver: approval.approver }),
        ...(approval.reason === undefined ? {} : { reason: approval.reason }),
      });
      return {
        error: refusalMessage(
          refusal ?? new WritError('WRIT_APPROVAL_REJECTED', `${adapted.name} was not approved`),
        ),
      };
    }
    // allowed by Writ; a tool with its own confirmation gate (`requireConfirmation`) asks first: ADK
    // runs the gate, which asks and returns without running the tool, and the answer comes back here
    if (
      confirmation === undefined &&
      !check.settled &&
      (await tool.checkRequireConfirmation(toolArgs, toolContext))
    ) {
      return undefined;
    }
    return this.#run(adapted, tool, toolArgs, toolContext, options);
  }

  /**
   * ADK resumes a confirmed call only if the tool's confirmation gate (`checkRequireConfirmation`) says
   * the call needed one. The gate of each tool the plugin governs also answers yes for a call whose
   * Writ approval is pending in the active task (asked by this plugin, not answered, not expired); an
   * answer brought to any other task finds no pending approval and ADK refuses it
   * (`IntentMismatchError: confirmation_not_required`).
   */
  #gate(tool: BaseTool): void {
    if (this.#gated.has(tool)) return;
    this.#gated.add(tool);
    const own = tool.checkRequireConfirmation.bind(tool);
    const gate: BaseTool['checkRequireConfirmation'] = async (args, context) => {
      const toolCallId = context?.functionCallId;
      if (toolCallId !== undefined) {
        const pending = await this.#adaptedOf(tool)
          .awaitsApproval(args, { toolCallId })
          .catch(() => false);
        if (pending) return true;
      }
      return own(args, context);
    };
    Object.defineProperty(tool, 'checkRequireConfirmation', {
      value: gate,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }

  #adaptedOf(tool: BaseTool): AdaptedTool {
    let adapted = this.#adapted.get(tool);
    if (adapted === undefined) {
      const input = (tool as { parameters?: unknown }).parameters;
      const base = Object.hasOwn(FRAMEWORK_TOOLS, tool.name) ? FRAMEWORK_TOOLS[tool.name] : undefined;
      const options =
        base === undefined
          ? this.#options
          : { ...this.#options, defaults: { ...base, ...this.#options.defaults } };
      adapted = adaptTool(
        FRAMEWORK,
        { name: tool.name, description: tool.description, input },
        (args) => {
          const call = activeContext().getValue(CALL_KEY) as PendingRun | undefined;
          if (call === undefined) {
            throw new WritError('WRIT_INTERNAL', `${tool.name} was run outside its ADK tool call`);
          }
          call.executed = true;
          return call.run(args);
        },
        options,
      );
      this.#adapted.set(tool, adapted);
    }
    return adapted;
  }

  /** Runs the call through Writ; refusals and the tool's errors become the response ADK would give. */
  async #run(
    adapted: AdaptedTool,
    tool: BaseTool,
    toolArgs: ToolArgs,
    toolContext: Context,
    options: AdaptedRunOptions,
  ): Promise<ToolResponse> {
    const call: PendingRun = {
      executed: false,
      run: (args) => tool.runAsync({ args: args as ToolArgs, toolContext }),
    };
    try {
      const result = await runInContext(activeContext().setValue(CALL_KEY, call), () =>
        adapted.run(toolArgs, options),
      );
      // ADK's own shapes for a tool's result (a response is always an object)
      if (result === undefined || result === null) return { result: null };
      if (Array.isArray(result)) return { results: result };
      return typeof result === 'object' ? (result as ToolResponse) : { result };
    } catch (error) {
      if (!call.executed && WritError.isInstance(error)) return { error: refusalMessage(error) };
      if (!(error instanceof Error)) throw error;
      // as ADK does for a tool that throws: plugins' onToolErrorCallback, else the error's message
      const handled = await toolContext.invocationContext.pluginManager.runOnToolErrorCallback({
        tool,
        toolArgs,
        toolContext,
        error,
      });
      return handled ?? { error: error.message };
    }
  }
}

/**
 * The tools of a run's agent tree: its agents' and sub-agents' tools, toolsets resolved. Not the tools of
 * an `AgentTool`'s agent: ADK runs that agent in a runner of its own, without this runner's plugins.
 */
async function toolsOf(invocationContext: InvocationContext): Promise<BaseTool[]> {
  const found = new Set<BaseTool>();
  const seen = new Set<object>();
  const context = new ReadonlyContext(invocationContext);
  const visit = async (agent: unknown): Promise<void> => {
    if (typeof agent !== 'object' || agent === null || seen.has(agent)) return;
    seen.add(agent);
    const node = agent as { canonicalTools?: unknown; subAgents?: unknown };
    if (typeof node.canonicalTools === 'function') {
      const tools = (await node.canonicalTools(context)) as BaseTool[];
      for (const tool of tools) found.add(tool);
    }
    if (Array.isArray(node.subAgents)) for (const sub of node.subAgents) await visit(sub);
  };
  await visit(invocationContext.agent);
  return [...found];
}

/**
 * An ADK plugin that puts the Writ pipeline in front of every tool call of the runner's agents (the
 * root agent and its sub-agents; function, toolset and MCP tools): each call is decided by policy,
 * approved when policy asks (through ADK's own tool confirmation, `adk_request_confirmation`),
 * credentialed, recorded before it runs and traced (`execute_tool` spans under ADK's own agent spans).
 * A refused call does not stop the run: the model gets Writ's refusal text as the tool's `{ error }`
 * response. List it first in `plugins`: a plugin before it that answers a call stops ADK from asking
 * Writ. The plugin runs allowed tools itself, inside the pipeline, so agents' own
 * `beforeToolCallback`s do not run for them (`afterToolCallback`s do). An `AgentTool` call is governed
 * as one call; ADK runs the agent behind it in a runner of its own, without this runner's plugins.
 *
 * @example
 * ```ts
 * import { InMemoryRunner, LlmAgent } from '@google/adk';
 * import { writPlugin } from '@writ/google-adk';
 *
 * const runner = new InMemoryRunner({
 *   agent: new LlmAgent({ name: 'support_bot', model: 'gemini-2.5-flash', tools: [lookupOrder, refundOrder] }),
 *   plugins: [writPlugin({ writ, tools: { refund_order: { permission: 'orders:refund', risk: 'high' } } })],
 * });
 * await writ.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, async () => {
 *   for await (const event of runner.runAsync({ userId, sessionId, newMessage })) console.log(event);
 * });
 * ```
 */
export function writPlugin(options?: WritPluginOptions): BasePlugin {
  return new WritPlugin(parseOptions(options));
}
