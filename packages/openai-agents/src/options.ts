import { type AdapterOptions, parseAdapterOptions } from '@writ/core/adapter';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * The framework name the adapter records as `call.framework.name` in decision records (beside
 * `call.framework.ids`: the SDK's `traceId`, `spanId` and `groupId`).
 *
 * @example
 * ```ts
 * const fromAgents = records.filter((r) => r.kind === 'decision' && r.call.framework?.name === FRAMEWORK);
 * ```
 */
export const FRAMEWORK = 'openai-agents';

/**
 * Defaults of the adapter's own options.
 *
 * @example
 * ```ts
 * OPENAI_AGENTS_DEFAULTS.ungoverned; // 'refuse'
 * ```
 */
export const OPENAI_AGENTS_DEFAULTS = Object.freeze({
  /** Tools Writ cannot wrap make `writTools` / `withWrit` throw. */
  ungoverned: 'refuse' as const,
});

/**
 * Options of {@link writTools}: the adapter kit's {@link AdapterOptions} (instance, per-tool hints,
 * defaults) plus what to do with tools Writ cannot put its pipeline in front of. Every key of `tools`
 * must name one of the tools (`WRIT_OPTIONS_INVALID`, with the closest name, otherwise). The Agents
 * SDK's tool types keep no literal names or argument types, so the keys are plain strings and a
 * hint's `resource` gets `unknown` arguments: parse them (e.g. with the tool's own zod schema).
 *
 * @example
 * ```ts
 * const options: WritToolsOptions = {
 *   writ,
 *   tools: {
 *     lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *     refund_order: { permission: 'orders:refund', risk: 'high' },
 *   },
 * };
 * ```
 */
export interface WritToolsOptions extends AdapterOptions {
  /**
   * Tools that never pass through `FunctionTool.invoke` in your process cannot be governed: hosted tools
   * (web search, file search, code interpreter, hosted MCP) run at OpenAI; computer, shell and
   * apply_patch tools run through their own executors. `'refuse'` throws `WRIT_OPTIONS_INVALID` naming
   * them; `'keep'` leaves them in place, unrecorded and unchecked by policy.
   * @default 'refuse'
   */
  ungoverned?: 'refuse' | 'keep' | undefined;
}

/**
 * Options of {@link withWrit}: the same as {@link WritToolsOptions}; `ungoverned` also covers handoff
 * targets that hold tools but were not wrapped with `withWrit` themselves. Keys of `tools` name the
 * agent's own tools or its MCP servers' tools: checked when wrapping an agent without MCP servers, else
 * each time the SDK lists the servers' tools (a run whose hints name no tool is refused with
 * `WRIT_OPTIONS_INVALID` before the model is asked).
 *
 * @example
 * ```ts
 * const agent = withWrit(supportAgent, { tools: { refund_order: { risk: 'high' } } });
 * ```
 */
export interface WithWritOptions extends WritToolsOptions {}

/** Validated options. @internal */
export interface ParsedOptions {
  readonly adapter: AdapterOptions;
  readonly ungoverned: 'refuse' | 'keep';
}

const ownSchema = z.strictObject({ ungoverned: z.enum(['refuse', 'keep']).optional() });

/** Validates options once, up front; `WRIT_OPTIONS_INVALID` names the bad key. @internal */
export function parseOptions(options: WritToolsOptions | undefined, fn: string): ParsedOptions {
  const { writ, tools, defaults, ...rest } = parseAdapterOptions(options, fn);
  const own = validateOptions(ownSchema, rest, fn);
  return Object.freeze({
    adapter: Object.freeze({ writ, tools, defaults }),
    ungoverned: own.ungoverned ?? OPENAI_AGENTS_DEFAULTS.ungoverned,
  });
}
