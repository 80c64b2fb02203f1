import { z } from 'zod';
import type { Decision } from './decision.js';
import { toWritError, WritError } from './errors.js';
import { resolveRuntime } from './global.js';
import { validateOptions } from './options.js';
import {
  awaitsApproval,
  checkCall,
  type FrameworkApproval,
  type FrameworkRef,
  type Invoke,
  type RunOptions,
  runCall,
} from './pipeline.js';
import type { Principal } from './principal.js';
import { isStandardSchema } from './standard-schema.js';
import type {
  ExecuteOptions,
  ToolAnnotations,
  ToolContext,
  ToolDefinition,
  ToolDescription,
} from './tool.js';
import type { Risk, ToolType } from './tool-call.js';
import { defineTool } from './tool-definition.js';
import { inTask, type Writ } from './writ.js';

export type { FrameworkApproval, FrameworkRef } from './pipeline.js';

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

/**
 * What {@link AdaptedTool.check} concluded: run it, ask a human first, or tell the model it was refused.
 *
 * @example
 * ```ts
 * async function onToolCall(adapted: AdaptedTool, args: unknown, toolCallId: string) {
 *   const check: CallCheck = await adapted.check(args, { toolCallId });
 *   if (check.effect === 'deny') return check.message; // what the model sees; already recorded
 *   if (check.effect === 'approval_required') return askHuman(check.message, check.bindingHash, check.expiresAt);
 *   return adapted.run(args, { toolCallId }); // reuses the decision check made
 * }
 * ```
 */
export type CallCheck =
  | {
      readonly effect: 'allow';
      readonly decision: Decision | undefined;
      /** The call already ran under this tool call id; `run` replays its result. */
      readonly settled: boolean;
    }
  | {
      readonly effect: 'approval_required';
      readonly decision: Decision;
      /** Binds the approval to this tool, these arguments, this agent and this decision. */
      readonly bindingHash: string;
      /** Epoch ms after which an answer is refused. */
      readonly expiresAt: number;
      /** What to show the approver. */
      readonly message: string;
    }
  | {
      readonly effect: 'deny';
      readonly error: WritError;
      readonly decision: Decision | undefined;
      /** What the model should see: {@link refusalMessage} of the error. */
      readonly message: string;
    };

/**
 * Per-call options of {@link AdaptedTool.run}.
 *
 * @example
 * ```ts
 * // the framework ran its own approval flow for this call, and the human said yes
 * const options: AdaptedRunOptions = {
 *   toolCallId: 'call_7f3a',
 *   approval: { approved: true },
 *   frameworkIds: { threadId: 'thread-12', runId: 'run-3' },
 * };
 * await adapted.run({ orderId: '42', amount: 30 }, options);
 * ```
 */
export interface AdaptedRunOptions extends ExecuteOptions {
  /**
   * The approval the framework's own flow collected for this call (pass it whenever the framework ran
   * the call after asking a human). Honoured only if {@link AdaptedTool.check} asked for it, for the
   * same tool call id and arguments, before it expired.
   */
  approval?: FrameworkApproval | undefined;
  /** The framework's own ids for this call (trace id, run id, thread id…), kept in the decision record. */
  frameworkIds?: Readonly<Record<string, string>> | undefined;
  /**
   * Refuse the call with this error without deciding it (e.g. the caller's task token did not verify):
   * the tool never runs, and the refusal is recorded like any other (decision record, outcome, span).
   */
  refusal?: WritError | undefined;
}

/**
 * Per-call options of {@link AdaptedTool.check}.
 *
 * @example
 * ```ts
 * const options: AdaptedCheckOptions = { toolCallId: 'call_7f3a', signal: AbortSignal.timeout(10_000), frameworkIds: { runId: 'run-3' } };
 * const check = await adapted.check({ orderId: '42', amount: 30 }, options);
 * ```
 */
export interface AdaptedCheckOptions {
  /** The framework's tool call id: the key under which the decision is remembered. */
  toolCallId: string;
  signal?: AbortSignal | undefined;
  frameworkIds?: Readonly<Record<string, string>> | undefined;
}

/**
 * Per-call options of {@link AdaptedTool.reject}.
 *
 * @example
 * ```ts
 * const options: AdaptedRejectOptions = {
 *   toolCallId: 'call_7f3a',
 *   approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
 *   reason: 'refund exceeds the order total',
 * };
 * const refusal = await adapted.reject({ orderId: '42', amount: 900 }, options); // WRIT_APPROVAL_REJECTED
 * ```
 */
export interface AdaptedRejectOptions extends AdaptedCheckOptions {
  /** Who declined. @default unknown (recorded as `null`) */
  approver?: Principal | undefined;
  reason?: string | undefined;
}

/**
 * A framework tool wired to the Writ pipeline. Adapters translate between the framework and these
 * three calls; everything else (decision, approval binding, credentials, records, spans) is here.
 *
 * @example
 * ```ts
 * const refund: AdaptedTool = adaptTool('my-framework', { name: 'refund_order' }, (args, ctx) => payments.refund(args, ctx.credential?.token), {
 *   tools: { refund_order: { risk: 'high', audience: 'https://payments.example.com' } },
 * });
 * refund.risk; // 'high'
 * refund.annotations.destructive; // true (MCP default for a tool that is not read-only)
 * const result = await refund.run({ orderId: '42', amount: 30 }, { toolCallId: 'call_7f3a' });
 * ```
 */
export interface AdaptedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly risk: Risk;
  readonly permission: string;
  readonly audience: string | undefined;
  readonly type: ToolType;
  readonly annotations: Readonly<Required<ToolAnnotations>>;
  /**
   * Runs the call through the whole pipeline. With a `toolCallId`, the call is remembered: a decision
   * made by `check` is reused (never decided twice), and a framework that re-runs the same call (e.g.
   * a LangGraph node after a resume) gets the recorded result back without a second execution.
   * Refusals reject with a `WritError`; the tool's own errors are rethrown as they are.
   */
  run(args: unknown, options?: AdaptedRunOptions): Promise<unknown>;
  /**
   * Decides the call without running it, for frameworks that ask before executing (approval flows). A
   * refusal is recorded at once; `allow` and `approval_required` are remembered for `run`.
   */
  check(args: unknown, options: AdaptedCheckOptions): Promise<CallCheck>;
  /**
   * Records that the human declined a call `check` asked approval for (approval event, refused
   * decision record, outcome) and returns the refusal. `undefined` when nothing was pending.
   */
  reject(args: unknown, options: AdaptedRejectOptions): Promise<WritError | undefined>;
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
 * Wires one framework tool to the pipeline. `invoke` is the framework tool's own implementation; it
 * runs only once the call is allowed, approved when needed, credentialed and recorded.
 *
 * @example
 * ```ts
 * const adapted = adaptTool('my-framework', { name: tool.name, description: tool.description, input: tool.schema },
 *   (args, ctx) => tool.execute(args), { writ, tools: { refund_order: { risk: 'high' } } });
 * async function onToolCall(args: unknown, toolCallId: string) {
 *   const check = await adapted.check(args, { toolCallId });
 *   if (check.effect === 'deny') return check.message; // what the model sees
 *   return adapted.run(args, { toolCallId });
 * }
 * ```
 */
export function adaptTool(
  framework: string,
  tool: FrameworkTool,
  invoke: (args: unknown, ctx: ToolContext) => unknown,
  options: AdapterOptions = {},
  hooks: FrameworkHooks = {},
): AdaptedTool {
  const hints: AdapterToolHints = { ...options.defaults, ...options.tools?.[tool.name] };
  const input = hints.input ?? (isStandardSchema(tool.input) ? tool.input : undefined);
  const def = defineTool(
    {
      ...hints,
      name: tool.name,
      description: hints.description ?? tool.description,
      ...(input === undefined ? {} : { input }),
    },
    `${framework}: tool ${tool.name}`,
  );
  const run = invoke as Invoke;
  const explicit = options.writ;
  const where = `${framework} tool ${def.name}`;
  const runOptions = (o: AdaptedRunOptions | AdaptedCheckOptions | undefined): RunOptions => {
    const { approval, frameworkIds, refusal: _refusal, ...rest } = (o ?? {}) as AdaptedRunOptions;
    const ref: FrameworkRef =
      frameworkIds === undefined ? { name: framework } : { name: framework, ids: frameworkIds };
    return {
      ...rest,
      ledger: rest.toolCallId !== undefined,
      framework: ref,
      ...(approval === undefined ? {} : { approval }),
      ...(hooks.isSuspension === undefined ? {} : { isSuspension: hooks.isSuspension }),
    };
  };
  return Object.freeze({
    name: def.name,
    description: def.description,
    risk: def.risk,
    permission: def.permission,
    audience: def.audience,
    type: def.type,
    annotations: def.annotations,
    run(args: unknown, o?: AdaptedRunOptions) {
      try {
        const rt = resolveRuntime(explicit, where);
        if (o?.refusal !== undefined && !WritError.isInstance(o.refusal)) {
          throw new WritError('WRIT_OPTIONS_INVALID', `${where}: run() options.refusal must be a WritError`);
        }
        return inTask(rt, def, (task, refusal) =>
          runCall(rt, task, def, args, runOptions(o), run, refusal ?? o?.refusal),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async check(args: unknown, o: AdaptedCheckOptions): Promise<CallCheck> {
      requireCallId(o, where, 'check');
      const rt = resolveRuntime(explicit, where);
      const opts = { ...runOptions(o), toolCallId: o.toolCallId };
      return inTask(rt, def, async (task, refusal) => {
        if (refusal !== undefined) {
          const error = await runCall(rt, task, def, args, opts, run, refusal).then(
            () => refusal,
            (e: unknown) => toWritError(e, 'WRIT_INTERNAL'),
          );
          return { effect: 'deny', error, decision: undefined, message: refusalMessage(error) };
        }
        const result = await checkCall(rt, task, def, args, opts, run);
        if (result.effect === 'deny') return { ...result, message: refusalMessage(result.error) };
        if (result.effect === 'allow') return result;
        return { ...result, message: approvalMessage(def, result.decision) };
      });
    },
    async reject(args: unknown, o: AdaptedRejectOptions): Promise<WritError | undefined> {
      requireCallId(o, where, 'reject');
      const rt = resolveRuntime(explicit, where);
      return inTask(rt, def, async (task) => {
        if (!awaitsApproval(rt, task, def, args, o.toolCallId)) return undefined;
        const approval: FrameworkApproval = {
          approved: false,
          ...(o.approver === undefined ? {} : { approver: o.approver }),
          ...(o.reason === undefined ? {} : { reason: o.reason }),
        };
        try {
          await runCall(rt, task, def, args, { ...runOptions(o), toolCallId: o.toolCallId, approval }, run);
        } catch (error) {
          return toWritError(error, 'WRIT_INTERNAL');
        }
        return undefined;
      });
    },
  });
}

function requireCallId(o: { toolCallId?: unknown } | undefined, where: string, what: string): void {
  if (typeof o?.toolCallId !== 'string' || o.toolCallId.length === 0) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${where}: ${what}() needs the framework's toolCallId`);
  }
}

/**
 * The text an adapter hands the model when Writ refuses a call: what was refused, why, and the error
 * code, so the model can explain it or try something else (and does not retry blindly).
 *
 * @example
 * ```ts
 * refusalMessage(error);
 * // 'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): …. The tool was not run.'
 * ```
 */
export function refusalMessage(error: unknown): string {
  const e = toWritError(error, 'WRIT_INTERNAL');
  return `Refused by Writ (${e.code}): ${e.message}. The tool was not run.`;
}

function approvalMessage(def: ToolDefinition, decision: Decision): string {
  const because = decision.reasons.length > 0 ? `: ${decision.reasons.join('; ')}` : '';
  return `${def.name} needs human approval (${decision.engine})${because}`;
}
