import type { Config } from './config.js';
import { resolveConfig } from './global.js';
import type { Invoke } from './pipeline/state.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { ExecuteOptions, ToolDescription } from './tool.js';
import type { ToolContext } from './tool-context.js';
import { defineTool, type ToolDefinition } from './tool-definition.js';
import { callTool, type Writ } from './writ.js';

/**
 * Options of {@link withAttribution} and `@attributed`: a tool description plus the instance to use.
 *
 * @example
 * ```ts
 * const writ = createWrit({ policy, audit });
 * const options = { name: 'cancel_order', risk: 'medium', writ } satisfies AttributionOptions; // this instance, always
 * const cancel = withAttribution(async (args: { orderId: string }, ctx) => orders.cancel(args.orderId, ctx.credential?.token), options);
 * ```
 */
export interface AttributionOptions<S extends StandardSchemaV1 = StandardSchemaV1>
  extends ToolDescription<S> {
  /** Instance to run on. @default the active task's instance, else the one from `setGlobalWrit` */
  writ?: Writ;
}

/**
 * Wraps an existing async function so that every call passes through the Writ pipeline (validation,
 * policy decision, approval, credential, audit, span). The wrapped function takes the same first
 * argument and returns a promise of the same result.
 *
 * @example
 * ```ts
 * const refund = withAttribution(
 *   async (args: { orderId: string; amount: number }, ctx) => payments.refund(args, ctx.credential?.token),
 *   { name: 'refund_order', input: z.object({ orderId: z.string(), amount: z.number() }), risk: 'high', audience: 'https://payments' },
 * );
 * await writ.task({ requester, agent: 'support' }, () => refund({ orderId: '42', amount: 30 }));
 * ```
 */
export function withAttribution<S extends StandardSchemaV1, R>(
  fn: (args: StandardSchemaV1.InferOutput<S>, ctx: ToolContext) => R,
  options: AttributionOptions<S> & { input: S },
): (args: StandardSchemaV1.InferInput<S>, callOptions?: ExecuteOptions) => Promise<Awaited<R>>;
export function withAttribution<A, R>(
  fn: (args: A, ctx: ToolContext) => R,
  options: AttributionOptions<StandardSchemaV1<A, A>> & { input?: undefined },
): (args: A, callOptions?: ExecuteOptions) => Promise<Awaited<R>>;
export function withAttribution(
  fn: (args: unknown, ctx: ToolContext) => unknown,
  options: AttributionOptions,
): (args: unknown, callOptions?: ExecuteOptions) => Promise<unknown> {
  const def = defineTool(options, 'withAttribution');
  const invoke = fn as Invoke;
  const explicit = options.writ;
  const wrapped = (args: unknown, callOptions?: ExecuteOptions) =>
    callAttributed(explicit, def, args, callOptions ?? {}, invoke, 'withAttribution');
  Object.defineProperty(wrapped, 'name', { value: def.name });
  return wrapped;
}

/** @internal */
export function callAttributed(
  explicit: Writ | undefined,
  def: ToolDefinition,
  args: unknown,
  callOptions: ExecuteOptions,
  invoke: Invoke,
  what: string,
): Promise<unknown> {
  let config: Config;
  try {
    config = resolveConfig(explicit, `${what}(${def.name})`);
  } catch (error) {
    return Promise.reject(error);
  }
  return callTool(config, def, args, callOptions, invoke);
}
