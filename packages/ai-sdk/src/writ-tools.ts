import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdapterOptions,
  adaptTool,
  approverSchema,
  checkToolHints,
  modelRefusal,
  parseAdapterOptions,
  type ToolArgsMap,
} from '@writ/core/adapter';
import { functionSchema, validateOptions } from '@writ/core/internal';
import type { InferToolInput, ModelMessage, ToolExecutionOptions, ToolSet } from 'ai';
import { z } from 'zod';
import { asyncQueue } from './async-queue.js';
import { humanAnswerFor } from './pending-approvals.js';
import {
  type ApproverOption,
  approverFor,
  FRAMEWORK,
  idsFor,
  register,
  type ToolCallInfo,
  type WrappedTool,
  wrappedTool,
} from './registry.js';

/**
 * The arguments of each tool of a ToolSet, by name (what its `execute` gets: the input parsed by its
 * `inputSchema`); for an untyped ToolSet, any name with `unknown` arguments.
 *
 * @example
 * ```ts
 * const tools = { refund_order: tool({ inputSchema: z.object({ orderId: z.string() }), execute }) };
 * type Args = ToolSetArgs<typeof tools>; // { refund_order: { orderId: string } }
 * ```
 */
export type ToolSetArgs<TOOLS extends ToolSet> = string extends keyof TOOLS
  ? ToolArgsMap
  : { readonly [Name in keyof TOOLS & string]: InferToolInput<TOOLS[Name]> };

/**
 * Options of {@link writTools}: the {@link AdapterOptions} every Writ adapter takes (`writ`, per-tool
 * `tools` hints, `defaults`), plus how AI SDK approvals and ids are translated. `TOOLS` is the ToolSet
 * being wrapped: the keys of `tools` are its tool names (a hint for any other name is a type error, and
 * `WRIT_OPTIONS_INVALID` at run time), and each hint's `resource` gets that tool's typed input.
 *
 * @example
 * ```ts
 * const options: WritToolsOptions<typeof tools> = {
 *   writ,
 *   tools: {
 *     lookup_order: { permission: 'orders:read', annotations: { readOnly: true }, risk: 'low' },
 *     refund_order: { permission: 'orders:refund', risk: 'high', resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
 *   },
 *   approver: (answer) => ({ kind: 'human', id: 'maria@example.com', assurance: 'asserted' }),
 *   frameworkIds: () => ({ chatId }),
 * };
 * ```
 */
export interface WritToolsOptions<TOOLS extends ToolSet = ToolSet>
  extends AdapterOptions<ToolSetArgs<TOOLS>> {
  /**
   * Who answered the AI SDK's approval requests (`tool-approval-response` parts carry no identity):
   * a principal, or a function of the answer. Recorded in the approval record.
   * @default approvals: the task's requester (the person in the conversation); denials: unknown (`null`)
   */
  approver?: ApproverOption | undefined;
  /**
   * Ids of the call the application knows and the AI SDK does not (chat id, request id…), kept in the
   * decision record under `call.framework.ids` beside the AI SDK's `approvalId`.
   * @default none
   */
  frameworkIds?: ((call: ToolCallInfo) => Readonly<Record<string, string>> | undefined) | undefined;
}

const extraSchema = z.strictObject({
  approver: z.union([approverSchema, functionSchema()]).optional(),
  frameworkIds: functionSchema().optional(),
});

/** The AI SDK's execution options of the call being run, for the framework tool's own `execute`. */
interface CallScope {
  readonly options: ExecuteOptions;
  /** Set once the tool's own `execute` was called: later errors are the tool's, not refusals. */
  executed: boolean;
  /** Streaming tools: forwards each yielded value to the AI SDK as it comes. */
  readonly onValue: ((value: unknown) => void) | undefined;
}

/** The AI SDK's per-call options; every field may be missing when `execute` is called by hand. */
type ExecuteOptions = Partial<ToolExecutionOptions<unknown>>;
type Execute = (input: unknown, options: ExecuteOptions) => unknown;

/**
 * Wraps the `execute` of every tool in an AI SDK `ToolSet` so each call runs through the Writ
 * pipeline: validated, decided by policy, approved when needed, credentialed, recorded before and after,
 * inside an `execute_tool` span (the AI SDK's own from `@ai-sdk/otel` when it is active, enriched, else
 * Writ's). Returns a new ToolSet of the same type; the caller's is not modified. Tools without
 * `execute` (client-side and provider-executed tools) are passed through unchanged.
 *
 * When Writ refuses a call, the model receives a tool error whose text is
 * `Refused by Writ (<code>): <why>. The tool was not run.` and the run continues. The error in the
 * step's `tool-error` part is a `WritError` with the refusal's code (the original as `cause`).
 *
 * Calls that need approval use the AI SDK's own approval flow when you also pass
 * {@link writToolApproval} as `toolApproval`; without it, Writ's configured `approvals` handler is asked.
 *
 * @example
 * ```ts
 * import { generateText, isStepCount, tool } from 'ai';
 * import { z } from 'zod';
 * import { writToolApproval, writTools } from '@writ/ai-sdk';
 *
 * const tools = writTools(
 *   { lookup_order: tool({ inputSchema: z.object({ orderId: z.string() }), execute: async ({ orderId }) => db.orders.get(orderId) }) },
 *   { writ, tools: { lookup_order: { permission: 'orders:read', annotations: { readOnly: true } } } },
 * );
 * // a hint for a tool the ToolSet does not have is a type error, and refused at run time:
 * // WRIT_OPTIONS_INVALID: writTools: options.tools.lookup_ordr: no tool is named "lookup_ordr" (did you mean "lookup_order"?)
 * await writ.task({ requester: userToken, agent: 'support-bot', scope: ['orders:*'] }, () =>
 *   generateText({ model, tools, toolApproval: writToolApproval(), stopWhen: isStepCount(5), prompt }),
 * );
 * ```
 */
export function writTools<TOOLS extends ToolSet>(
  tools: TOOLS,
  options?: WritToolsOptions<NoInfer<TOOLS>>,
): TOOLS {
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'writTools: tools must be an AI SDK ToolSet (an object of tools)',
    );
  }
  const {
    writ,
    tools: hints,
    defaults,
    ...rest
  } = parseAdapterOptions<WritToolsOptions>(options, 'writTools');
  // a hint for a tool that is not in the ToolSet (a typo) would leave the real tool on default facts
  checkToolHints(hints, Object.keys(tools), 'writTools');
  const extra = validateOptions(extraSchema, rest, 'writTools') as Pick<
    WritToolsOptions,
    'approver' | 'frameworkIds'
  >;
  const adapterOptions: AdapterOptions = { writ, tools: hints, defaults };
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools as Record<string, unknown>)) {
    const execute =
      typeof tool === 'object' && tool !== null ? (tool as { execute?: unknown }).execute : undefined;
    if (typeof execute !== 'function') {
      out[name] = tool;
      continue;
    }
    if (wrappedTool(tools, name) !== undefined) {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        `writTools: tool "${name}" is already wrapped by writTools (its calls would be decided twice)`,
      );
    }
    out[name] = wrapTool(name, tool as Record<string, unknown>, execute as Execute, adapterOptions, extra);
  }
  return out as TOOLS;
}

function wrapTool(
  name: string,
  tool: Readonly<Record<string, unknown>>,
  original: Execute,
  adapterOptions: AdapterOptions,
  extra: Pick<WritToolsOptions, 'approver' | 'frameworkIds'>,
): Record<string, unknown> {
  // the model-facing description (a function of the tool context is left out); Writ keeps 4096 chars
  const description = typeof tool.description === 'string' ? tool.description.slice(0, 4096) : undefined;
  // the tool's own `execute` for one call, with that call's AI SDK options (handed to `run` per call)
  const invokeIn =
    (scope: CallScope) =>
    (args: unknown): unknown => {
      scope.executed = true;
      const result = original.call(tool, args, scope.options);
      return isAsyncIterable(result) ? drain(result, scope.onValue) : result;
    };
  // The AI SDK validates the input against `inputSchema` before `execute` (and before `toolApproval`)
  // and hands over the parsed value; validating that value again would break transforms and
  // coercions, so Writ takes it as it is (pass `tools.<name>.input` to have Writ validate too).
  const adapted = adaptTool(
    FRAMEWORK,
    { name, description },
    () => {
      // `check` and `reject` never run the tool; `run` is always given the call's own `invoke`
      throw new WritError('WRIT_INTERNAL', `${name}: the AI SDK call options were lost before execute`);
    },
    adapterOptions,
  );
  const entry: WrappedTool = { adapted, approver: extra.approver, frameworkIds: extra.frameworkIds };

  // Synchronous unless the conversation holds a human's approval whose approver must be looked up: most
  // calls carry no answer, and an `await` here cost every call a promise and a turn of the microtask queue.
  const runOptions = (scope: CallScope): AdaptedRunOptions | Promise<AdaptedRunOptions> => {
    const { options } = scope;
    const { toolCallId } = options;
    const invoke = invokeIn(scope);
    if (toolCallId === undefined) return { signal: options.abortSignal, invoke }; // called outside the AI SDK
    const messages: readonly ModelMessage[] = options.messages ?? [];
    const call: ToolCallInfo = { toolName: name, toolCallId, messages };
    // the AI SDK runs an approved call on the next generateText/streamText call, whose messages hold
    // the human's `tool-approval-response`: that is the approval Writ checks against its pending decision
    const answer = humanAnswerFor(messages, toolCallId);
    const base = { toolCallId, signal: options.abortSignal, invoke };
    if (answer?.approved !== true) {
      return { ...base, approval: undefined, frameworkIds: idsFor(entry, call, answer?.approvalId) };
    }
    return approverFor(entry, answer).then((approver) => ({
      ...base,
      approval: {
        approved: true,
        ...(approver === undefined ? {} : { approver }),
        ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      },
      frameworkIds: idsFor(entry, call, answer.approvalId),
    }));
  };
  const execute = isAsyncGeneratorFunction(original)
    ? async function* execute(input: unknown, options: ExecuteOptions = {}) {
        const queue = asyncQueue<unknown>();
        const scope: CallScope = { options, executed: false, onValue: (value) => queue.push(value) };
        const pending = runOptions(scope);
        const run = pending instanceof Promise ? await pending : pending;
        entry.adapted.run(input, run).then(
          (value) => {
            if (!scope.executed) queue.push(value); // replayed from the call ledger
            queue.end();
          },
          (error: unknown) => queue.fail(toModelError(error, scope)),
        );
        yield* queue;
      }
    : async function execute(input: unknown, options: ExecuteOptions = {}) {
        const scope: CallScope = { options, executed: false, onValue: undefined };
        const pending = runOptions(scope);
        const run = pending instanceof Promise ? await pending : pending;
        try {
          return await entry.adapted.run(input, run);
        } catch (error) {
          throw toModelError(error, scope);
        }
      };

  register(execute, entry);
  return { ...tool, execute };
}

/**
 * A refusal becomes the `WritError` the model should read ({@link modelRefusal}: the refusal text as
 * message and as `toString()`, which is what the AI SDK sends the model for a tool error). The tool's
 * own errors pass unchanged.
 */
function toModelError(error: unknown, scope: CallScope): unknown {
  if (scope.executed || !WritError.isInstance(error)) return error;
  return modelRefusal(error);
}

async function drain(source: AsyncIterable<unknown>, onValue: ((value: unknown) => void) | undefined) {
  let last: unknown;
  for await (const value of source) {
    last = value;
    onValue?.(value);
  }
  return last;
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';

const isAsyncGeneratorFunction = (f: unknown): boolean =>
  Object.prototype.toString.call(f) === '[object AsyncGeneratorFunction]';
