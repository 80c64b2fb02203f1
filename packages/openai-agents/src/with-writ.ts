import type { Agent, AgentOutputType, Tool } from '@openai/agents';
import { WritError } from '@writ/core';
import { checkToolHints } from '@writ/core/adapter';
import { governFunctionTool, type SdkFunctionTool } from './govern-tool.js';
import { type ParsedOptions, parseOptions, type WithWritOptions, type WritToolsOptions } from './options.js';

/** Agents produced by {@link withWrit}. */
const governedAgents = new WeakSet<object>();

/** Hints every MCP-server tool starts from (user defaults and per-tool hints win). */
const MCP_TOOL_HINTS = Object.freeze({ type: 'extension' as const });

function ungovernedTools<TContext>(tools: readonly Tool<TContext>[]): string[] {
  return tools.filter((t) => t.type !== 'function').map((t) => `${t.name} (${t.type})`);
}

function refuseUngoverned(found: readonly string[], options: ParsedOptions, where: string, what: string) {
  if (found.length === 0 || options.ungoverned === 'keep') return;
  throw new WritError(
    'WRIT_OPTIONS_INVALID',
    `${where}: ${what}: ${found.join(', ')}. Writ cannot check or record them; pass { ungoverned: 'keep' } to keep them anyway`,
    { details: { ungoverned: [...found] } },
  );
}

/**
 * Puts the Writ pipeline in front of every function tool in `tools` (`tool()`, `agent.asTool()`, MCP
 * tools converted with `mcpToFunctionTool`): each call is decided by policy, approved when policy asks
 * (through the SDK's own `needsApproval` interruption), credentialed, recorded and traced. A refused call
 * does not stop the run: the model gets the refusal as the tool's output. The tools are copies (the
 * originals are not changed), except agent tools (`agent.asTool()`), which the SDK tracks by identity
 * and which are therefore governed in place.
 *
 * @example
 * ```ts
 * import { Agent } from '@openai/agents';
 *
 * const agent = new Agent({
 *   name: 'support-bot',
 *   tools: writTools([lookupOrder, refundOrder], {
 *     tools: {
 *       lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *       refund_order: { permission: 'orders:refund', risk: 'high' },
 *     },
 *   }),
 * });
 * ```
 */
export function writTools<TContext>(
  tools: readonly Tool<TContext>[],
  options?: WritToolsOptions,
): Tool<TContext>[] {
  const parsed = parseOptions(options, 'writTools');
  if (!Array.isArray(tools)) throw new WritError('WRIT_OPTIONS_INVALID', 'writTools: tools must be an array');
  refuseUngoverned(ungovernedTools(tools), parsed, 'writTools', 'these tools do not run through invoke');
  // a hint for a tool that is not in the list (a typo) would leave the real tool on default facts
  checkToolHints(parsed.adapter.tools, namesOf(tools), 'writTools');
  return wrapAll(tools, parsed);
}

function namesOf(tools: readonly unknown[]): string[] {
  return tools.flatMap((t) => {
    const name = (t as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

function wrapAll<TContext>(tools: readonly Tool<TContext>[], options: ParsedOptions): Tool<TContext>[] {
  return tools.map((t) => (t.type === 'function' ? governFunctionTool<TContext, typeof t>(t, options) : t));
}

/** What the handoff walk reads of an agent (an `Agent` of any context and output type fits). */
interface HandoffNode {
  readonly name: string;
  readonly tools: readonly unknown[];
  readonly mcpServers: readonly unknown[];
  readonly handoffs: readonly (
    | HandoffNode
    | { readonly agent: HandoffNode; readonly onInvokeHandoff: unknown }
  )[];
}

/** The agents a handoff can lead to that hold tools and were not governed with {@link withWrit}. */
function ungovernedHandoffs(agent: HandoffNode): string[] {
  const found: string[] = [];
  const seen = new Set<object>([agent]);
  const visit = (from: HandoffNode) => {
    for (const handoff of from.handoffs) {
      const target = 'onInvokeHandoff' in handoff ? handoff.agent : handoff;
      if (seen.has(target) || governedAgents.has(target)) continue;
      seen.add(target);
      if (target.tools.length > 0 || target.mcpServers.length > 0) found.push(target.name);
      visit(target);
    }
  };
  visit(agent);
  return found;
}

/**
 * A copy of `agent` whose tools pass through the Writ pipeline: its function tools (as
 * {@link writTools}) and the tools of its MCP servers, wrapped each time the SDK lists them
 * (`agent.getMcpTools`), so policy, approvals, records and spans cover MCP calls too. Give the copy to
 * `run()` and to `RunState.fromString()`. Handoff targets are separate agents: wrap each of them too.
 *
 * @example
 * ```ts
 * import { Agent, run } from '@openai/agents';
 *
 * const agent = withWrit(new Agent({ name: 'support-bot', tools: [lookupOrder, refundOrder], mcpServers: [orders] }), {
 *   tools: { refund_order: { permission: 'orders:refund', risk: 'high' } },
 * });
 * await writ.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, async () => {
 *   const result = await run(agent, 'Refund order 42');
 *   // result.interruptions: the refund waits for a human (see approveCall / rejectCall)
 * });
 * ```
 */
export function withWrit<TContext, TOutput extends AgentOutputType>(
  agent: Agent<TContext, TOutput>,
  options?: WithWritOptions,
): Agent<TContext, TOutput> {
  const parsed = parseOptions(options, 'withWrit');
  if (typeof agent !== 'object' || agent === null || typeof agent.clone !== 'function') {
    throw new WritError('WRIT_OPTIONS_INVALID', 'withWrit: agent must be an Agent of @openai/agents');
  }
  if (governedAgents.has(agent)) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `withWrit: agent "${agent.name}" is already governed; wrap the original agent once`,
    );
  }
  const where = `withWrit: agent "${agent.name}"`;
  refuseUngoverned(ungovernedTools(agent.tools), parsed, where, 'these tools do not run through invoke');
  refuseUngoverned(
    ungovernedHandoffs(agent),
    parsed,
    where,
    'these handoff agents hold tools and are not governed (wrap them with withWrit first)',
  );
  const hints = parsed.adapter.tools;
  // Hints name the agent's own tools and its MCP servers' tools. Without MCP servers every name is
  // known now; with them, the servers' tools are known when the SDK lists them, on each turn of a run:
  // a hint naming no tool (a typo) then refuses that run before the model is asked.
  if (agent.mcpServers.length === 0) checkToolHints(hints, namesOf(agent.tools), where);
  const governed = agent.clone({ tools: wrapAll(agent.tools, parsed) });
  const listMcpTools = governed.getMcpTools.bind(governed);
  const wrapped = new WeakMap<object, Tool<TContext>>();
  const getMcpTools: typeof governed.getMcpTools = async (runContext, tracingParent) => {
    const tools = await listMcpTools(runContext, tracingParent);
    checkToolHints(hints, [...namesOf(agent.tools), ...namesOf(tools)], where);
    return tools.map((t) => {
      if (t.type !== 'function') return t;
      let copy = wrapped.get(t);
      if (copy === undefined) {
        copy = governFunctionTool<TContext, SdkFunctionTool<TContext>>(t, parsed, MCP_TOOL_HINTS);
        wrapped.set(t, copy);
      }
      return copy;
    });
  };
  Object.defineProperty(governed, 'getMcpTools', {
    value: getMcpTools,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  governedAgents.add(governed);
  return governed;
}
