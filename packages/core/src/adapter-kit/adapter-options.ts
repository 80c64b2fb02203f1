import { z } from 'zod';
import { validateOptions } from '../options.js';
import type { ToolDescription } from '../tool.js';
import type { Writ } from '../writ.js';

/**
 * Writ facts about one framework tool: everything of a {@link ToolDescription} except its name (the
 * framework names the tool).
 *
 * @example
 * ```ts
 * const refundHints: AdapterToolHints = {
 *   risk: 'high',
 *   audience: 'https://payments.example.com',
 *   permission: 'orders:refund',
 *   resource: (args) => ({ type: 'Order', id: (args as { orderId: string }).orderId }),
 * };
 * const options: AdapterOptions = { tools: { refund_order: refundHints }, defaults: { risk: 'low' } };
 * ```
 */
export type AdapterToolHints = Omit<ToolDescription, 'name'>;

/**
 * Options every framework adapter takes. Frameworks describe a tool's name, description and input
 * schema; what Writ needs beyond that (risk, resource, audience, permission, data classification) comes
 * from here, per tool name.
 *
 * @example
 * ```ts
 * const options: AdapterOptions = {
 *   writ,
 *   tools: {
 *     refund_order: { risk: 'high', resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }) },
 *   },
 *   defaults: { risk: 'low' },
 * };
 * ```
 */
export interface AdapterOptions {
  /** Instance to run on. @default the active task's instance, else the one from `setGlobalWrit` */
  writ?: Writ | undefined;
  /** Writ facts per tool name. */
  tools?: Readonly<Record<string, AdapterToolHints>> | undefined;
  /** Facts for every tool (a tool's own entry in `tools` wins). @default { risk: 'medium' } */
  defaults?: AdapterToolHints | undefined;
}

/**
 * A framework tool as an adapter sees it: its name, description and input schema, whatever the
 * framework's own tool type looks like.
 *
 * @example
 * ```ts
 * const tool: FrameworkTool = {
 *   name: 'lookup_order',
 *   description: 'Find an order by id',
 *   input: z.object({ orderId: z.string() }), // a Standard Schema: Writ validates against it
 * };
 * const adapted = adaptTool('my-framework', tool, (args) => db.orders.get((args as { orderId: string }).orderId));
 * ```
 */
export interface FrameworkTool {
  readonly name: string;
  readonly description?: string | undefined;
  /** The framework's input schema, used for validation when it is a Standard Schema (zod, valibot, …). */
  readonly input?: unknown;
}

/**
 * What an adapter tells the kit about its framework (not user options).
 *
 * @example
 * ```ts
 * const hooks: FrameworkHooks = { isSuspension: (error) => error instanceof GraphInterrupt };
 * const adapted = adaptTool('langgraph', tool, invoke, options, hooks);
 * ```
 */
export interface FrameworkHooks {
  /**
   * Recognises the errors by which the framework pauses a tool that is running (LangGraph's
   * `interrupt()` / `GraphBubbleUp` thrown inside a tool): the outcome is recorded as `suspended`, and the
   * call is not remembered as settled, so it runs again (under the same decision) when resumed.
   */
  isSuspension?: ((error: unknown) => boolean) | undefined;
}

const hintsSchema = z.looseObject({});
const adapterOptionsSchema = z.strictObject({
  writ: z
    .custom<Writ>((v) => typeof v === 'object' && v !== null, { message: 'must be a Writ instance' })
    .optional(),
  tools: z.record(z.string(), hintsSchema).optional(),
  defaults: hintsSchema.optional(),
});

/**
 * Validates adapter options once, up front (`WRIT_OPTIONS_INVALID` names the bad key).
 *
 * @example
 * ```ts
 * const options = parseAdapterOptions(userOptions, 'writTools');
 * ```
 */
export function parseAdapterOptions<T extends AdapterOptions>(options: T | undefined, fn: string): T {
  const { writ, tools, defaults, ...rest } = (options ?? {}) as T;
  validateOptions(adapterOptionsSchema, { writ, tools, defaults }, fn);
  return { ...(rest as object), writ, tools, defaults } as T;
}
