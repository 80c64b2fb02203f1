import { z } from 'zod';
import { WritError } from '../errors.js';
import { validateOptions } from '../options.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import type { ToolDescription } from '../tool.js';
import type { Resource } from '../tool-call.js';
import type { Writ } from '../writ.js';

/**
 * Writ facts about one framework tool: everything of a {@link ToolDescription} except its name (the
 * framework names the tool). `Args` is what the tool's `resource` and `dataClassification` functions
 * get: the tool's arguments, typed from its input schema by the adapters that know it (`unknown`
 * otherwise).
 *
 * @example
 * ```ts
 * const refundHints: AdapterToolHints<{ orderId: string }> = {
 *   risk: 'high',
 *   audience: 'https://payments.example.com',
 *   permission: 'orders:refund',
 *   resource: (args) => ({ type: 'Order', id: args.orderId }),
 * };
 * const options: AdapterOptions<{ refund_order: { orderId: string } }> = {
 *   tools: { refund_order: refundHints },
 *   defaults: { risk: 'low' },
 * };
 * ```
 */
export interface AdapterToolHints<Args = unknown>
  extends Omit<ToolDescription, 'name' | 'resource' | 'dataClassification'> {
  /** The resource a call acts on. @default { type: 'Tool', id: name } */
  resource?: ArgsFunction<Args, Resource> | undefined;
  /** Data classification of what the call touches. */
  dataClassification?: string | ArgsFunction<Args, string | undefined> | undefined;
}

/**
 * A hint function of the tool's arguments. Declared as a method so hints typed for one tool's
 * arguments still fit where hints of unknown arguments are expected (adapters pass them on as such).
 */
type ArgsFunction<Args, R> = { bivariant(args: Args): R }['bivariant'];

/**
 * The per-tool hints of {@link AdapterOptions}: one optional entry per tool name, each typed with that
 * tool's arguments. `Args` maps tool names to argument types (`ToolArgsMap`).
 *
 * @example
 * ```ts
 * const hints: ToolHints<{ refund_order: { orderId: string } }> = {
 *   refund_order: { risk: 'high', resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
 * };
 * ```
 */
export type ToolHints<Args extends ToolArgsMap = ToolArgsMap> = {
  readonly [Name in keyof Args]?: AdapterToolHints<Args[Name]> | undefined;
};

/**
 * Tool names mapped to the arguments each tool takes, as an adapter infers them from the tools it is
 * given; the default (any name, `unknown` arguments) is what an adapter that cannot see names uses.
 *
 * @example
 * ```ts
 * type OrderTools = { lookup_order: { orderId: string }; refund_order: { orderId: string; amount: number } };
 * const options: AdapterOptions<OrderTools> = { tools: { refund_order: { risk: 'high' } } };
 * ```
 */
export type ToolArgsMap = Readonly<Record<string, unknown>>;

/**
 * The arguments a tool with input schema `S` is called with: the schema's output type for a Standard
 * Schema (zod, valibot, ArkType…), `unknown` for anything else (JSON Schema, none).
 *
 * @example
 * ```ts
 * const input = z.object({ orderId: z.string() });
 * type Args = SchemaArgs<typeof input>; // { orderId: string }
 * ```
 */
export type SchemaArgs<S> = [NonNullable<S>] extends [never]
  ? unknown
  : NonNullable<S> extends StandardSchemaV1
    ? StandardSchemaV1.InferOutput<NonNullable<S>>
    : unknown;

/**
 * Options every framework adapter takes. Frameworks describe a tool's name, description and input
 * schema; what Writ needs beyond that (risk, resource, audience, permission, data classification) comes
 * from here, per tool name. `Args` (tool name to arguments) types the keys of `tools` and the arguments
 * of each tool's `resource`; adapters fill it in from the tools they are given, so a hint for a tool
 * that does not exist is a type error (and, at run time, `WRIT_OPTIONS_INVALID` from {@link checkToolHints}).
 *
 * @example
 * ```ts
 * const options: AdapterOptions<{ refund_order: { orderId: string } }> = {
 *   writ,
 *   tools: {
 *     refund_order: { risk: 'high', resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
 *   },
 *   defaults: { risk: 'low' },
 * };
 * ```
 */
export interface AdapterOptions<Args extends ToolArgsMap = ToolArgsMap> {
  /** Instance to run on. @default the active task's instance, else the one from `setGlobalWrit` */
  writ?: Writ | undefined;
  /** Writ facts per tool name (every key must name a tool the adapter wraps). */
  tools?: ToolHints<Args> | undefined;
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
