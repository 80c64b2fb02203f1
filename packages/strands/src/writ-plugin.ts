import { type Context, createContextKey, type Span, trace } from '@opentelemetry/api';
import {
  Agent,
  BeforeInvocationEvent,
  BeforeToolCallEvent,
  type LocalAgent,
  type Plugin,
  TextBlock,
  Tool,
  type ToolContext,
  ToolResultBlock,
  type ToolStreamEvent,
  type ToolStreamGenerator,
} from '@strands-agents/sdk';
import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  type AdapterOptions,
  activeContext,
  adaptTool,
  answeredApproval,
  approvalAnswerLikeSchema,
  approvalRequestFields,
  checkToolHints,
  refusalMessage,
  runInContext,
} from '@writ/core/adapter';
import { WRIT_APPROVAL_REQUEST, type WritApprovalRequest } from './approval-flow.js';
import { FRAMEWORK, parseOptions, type WritPluginOptions } from './options.js';

/** The Strands call a Writ-approved execution runs: the tool's own `stream` for this call. */
interface PendingRun {
  readonly run: (args: unknown) => Promise<unknown>;
  /** Set once Writ handed the call to the tool: later errors are the tool's, not refusals. */
  executed: boolean;
}

const CALL_KEY = createContextKey('writ.strands.call');

/**
 * The context Strands' hooks should have run in: its current agent loop cycle span
 * (`execute_agent_loop_cycle`). Strands runs `BeforeToolCallEvent` hooks outside its spans' context, so
 * a call refused or asked about there would otherwise get a span outside the agent's trace. Strands keeps
 * the cycle span on its (internal) tracer; when that is not there, the caller's context is used.
 */
function hookContext(agent: LocalAgent): Context {
  const loop = (agent as { _tracer?: { _loopSpan?: Span } })._tracer?._loopSpan;
  const active = activeContext();
  return loop === undefined || typeof loop.spanContext !== 'function' ? active : trace.setSpan(active, loop);
}

/** A tool result Strands hands the model as an error: Writ's refusal text, verbatim. */
const errorResult = (toolUseId: string, text: string) =>
  new ToolResultBlock({ toolUseId, status: 'error', content: [new TextBlock(text)] });

/** A tool's own error result, carried through the pipeline so the outcome records the failure. */
class ToolFailed extends Error {
  constructor(readonly block: ToolResultBlock) {
    super(block.error?.message ?? 'the tool returned an error result');
    this.name = 'ToolFailed';
  }
}

/**
 * The plugin: every tool call of the agent goes through the Writ pipeline. Strands fires
 * `BeforeToolCallEvent` before each tool; the plugin decides there and, when allowed, hands Strands a
 * stand-in tool (`selectedTool`) that runs the real one inside the pipeline.
 */
class WritPlugin implements Plugin {
  readonly name = 'writ';
  readonly #options: AdapterOptions;
  /** Each tool object Strands hands over and the Writ side of it. */
  readonly #adapted = new WeakMap<Tool, AdaptedTool>();

  constructor(options: AdapterOptions) {
    this.#options = options;
  }

  initAgent(agent: LocalAgent): void {
    // Strands keys hooks by event class: an agent of another copy of the SDK would never call these
    if (!(agent instanceof Agent)) {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        'writPlugin: the agent is not an Agent of the @strands-agents/sdk that @writ/strands loads (two copies installed?): its tool calls would not reach Writ',
      );
    }
    agent.addHook(BeforeInvocationEvent, (event) => {
      // a hint naming no tool of the agent (a typo) would leave the real tool on default facts
      const hints = this.#options.tools;
      if (hints === undefined) return;
      const names = event.agent.toolRegistry.list().map((t) => t.name);
      checkToolHints(hints, names, `writPlugin: agent "${event.agent.id}"`);
    });
    agent.addHook(BeforeToolCallEvent, (event) => this.#beforeToolCall(event));
  }

  async #beforeToolCall(event: BeforeToolCallEvent): Promise<void> {
    const tool = event.selectedTool ?? event.tool;
    if (tool === undefined) return; // Strands answers "not found in registry"; nothing runs
    const adapted = this.#adaptedOf(tool);
    const { toolUseId, input } = event.toolUse;
    const options: AdaptedRunOptions & { toolCallId: string } = {
      toolCallId: toolUseId,
      frameworkIds: { agentId: event.agent.id, sessionId: event.agent.sessionId },
      signal: event.agent.cancelSignal,
    };
    const context = hookContext(event.agent);
    let check: Awaited<ReturnType<AdaptedTool['check']>>;
    try {
      check = await runInContext(context, () => adapted.check(input, options));
    } catch (error) {
      if (!WritError.isInstance(error)) throw error;
      event.cancel = refusalMessage(error); // no task, identity or audit down…: recorded by check
      return;
    }
    if (check.effect === 'deny') {
      event.cancel = check.message;
      return;
    }
    if (check.effect === 'approval_required') {
      const request: WritApprovalRequest = {
        type: WRIT_APPROVAL_REQUEST,
        toolCallId: toolUseId,
        ...approvalRequestFields(adapted, input, check),
      };
      // the interrupt's id names the binding (task, call, arguments): an answer given to another task's
      // interrupt is never returned here, and this one is asked afresh
      const name = `${WRIT_APPROVAL_REQUEST}:${check.bindingHash}`;
      // an answer is used only for an approval this task asked before (not one asked just now)
      const response: unknown = event.interrupt({ name, reason: JSON.parse(JSON.stringify(request)) });
      const parsed = approvalAnswerLikeSchema.safeParse(response);
      const approval = answeredApproval(
        !check.askedBefore
          ? { approved: false, reason: 'no approval of this call was pending in this task' }
          : parsed.success
            ? parsed.data
            : { approved: false, reason: 'the answer to the approval request was malformed' },
      );
      if (approval.approved) {
        event.selectedTool = this.#standIn(adapted, tool, { ...options, approval });
        return;
      }
      const refusal = await runInContext(context, () =>
        adapted.reject(input, {
          ...options,
          ...(approval.approver === undefined ? {} : { approver: approval.approver }),
          ...(approval.reason === undefined ? {} : { reason: approval.reason }),
        }),
      );
      event.cancel = refusalMessage(
        refusal ?? new WritError('WRIT_APPROVAL_REJECTED', `${adapted.name} was not approved`),
      );
      return;
    }
    event.selectedTool = this.#standIn(adapted, tool, options);
  }

  #adaptedOf(tool: Tool): AdaptedTool {
    let adapted = this.#adapted.get(tool);
    if (adapted === undefined) {
      adapted = adaptTool(
        FRAMEWORK,
        { name: tool.name, description: tool.description, input: tool.toolSpec.inputSchema },
        (args: unknown) => {
          const call = activeContext().getValue(CALL_KEY) as PendingRun | undefined;
          if (call === undefined) {
            throw new WritError('WRIT_INTERNAL', `${tool.name} was run outside its Strands tool call`);
          }
          call.executed = true;
          return call.run(args);
        },
        this.#options,
      );
      this.#adapted.set(tool, adapted);
    }
    return adapted;
  }

  /**
   * The tool Strands runs for an allowed call: the real tool, run inside the Writ pipeline (credential,
   * record, span). Its stream events are handed on after it finished; its error results stay its own.
   */
  #standIn(adapted: AdaptedTool, tool: Tool, options: AdaptedRunOptions): Tool {
    return new (class extends Tool {
      name = tool.name;
      description = tool.description;
      toolSpec = tool.toolSpec;
      async *stream(context: ToolContext): ToolStreamGenerator {
        const events: ToolStreamEvent[] = [];
        let block: ToolResultBlock | undefined;
        const call: PendingRun = {
          executed: false,
          run: async (args) => {
            const generator = tool.stream({
              ...context,
              toolUse: { ...context.toolUse, input: args as never },
            });
            let next = await generator.next();
            while (!next.done) {
              events.push(next.value);
              next = await generator.next();
            }
            block = next.value;
            if (block.status === 'error') throw new ToolFailed(block);
            return block.content;
          },
        };
        const toolUseId = context.toolUse.toolUseId;
        try {
          await runInContext(activeContext().setValue(CALL_KEY, call), () =>
            adapted.run(context.toolUse.input, options),
          );
        } catch (error) {
          if (!call.executed && WritError.isInstance(error))
            return errorResult(toolUseId, refusalMessage(error));
          if (error instanceof ToolFailed) block = error.block;
          else if (block === undefined) throw error; // Strands turns the tool's throw into an error result
        }
        yield* events;
        return block ?? errorResult(toolUseId, `${tool.name} did not return a result`);
      }
    })();
  }
}

/**
 * A Strands plugin that puts the Writ pipeline in front of every tool call of the agent (function, Zod,
 * MCP and agent-as-tool tools): each call is decided by policy, approved when policy asks (through a
 * Strands interrupt: the invocation stops with `stopReason: 'interrupt'` and resumes with an
 * `InterruptResponseContent`, see {@link approvalResponse}), credentialed, recorded before it runs and
 * traced (`execute_tool` spans under Strands' own tool spans). A refused call does not stop the run: the
 * model gets Writ's refusal text as the tool's error result (`event.cancel`). List it last among
 * plugins that replace tools (`selectedTool`): Writ governs the tool it finds and runs it itself.
 *
 * @example
 * ```ts
 * import { Agent } from '@strands-agents/sdk';
 * import { writPlugin } from '@writ/strands';
 *
 * const agent = new Agent({
 *   model,
 *   tools: [lookupOrder, refundOrder],
 *   plugins: [writPlugin({ writ, tools: { refund_order: { permission: 'orders:refund', risk: 'high' } } })],
 * });
 * await writ.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, () =>
 *   agent.invoke('The item in order 42 arrived damaged.'),
 * );
 * ```
 */
export function writPlugin(options?: WritPluginOptions): Plugin {
  return new WritPlugin(parseOptions(options));
}
