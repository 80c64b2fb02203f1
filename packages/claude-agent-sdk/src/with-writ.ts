import type {
  HookCallback,
  HookCallbackMatcher,
  HookEvent,
  HookJSONOutput,
  Options,
} from '@anthropic-ai/claude-agent-sdk';
import type { Context } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import { activeContext, refusalMessage } from '@writ/core/adapter';
import { governedCanUseTool } from './approval-flow.js';
import { type Call, Calls } from './calls.js';
import { isRecord, parseOptions, SUBAGENT_TOOLS, type WithWritOptions } from './options.js';
import { Subagents } from './subagents.js';

/** What the hooks and `canUseTool` know of the agent a call comes from. */
interface Origin {
  readonly sessionId?: string | undefined;
  readonly agentId?: string | undefined;
  readonly agentType?: string | undefined;
}

const ENDED = 'the Claude Code agent stopped before reporting the outcome of this tool call';

/**
 * Claude Agent SDK `query()` options whose every tool call passes through Writ: SDK MCP tools
 * (`createSdkMcpServer` + `tool()`) and built-ins (Bash, Write, Edit, WebFetch, Read, Task…), whatever the
 * CLI's own read-only classification. Returns a copy of `options` (never mutated) with:
 * - a `PreToolUse` hook, first of any you have, that decides each call (bound to the model's `tool_use`
 *   id, the task and the `session_id`). Allowed: the decision record is durable, the credential minted
 *   and the `execute_tool` span open before the hook lets the CLI run the tool. Otherwise the hook asks
 *   the CLI for permission, so `canUseTool` is called even for commands the CLI deems read-only;
 * - a `canUseTool` that hands the model Writ's refusal text for a denied call, and for a call policy
 *   says needs approval asks your own `canUseTool` (your permission prompt: the human's answer is
 *   recorded as the approval, bound to the call); without one, the Writ instance's `approvals` handler;
 * - `PostToolUse` / `PostToolUseFailure` hooks that record the outcome and close the span;
 * - `Task` sub-agents run as Writ delegations (`options.subagent` narrows their scope): their calls are
 *   decided under the sub-agent's chain.
 * Run `query()` inside `writ.task()`. A call is decided once and recorded once. In `bypassPermissions`
 * mode the CLI never calls `canUseTool`: the hook then refuses itself (the model reads
 * `PreToolUse:<Tool> hook error: Refused by Writ …`) and approvals go to the instance's handler.
 *
 * @example
 * ```ts
 * import { createSdkMcpServer, query, tool } from '@anthropic-ai/claude-agent-sdk';
 * import { withWrit } from '@writ/claude-agent-sdk';
 *
 * await writ.task({ requester: userToken, agent: 'coder', intent: 'Fix the failing test' }, async () => {
 *   const options = withWrit(
 *     { cwd: workspace, mcpServers: { shop }, canUseTool: askInTerminal },
 *     { tools: { Bash: { risk: 'high' } }, resource: (name, input) => (name === 'Bash' ? { type: 'Command', id: String(input.command) } : undefined) },
 *   );
 *   for await (const message of query({ prompt: 'Fix the failing test', options })) console.log(message.type);
 * });
 * ```
 */
export function withWrit<T extends Options>(
  options: T,
  writOptions?: WithWritOptions,
): T & Required<Pick<Options, 'hooks' | 'canUseTool'>> {
  const parsed = parseOptions(writOptions, 'withWrit');
  if (typeof options !== 'object' || options === null) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'withWrit: options must be the query() options object');
  }
  const ask = options.canUseTool;
  if (ask !== undefined && typeof ask !== 'function') {
    throw new WritError('WRIT_OPTIONS_INVALID', 'withWrit: options.canUseTool must be a function');
  }
  const calls = new Calls(parsed);
  const subagents = new Subagents();

  const executeFor = (call: Call) =>
    SUBAGENT_TOOLS.includes(call.toolName) ? subagents.execute(call, parsed) : undefined;

  const open = (toolUseId: string, toolName: string, input: unknown, origin: Origin): Call => {
    const ids: Record<string, string> = {};
    if (origin.sessionId !== undefined) ids.sessionId = origin.sessionId;
    if (origin.agentId !== undefined) ids.agentId = origin.agentId;
    if (origin.agentType !== undefined) ids.agentType = origin.agentType;
    // a sub-agent's call runs in the delegation its `Task` call opened; one no governed `Task` started
    // is decided in the task itself (still judged and recorded, with the CLI's agent id kept)
    let context: Context | undefined;
    if (origin.agentId !== undefined) context = subagents.contextOf(origin.agentId, origin.agentType);
    return calls.open(toolUseId, toolName, isRecord(input) ? input : {}, ids, context ?? activeContext());
  };

  const decide: HookCallback = async (input) => {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const call = open(input.tool_use_id, input.tool_name, input.tool_input, {
      sessionId: input.session_id,
      agentId: input.agent_id,
      agentType: input.agent_type,
    });
    const verdict = await calls.decide(call);
    const bypass = input.permission_mode === 'bypassPermissions';
    if (verdict.kind === 'denied') return permission(bypass ? 'deny' : 'ask', verdict.message);
    if (verdict.kind === 'ask' && !bypass) return permission('ask', verdict.message);
    const refused = await calls.start(call, executeFor(call));
    if (refused === undefined) return permission('allow', undefined);
    return permission(bypass ? 'deny' : 'ask', refused);
  };
  // A hook that fails lets the call go ahead by the CLI's default: a failure of Writ's refuses it.
  const preToolUse: HookCallback = (input, toolUseId, o) =>
    decide(input, toolUseId, o).catch((error: unknown) => permission('deny', refusalMessage(error)));

  const canUseTool = governedCanUseTool({ calls, open, executeFor, approver: parsed.approver }, ask);

  const postToolUse: HookCallback = async (input) => {
    if (input.hook_event_name === 'PostToolUse') {
      await calls.settle(input.tool_use_id, input.tool_name, input.tool_input, {
        ok: true,
        value: input.tool_response,
      });
    } else if (input.hook_event_name === 'PostToolUseFailure') {
      await calls.settle(input.tool_use_id, input.tool_name, input.tool_input, {
        ok: false,
        error: new Error(input.error),
      });
    }
    return {};
  };
  const stopped: HookCallback = async (input) => {
    if (input.hook_event_name === 'Stop') {
      await calls.settleAll(ENDED, (c) => c.frameworkIds.agentId === undefined);
    } else if (input.hook_event_name === 'SubagentStart') {
      subagents.started(input.agent_id, input.agent_type);
    } else if (input.hook_event_name === 'SubagentStop') {
      await calls.settleAll(ENDED, (c) => c.frameworkIds.agentId === input.agent_id);
      await subagents.stopped(input.agent_id);
    } else if (input.hook_event_name === 'SessionEnd') {
      await calls.settleAll(ENDED);
      await subagents.endAll();
    }
    return {};
  };

  const hooks: Partial<Record<HookEvent, HookCallbackMatcher[]>> = { ...options.hooks };
  const first = (event: HookEvent, callback: HookCallback) => {
    hooks[event] = [{ hooks: [callback], onFailure: 'block' }, ...(options.hooks?.[event] ?? [])];
  };
  first('PreToolUse', preToolUse);
  first('PostToolUse', postToolUse);
  first('PostToolUseFailure', postToolUse);
  for (const event of ['Stop', 'SubagentStart', 'SubagentStop', 'SessionEnd'] as const) first(event, stopped);
  return { ...options, hooks, canUseTool };
}

function permission(decision: 'allow' | 'deny' | 'ask', reason: string | undefined): HookJSONOutput {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: decision,
      ...(reason === undefined ? {} : { permissionDecisionReason: reason }),
    },
  };
}
