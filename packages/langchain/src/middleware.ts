import { getConfig } from '@langchain/langgraph';
import { checkToolHints } from '@writ/core/adapter';
import { type AgentMiddleware, createMiddleware } from 'langchain';
import { createGovernor } from './govern.js';
import { langGraphIds } from './langgraph-ids.js';
import { resolveOptions, type WritMiddlewareOptions } from './options.js';
import { describeTool, type LangChainTool } from './tool.js';

/**
 * A `createAgent` middleware that runs every tool call of the agent through Writ (its `wrapToolCall`
 * hook): input validation, policy decision, approval, credential, decision record, then the tool, then
 * the outcome record, in an `execute_tool {name}` span.
 *
 * - Allowed: the tool runs as it would without Writ.
 * - Refused (policy deny, invalid input, rejected approval…): the tool does not run; the model gets an
 *   error `ToolMessage` whose content is the refusal (`Refused by Writ (WRIT_POLICY_DENIED): …`) and
 *   the run goes on.
 * - Approval required: the run pauses with LangGraph's `interrupt()` (so the agent needs a
 *   checkpointer) carrying a {@link WritApprovalRequest}; continue the thread with
 *   `new Command({ resume: { approved: true } })` (see {@link WritApprovalAnswer}). Set
 *   `approvals: 'writ'` to ask Writ's approval handler instead.
 *
 * The decision is remembered by tool call id, so the node re-running on resume neither decides, nor
 * records, nor executes anything twice. The LangGraph thread, run, checkpoint and task ids go into the
 * decision record (`call.framework.ids`). Run the agent inside `writ.task()` so calls are attributed to
 * the person it works for.
 *
 * @example
 * ```ts
 * import { createAgent } from 'langchain';
 * import { MemorySaver } from '@langchain/langgraph';
 * import { writMiddleware } from '@writ/langchain';
 *
 * const tools = [lookupOrder, refundOrder];
 * const agent = createAgent({
 *   model,
 *   tools,
 *   checkpointer: new MemorySaver(),
 *   middleware: [
 *     writMiddleware<typeof tools>({
 *       writ,
 *       tools: {
 *         lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *         refund_order: { permission: 'orders:refund', risk: 'high', resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
 *       },
 *     }),
 *   ],
 * });
 * await writ.task({ requester: userToken, agent: 'support-bot', scope: ['orders:*'] }, () =>
 *   agent.invoke({ messages: [{ role: 'user', content: 'Refund order 42' }] }, { configurable: { thread_id } }),
 * );
 * ```
 */
export function writMiddleware<Tools extends readonly LangChainTool[] = readonly LangChainTool[]>(
  options?: WritMiddlewareOptions<Tools>,
): AgentMiddleware {
  const resolved = resolveOptions(options, 'writMiddleware');
  const governor = createGovernor(resolved);
  const hints = resolved.tools;
  return createMiddleware({
    name: 'WritMiddleware',
    // the agent's tools are known only now: a hint naming none of the tools the model is offered (a
    // typo) would leave the real tool on default facts, so the run is refused before the model is asked
    ...(hints === undefined
      ? {}
      : {
          wrapModelCall: (request, handler) => {
            checkToolHints(hints, toolNames(request.tools), 'writMiddleware');
            return handler(request);
          },
        }),
    wrapToolCall: (request, handler) => {
      const { toolCall } = request;
      const config = getConfig();
      return governor.govern({
        tool: describeTool(toolCall.name, request.tool),
        toolCallId: toolCall.id,
        args: toolCall.args,
        signal: request.runtime.signal ?? config?.signal,
        frameworkIds: langGraphIds(config),
        invoke: async () => handler(request),
        throwWithoutId: false,
      });
    },
  });
}

/** Names of the tools the model is offered (client tools, and provider tools given as `{ name }`). */
function toolNames(tools: readonly unknown[]): string[] {
  return tools.flatMap((tool) => {
    const name = (tool as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? [name] : [];
  });
}
