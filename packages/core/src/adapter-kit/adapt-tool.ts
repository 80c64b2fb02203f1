import { withSortedKeys } from '../canonical-json.js';
import { toWritError, WritError } from '../errors.js';
import { resolveConfig } from '../global.js';
import { awaitsApproval, checkCall } from '../pipeline/check.js';
import { runCall } from '../pipeline/run.js';
import type { FrameworkApproval, FrameworkRef, Invoke, RunOptions } from '../pipeline/state.js';
import { isStandardSchema } from '../standard-schema.js';
import type { ToolContext } from '../tool-context.js';
import { defineTool } from '../tool-definition.js';
import { inTask } from '../writ.js';
import type {
  AdaptedCheckOptions,
  AdaptedRejectOptions,
  AdaptedRunOptions,
  AdaptedTool,
  CallCheck,
} from './adapted-tool.js';
import type { AdapterOptions, AdapterToolHints, FrameworkHooks, FrameworkTool } from './adapter-options.js';
import { approvalMessage, refusalMessage } from './messages.js';

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
  const bare: FrameworkRef = Object.freeze({ name: framework });
  const runOptions = (o: AdaptedRunOptions | AdaptedCheckOptions | undefined): RunOptions => {
    const {
      approval,
      frameworkIds,
      refusal: _refusal,
      invoke: _invoke,
      ...rest
    } = (o ?? {}) as AdaptedRunOptions;
    // keys in canonical order (RFC 8785), as every record part is built: a record in canonical order is
    // encoded with the native JSON.stringify, any other takes the much slower piecewise writer
    const ref: FrameworkRef =
      frameworkIds === undefined ? bare : { ids: withSortedKeys(frameworkIds), name: framework };
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
        const config = resolveConfig(explicit, where);
        if (o?.refusal !== undefined && !WritError.isInstance(o.refusal)) {
          throw new WritError('WRIT_OPTIONS_INVALID', `${where}: run() options.refusal must be a WritError`);
        }
        if (o?.invoke !== undefined && typeof o.invoke !== 'function') {
          throw new WritError('WRIT_OPTIONS_INVALID', `${where}: run() options.invoke must be a function`);
        }
        return inTask(config, def, (task, refusal) =>
          runCall(config, task, def, args, runOptions(o), o?.invoke ?? run, refusal ?? o?.refusal),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async check(args: unknown, o: AdaptedCheckOptions): Promise<CallCheck> {
      requireCallId(o, where, 'check');
      const config = resolveConfig(explicit, where);
      const opts = { ...runOptions(o), toolCallId: o.toolCallId };
      return inTask(config, def, async (task, refusal) => {
        if (refusal !== undefined) {
          const error = await runCall(config, task, def, args, opts, run, refusal).then(
            () => refusal,
            (e: unknown) => toWritError(e, 'WRIT_INTERNAL'),
          );
          return { effect: 'deny', error, decision: undefined, message: refusalMessage(error) };
        }
        const result = await checkCall(config, task, def, args, opts, run);
        if (result.effect === 'deny') return { ...result, message: refusalMessage(result.error) };
        if (result.effect === 'allow') return result;
        return { ...result, message: approvalMessage(def, result.decision) };
      });
    },
    async reject(args: unknown, o: AdaptedRejectOptions): Promise<WritError | undefined> {
      requireCallId(o, where, 'reject');
      const config = resolveConfig(explicit, where);
      return inTask(config, def, async (task) => {
        if (!(await awaitsApproval(config, task, def, args, o.toolCallId))) return undefined;
        const approval: FrameworkApproval = {
          approved: false,
          ...(o.approver === undefined ? {} : { approver: o.approver }),
          ...(o.reason === undefined ? {} : { reason: o.reason }),
        };
        try {
          await runCall(
            config,
            task,
            def,
            args,
            { ...runOptions(o), toolCallId: o.toolCallId, approval },
            run,
          );
        } catch (error) {
          return toWritError(error, 'WRIT_INTERNAL');
        }
        return undefined;
      });
    },
    async awaitsApproval(args: unknown, o: AdaptedCheckOptions): Promise<boolean> {
      requireCallId(o, where, 'awaitsApproval');
      const config = resolveConfig(explicit, where);
      return inTask(config, def, (task, refusal) =>
        refusal === undefined
          ? awaitsApproval(config, task, def, args, o.toolCallId)
          : Promise.resolve(false),
      );
    },
  });
}

function requireCallId(o: { toolCallId?: unknown } | undefined, where: string, what: string): void {
  if (typeof o?.toolCallId !== 'string' || o.toolCallId.length === 0) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${where}: ${what}() needs the framework's toolCallId`);
  }
}
