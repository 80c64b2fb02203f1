import { type Callbacks, parseCallbackConfigArg } from '@langchain/core/callbacks/manager';
import type { RunnableConfig, RunnableToolLike } from '@langchain/core/runnables';
import { type DynamicTool, type StructuredToolInterface, Tool } from '@langchain/core/tools';
import { getConfig } from '@langchain/langgraph';
import { WritError } from '@writ/core';
import { adaptTool, checkToolHints, type FrameworkTool } from '@writ/core/adapter';
import { createGovernor, type Governor } from './govern.js';
import { langGraphIds } from './langgraph-ids.js';
import { FRAMEWORK, resolveOptions, type WritToolOptions } from './options.js';

/**
 * The tools {@link writTool} wraps: whatever LangGraph's `ToolNode` and `createAgent` run.
 *
 * @example
 * ```ts
 * import { tool } from '@langchain/core/tools';
 *
 * const tools: LangChainTool[] = [tool(lookup, { name: 'lookup_order', schema })];
 * const governed = writTools(tools, { writ });
 * ```
 */
export type LangChainTool = StructuredToolInterface | DynamicTool | RunnableToolLike;

/**
 * Wraps one LangChain tool so that every call runs through Writ, for graphs that run tools with
 * LangGraph's `ToolNode` (or anywhere else a tool is invoked). The result is the same tool (a proxy:
 * name, schema, description, `instanceof` and types unchanged) whose `invoke` (and deprecated `call`)
 * go through the pipeline first.
 *
 * When invoked with a tool call (as `ToolNode` does), a refusal comes back as an error `ToolMessage`
 * with the refusal as content, and an approval pauses the graph with `interrupt()`, exactly as with
 * {@link writMiddleware}; calls already decided or run are replayed when the node runs again after a
 * resume. Invoked with plain arguments (no tool call id), a refusal rejects with the `WritError` and
 * approvals go to Writ's approval handler.
 *
 * @example
 * ```ts
 * import { MemorySaver, MessagesAnnotation, StateGraph } from '@langchain/langgraph';
 * import { ToolNode } from '@langchain/langgraph/prebuilt';
 *
 * const refund = writTool(refundOrder, { writ, tools: { refund_order: { permission: 'orders:refund', risk: 'high' } } });
 * // hints for any other tool name: a type error, and WRIT_OPTIONS_INVALID ("did you mean") when wrapping
 * const graph = new StateGraph(MessagesAnnotation)
 *   .addNode('agent', callModel)
 *   .addNode('tools', new ToolNode([refund]))
 *   // …
 *   .compile({ checkpointer: new MemorySaver() });
 * ```
 */
export function writTool<T extends LangChainTool>(tool: T, options?: WritToolOptions<[NoInfer<T>]>): T {
  const resolved = resolveOptions(options, 'writTool');
  const governed = governTool(tool, createGovernor(resolved), 'writTool');
  checkToolHints(resolved.tools, [tool.name], 'writTool');
  return governed;
}

/**
 * {@link writTool} for a list of tools sharing one set of options (the usual case: pass it what you
 * give `ToolNode` and the model's `bindTools`).
 *
 * @example
 * ```ts
 * import { ToolNode } from '@langchain/langgraph/prebuilt';
 *
 * const tools = writTools([lookupOrder, refundOrder, deleteCustomer], {
 *   writ,
 *   tools: {
 *     lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *     refund_order: { permission: 'orders:refund', risk: 'high' },
 *     delete_customer: { permission: 'customers:delete' },
 *   },
 * });
 * const toolNode = new ToolNode(tools);
 * const model = chatModel.bindTools(tools);
 * ```
 */
export function writTools<T extends readonly LangChainTool[]>(
  tools: T,
  options?: WritToolOptions<NoInfer<T>>,
): T {
  const resolved = resolveOptions(options, 'writTools');
  if (!Array.isArray(tools)) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'writTools: expected an array of LangChain tools');
  }
  const governor = createGovernor(resolved);
  const governed = tools.map((tool) => governTool(tool, governor, 'writTools'));
  // a hint for a tool that is not in the list (a typo) would leave the real tool on default facts
  checkToolHints(
    resolved.tools,
    tools.map((tool) => tool.name),
    'writTools',
  );
  return governed as unknown as T;
}

/** A tool's name, description and schema as the adapter kit wants them. @internal */
export function describeTool(name: string, tool: unknown): FrameworkTool {
  const t = (typeof tool === 'object' && tool !== null ? tool : {}) as {
    description?: unknown;
    schema?: unknown;
  };
  return {
    name,
    ...(typeof t.description === 'string' && t.description.length > 0
      ? { description: t.description.slice(0, MAX_DESCRIPTION) }
      : {}),
    ...(t.schema === undefined ? {} : { input: t.schema }),
  };
}

/** Longest tool description Writ records (longer ones are cut, not refused). */
const MAX_DESCRIPTION = 4096;

interface ToolCallInput {
  readonly type: 'tool_call';
  readonly id?: string | undefined;
  readonly name: string;
  readonly args: unknown;
}

const isToolCall = (input: unknown): input is ToolCallInput =>
  typeof input === 'object' && input !== null && (input as { type?: unknown }).type === 'tool_call';

/** The tool call id LangChain passes in the config when the input is not a tool call itself. */
function configToolCallId(config: unknown): string | undefined {
  const c = config as { toolCall?: { id?: unknown }; toolCallId?: unknown } | undefined;
  const id = c?.toolCall?.id ?? c?.toolCallId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

type Invoke = (input: unknown, config?: RunnableConfig) => Promise<unknown>;

function governTool<T extends LangChainTool>(tool: T, governor: Governor, fn: string): T {
  if (
    typeof tool !== 'object' ||
    tool === null ||
    typeof tool.name !== 'string' ||
    typeof (tool as { invoke?: unknown }).invoke !== 'function'
  ) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${fn}: expected a LangChain tool (with a name and invoke())`,
    );
  }
  const original = tool.invoke as Invoke;
  const description = describeTool(tool.name, tool);
  adaptTool(FRAMEWORK, description, () => undefined, governor.options); // name and facts checked now
  // string-input tools (DynamicTool) take a bare string as `{ input }`, as LangChain's Tool.call does
  const stringInput = tool instanceof Tool;
  const governed: Invoke = (input, config) => {
    const call = isToolCall(input) ? input : undefined;
    const args =
      call !== undefined
        ? call.args
        : stringInput && (typeof input === 'string' || input == null)
          ? { input }
          : input;
    const toolCallId =
      (typeof call?.id === 'string' && call.id.length > 0 ? call.id : undefined) ?? configToolCallId(config);
    const runConfig = config ?? getConfig();
    return governor.govern({
      tool: description,
      toolCallId,
      args,
      signal: runConfig?.signal,
      frameworkIds: langGraphIds(runConfig),
      invoke: () => Reflect.apply(original, tool, [input, config]) as Promise<unknown>,
      throwWithoutId: true,
    });
  };
  const call = (arg: unknown, configArg?: Callbacks | RunnableConfig, tags?: string[]) =>
    governed(arg, { ...parseCallbackConfigArg(configArg), ...(tags === undefined ? {} : { tags }) });
  return new Proxy(tool, {
    get(target, property, receiver) {
      if (property === 'invoke') return governed;
      if (property === 'call') return call;
      return Reflect.get(target, property, receiver);
    },
  });
}
