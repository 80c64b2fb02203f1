import type { Principal, Resource } from '@writ/core';
import {
  type AdapterOptions,
  type AdapterToolHints,
  approverSchema,
  checkToolHints,
  parseAdapterOptions,
} from '@writ/core/adapter';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * The framework name the adapter records as `call.framework.name` in decision records (beside
 * `call.framework.ids`: the Claude Code `sessionId`, and `agentId` / `agentType` for a sub-agent's calls).
 *
 * @example
 * ```ts
 * const fromClaude = records.filter((r) => r.kind === 'decision' && r.call.framework?.name === FRAMEWORK);
 * ```
 */
export const FRAMEWORK = 'claude-agent-sdk';

/**
 * The built-in tools that start a Claude Code sub-agent (`Task`, named `Agent` by recent CLIs): their
 * calls open a Writ delegation, and the sub-agent's own tool calls are decided inside it.
 *
 * @example
 * ```ts
 * SUBAGENT_TOOLS.includes('Task'); // true
 * ```
 */
export const SUBAGENT_TOOLS: readonly string[] = Object.freeze(['Task', 'Agent']);

/**
 * Claude Code's built-in tool names (the SDK's `BUILTIN_TOOL_NAMES`, plus `Task` and `MultiEdit`),
 * against which keys of `tools` that are not MCP tools (`mcp__<server>__<tool>`) are checked.
 */
const BUILTIN_TOOLS = [
  ...[
    'Agent',
    'AskUserQuestion',
    'Bash',
    'BashOutput',
    'Edit',
    'EnterPlanMode',
    'ExitPlanMode',
    'Glob',
    'Grep',
  ],
  ...[
    'KillShell',
    'ListMcpResourcesTool',
    'LSP',
    'Monitor',
    'MultiEdit',
    'NotebookEdit',
    'PowerShell',
    'Read',
  ],
  ...[
    'ReadMcpResourceTool',
    'Skill',
    'SlashCommand',
    'Task',
    'TaskCreate',
    'TaskGet',
    'TaskList',
    'TaskStop',
  ],
  ...['TaskUpdate', 'TodoWrite', 'ToolSearch', 'WebFetch', 'WebSearch', 'Write'],
];

/**
 * What a `Task` sub-agent is delegated: its agent name, narrowed scope and intent (see `DelegateOptions`
 * of `@writ/core`). The scope must be covered by the delegating task's scope (`WRIT_SCOPE_EXCEEDED`
 * otherwise, and the `Task` call is refused).
 *
 * @example
 * ```ts
 * const researcher: SubagentDelegation = { agent: 'researcher', scope: ['Read', 'Grep', 'Glob'] };
 * ```
 */
export interface SubagentDelegation {
  /** @default the sub-agent type (`subagent_type`, else `general-purpose`) */
  agent?: string | undefined;
  /** @default the delegating task's scope */
  scope?: readonly string[] | undefined;
  /** @default the `Task` call's `description` */
  intent?: string | undefined;
}

/**
 * Options of {@link withWrit}: the adapter kit's {@link AdapterOptions} (instance, per-tool hints keyed
 * by the names Claude Code gives tools — `Bash`, `Write`, `mcp__shop__refund_order` —, defaults) plus
 * the resource of built-in calls, who answers approvals, and what sub-agents are delegated.
 *
 * @example
 * ```ts
 * const options: WithWritOptions = {
 *   writ,
 *   tools: { Bash: { risk: 'high' }, mcp__shop__refund_order: { risk: 'high', audience: 'https://payments' } },
 *   resource: (toolName, input) =>
 *     toolName === 'Bash' ? { type: 'Command', id: String(input.command) } : undefined,
 *   approver: { kind: 'human', id: 'maria@example.com', assurance: 'asserted' },
 *   subagent: (agentType) => ({ scope: ['Read', 'Grep'] }),
 * };
 * ```
 */
export interface WithWritOptions extends AdapterOptions {
  /**
   * The resource a call acts on, from the tool name and the input Claude Code gives it (a file path, a
   * command, a URL host). A tool's own `tools[name].resource` wins; `undefined` falls back to
   * `{ type: 'Tool', id: toolName }`. `codingAgentResource({ workspace })` of `@writ/coding-policy`
   * returns such a function.
   */
  resource?: ((toolName: string, input: Record<string, unknown>) => Resource | undefined) | undefined;
  /**
   * Who answers the approvals Writ asks through your `canUseTool` (the human at your permission
   * prompt), recorded in the approval record. @default the task's requester (for an approval), unknown
   * (for a rejection)
   */
  approver?: Principal | undefined;
  /** What each `Task` sub-agent is delegated. @default `{ agent: subagent_type, intent: description }` */
  subagent?:
    | ((agentType: string, input: Record<string, unknown>) => SubagentDelegation | undefined)
    | undefined;
}

/** Validated options. @internal */
export interface ParsedOptions {
  readonly adapter: AdapterOptions;
  readonly hints: (toolName: string) => AdapterToolHints;
  readonly approver: Principal | undefined;
  readonly subagent: WithWritOptions['subagent'];
}

const ownSchema = z.strictObject({
  resource: functionSchema<NonNullable<WithWritOptions['resource']>>().optional(),
  approver: approverSchema.optional(),
  subagent: functionSchema<NonNullable<WithWritOptions['subagent']>>().optional(),
});

/** Validates options once, up front; `WRIT_OPTIONS_INVALID` names the bad key. @internal */
export function parseOptions(options: WithWritOptions | undefined, fn: string): ParsedOptions {
  const { writ, tools, defaults, ...rest } = parseAdapterOptions(options, fn);
  const own = validateOptions(ownSchema, rest, fn);
  if (tools !== undefined) {
    const builtins = Object.fromEntries(Object.entries(tools).filter(([name]) => !name.startsWith('mcp__')));
    checkToolHints(builtins, BUILTIN_TOOLS, fn);
  }
  const adapter: AdapterOptions = Object.freeze({ writ, tools, defaults });
  const resource = own.resource;
  const hints = (toolName: string): AdapterToolHints => {
    const given: AdapterToolHints = { ...defaults, ...tools?.[toolName] };
    if (given.resource !== undefined || resource === undefined) return given;
    return {
      ...given,
      resource: (args: unknown) =>
        resource(toolName, isRecord(args) ? args : {}) ?? { type: 'Tool', id: toolName },
    };
  };
  return Object.freeze({ adapter, hints, approver: own.approver, subagent: own.subagent });
}

/** Whether `value` is a plain object (a tool input). @internal */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
