import { z } from 'zod';
import { WritError } from '../errors.js';
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

/**
 * Refuses per-tool hints for tools the adapter was not given (a typo such as `refund_ordr` would
 * otherwise leave the real tool on default facts — no approval, default risk — in silence), naming the
 * closest tool name. Adapters call it once they know every tool they wrap.
 *
 * @example
 * ```ts
 * checkToolHints(options.tools, Object.keys(tools), 'writTools');
 * // WRIT_OPTIONS_INVALID: writTools: options.tools.refund_ordr: no tool is named "refund_ordr" (did you mean "refund_order"?)
 * ```
 */
export function checkToolHints(
  hints: Readonly<Record<string, unknown>> | undefined,
  toolNames: readonly string[],
  fn: string,
): void {
  if (hints === undefined) return;
  const known = new Set(toolNames);
  const problems = Object.keys(hints)
    .filter((name) => !known.has(name))
    .map((name) => {
      const closest = closestName(name, toolNames);
      return `options.tools.${name}: no tool is named "${name}"${closest === undefined ? '' : ` (did you mean "${closest}"?)`}`;
    });
  if (problems.length > 0) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${fn}: ${problems.join('; ')}`, {
      details: { issues: problems, tools: [...toolNames] },
    });
  }
}

/** The tool name closest to `name` (edit distance at most a third of its length), if any. */
function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
