import {
  type AdapterOptions,
  adaptTool,
  parseAdapterOptions,
  type SchemaArgs,
  type ToolArgsMap,
} from '@writ/core/adapter';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import type { LangChainTool } from './tool.js';

/** The adapter's name, recorded as `call.framework.name` in decision records. @internal */
export const FRAMEWORK = 'langchain';

/**
 * How a call that Writ's policy sends for human approval is asked.
 * - `'interrupt'`: pause the graph with LangGraph's `interrupt()` (needs a checkpointer) and continue
 *   with `new Command({ resume: { approved: true } })`.
 * - `'writ'`: ask the approval handler of the Writ instance (`createWrit({ approvals })`) while the
 *   call waits, as `writ.tool()` does.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 * import { createCallbackApprovals } from '@writ/policy';
 *
 * const writ = createWrit({ approvals: createCallbackApprovals(askOnSlack) });
 * const middleware = writMiddleware({ writ, approvals: 'writ' satisfies ApprovalMode });
 * ```
 */
export type ApprovalMode = 'interrupt' | 'writ';

/**
 * The arguments of each of `Tools`, by tool name (a tool made with `tool(fn, { name: 'refund_order',
 * schema })` keeps its name's literal type; the arguments are the output of its schema). When a tool's
 * name is only known as `string`, any name is accepted, with `unknown` arguments.
 *
 * @example
 * ```ts
 * type Args = LangChainToolArgs<[typeof lookupOrder, typeof refundOrder]>;
 * // { lookup_order: { orderId: string }; refund_order: { orderId: string; amount: number } }
 * ```
 */
export type LangChainToolArgs<Tools extends readonly LangChainTool[]> = string extends Tools[number]['name']
  ? ToolArgsMap
  : {
      readonly [Name in Tools[number]['name']]: SchemaArgs<
        Extract<Tools[number], { readonly name: Name }>['schema']
      >;
    };

/**
 * Options of {@link writTool} and {@link writTools}: the {@link AdapterOptions} every Writ adapter takes
 * (instance, per-tool facts, defaults), plus how approvals are asked. `Tools` are the tools being
 * wrapped: each key of `tools` must be one of their names (a type error otherwise, and
 * `WRIT_OPTIONS_INVALID` at run time) and each hint's `resource` gets that tool's typed arguments.
 *
 * @example
 * ```ts
 * const options: WritToolOptions<[typeof lookupOrder, typeof refundOrder]> = {
 *   writ,
 *   tools: {
 *     lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *     refund_order: { permission: 'orders:refund', risk: 'high', resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
 *   },
 * };
 * const tools = writTools([lookupOrder, refundOrder], options);
 * ```
 */
export interface WritToolOptions<Tools extends readonly LangChainTool[] = readonly LangChainTool[]>
  extends AdapterOptions<LangChainToolArgs<Tools>> {
  /**
   * How calls that need human approval are asked (see {@link ApprovalMode}).
   * @default 'interrupt'
   */
  approvals?: ApprovalMode | undefined;
}

/**
 * Options of {@link writMiddleware}: the same as {@link WritToolOptions}. The middleware is made before
 * the agent's tools are known: pass them as the type argument (`writMiddleware<typeof tools>`) to type
 * the keys of `tools` and each hint's arguments; without it any name is accepted, with `unknown`
 * arguments. At run time the keys are checked against the tools the model is offered at each model call
 * (`WRIT_OPTIONS_INVALID` for a name that matches none).
 *
 * @example
 * ```ts
 * import { createAgent } from 'langchain';
 *
 * const tools = [lookupOrder, refundOrder];
 * const options: WritMiddlewareOptions<typeof tools> = { writ, tools: { refund_order: { risk: 'high' } } };
 * const agent = createAgent({ model, tools, middleware: [writMiddleware(options)], checkpointer });
 * ```
 */
export type WritMiddlewareOptions<Tools extends readonly LangChainTool[] = readonly LangChainTool[]> =
  WritToolOptions<Tools>;

/** Defaults of the options the LangChain adapter adds to {@link AdapterOptions}. */
const LANGCHAIN_DEFAULTS = Object.freeze({
  /** @default 'interrupt' */
  approvals: 'interrupt' as ApprovalMode,
});

/** Options after validation, defaults filled in. @internal */
export interface ResolvedOptions extends AdapterOptions {
  readonly approvals: ApprovalMode;
}

const optionsSchema = z.strictObject({
  writ: z.unknown().optional(),
  tools: z.unknown().optional(),
  defaults: z.unknown().optional(),
  approvals: z.enum(['interrupt', 'writ']).optional(),
});

/**
 * Validates the options once, when the middleware or wrapper is created (`WRIT_OPTIONS_INVALID`
 * names the bad key), including the per-tool facts. Never mutates the caller's object.
 * @internal
 */
export function resolveOptions(options: WritToolOptions | undefined, fn: string): ResolvedOptions {
  const adapter = parseAdapterOptions<WritToolOptions>(options, fn);
  validateOptions(optionsSchema, options, fn);
  const resolved: ResolvedOptions = {
    writ: adapter.writ,
    tools: adapter.tools,
    defaults: adapter.defaults,
    approvals: adapter.approvals ?? LANGCHAIN_DEFAULTS.approvals,
  };
  // per-tool facts (risk, permission, annotations…) are checked now, not at the first call
  for (const name of Object.keys(resolved.tools ?? {})) adaptTool(FRAMEWORK, { name }, noop, resolved);
  if (resolved.defaults !== undefined) adaptTool(FRAMEWORK, { name: 'defaults' }, noop, resolved);
  return resolved;
}

const noop = () => undefined;
