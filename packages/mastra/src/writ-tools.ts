import { WritError } from '@writ/core';
import {
  type AdapterOptions,
  adaptTool,
  checkToolHints,
  parseAdapterOptions,
  type SchemaArgs,
  type ToolArgsMap,
} from '@writ/core/adapter';
import { isStandardSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { approvalAnswerSchema, approvalRequestSchema } from './approval-flow.js';
import { readCall } from './mastra-call.js';
import { type SchemaWithJson, schemaUnion } from './schema-union.js';
import { executions, Gate } from './tool-gate.js';

/**
 * The framework name this adapter records as `call.framework.name` in decision records.
 *
 * @example
 * ```ts
 * const mastraCalls = records.filter((r) => r.kind === 'decision' && r.call.framework?.name === FRAMEWORK);
 * ```
 */
export const FRAMEWORK = 'mastra';

/**
 * The arguments of each of the tools given to {@link writTools}, by the name the model calls it by:
 * the output of its `inputSchema` (or an AI SDK 4 tool's `parameters`), `unknown` when that is not a
 * Standard Schema.
 *
 * @example
 * ```ts
 * type Args = MastraToolArgs<{ refund_order: typeof refundOrder }>; // { refund_order: { orderId: string } }
 * ```
 */
export type MastraToolArgs<T extends Readonly<Record<string, MastraTool>>> = string extends keyof T
  ? ToolArgsMap
  : { readonly [Name in keyof T & string]: SchemaArgs<InputSchemaOf<T[Name]>> };

/** A tool's input schema: `inputSchema`, else (AI SDK 4 tools) `parameters`. */
type InputSchemaOf<Tool> = Tool extends { readonly inputSchema?: infer S }
  ? unknown extends S
    ? ParametersOf<Tool>
    : [NonNullable<S>] extends [never]
      ? ParametersOf<Tool>
      : S
  : ParametersOf<Tool>;
type ParametersOf<Tool> = Tool extends { readonly parameters?: infer P } ? P : undefined;

/**
 * Options of {@link writTools}: the adapter options every Writ adapter takes. Hints in `tools` are
 * keyed by the name the model calls the tool by (its key in the agent's `tools`): a hint for any other
 * name is a type error (and `WRIT_OPTIONS_INVALID` at run time), and each hint's `resource` gets that
 * tool's typed input.
 *
 * @example
 * ```ts
 * const options: WritToolsOptions<{ refund_order: typeof refundOrder }> = {
 *   writ,
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund', resource: ({ orderId }) => ({ type: 'Order', id: orderId }) } },
 *   defaults: { risk: 'low' },
 * };
 * ```
 */
export type WritToolsOptions<
  T extends Readonly<Record<string, MastraTool>> = Readonly<Record<string, MastraTool>>,
> = AdapterOptions<MastraToolArgs<T>>;

/**
 * A tool as a Mastra agent takes it: a `createTool()` tool, or an AI SDK `tool()` (Mastra accepts
 * both). Only tools with an `execute` can be wrapped: Writ gates calls it runs itself.
 *
 * @example
 * ```ts
 * import { createTool } from '@mastra/core/tools';
 * import { z } from 'zod';
 *
 * const lookupOrder: MastraTool = createTool({ id: 'lookup-order', description: 'Read an order',
 *   inputSchema: z.object({ orderId: z.string() }), execute: async ({ orderId }) => orders.get(orderId) });
 * ```
 */
export interface MastraTool {
  readonly id?: string | undefined;
  readonly description?: string | undefined;
  /** Mastra tools' input schema (also AI SDK 5+ tools'). */
  readonly inputSchema?: unknown;
  /** AI SDK 4 tools' input schema. */
  readonly parameters?: unknown;
  readonly suspendSchema?: unknown;
  readonly resumeSchema?: unknown;
  readonly execute?: ((input: never, context: never) => unknown) | undefined;
}

const ownKeys = z.strictObject({ writ: z.unknown(), tools: z.unknown(), defaults: z.unknown() }).partial();
const WRAPPED = Symbol.for('writ.mastra.tool');

/**
 * Wires a Mastra agent's tools to Writ: every call the model makes is validated, decided by policy,
 * credentialed and recorded (decision record durable before the tool runs, outcome after) inside an
 * `execute_tool {name}` span.
 *
 * - **deny** (or invalid input, or any other refusal): the tool does not run; the call fails with a
 *   `WritError` whose message is the refusal text (`Refused by Writ (<code>): …`), which Mastra hands
 *   the model as the tool's error result, and the run goes on.
 * - **approval required**: the tool suspends (Mastra's `suspend()`), with a {@link WritApprovalRequest}
 *   as payload; `finishReason` is `'suspended'`. Answer with Mastra's own `approveToolCall()` /
 *   `declineToolCall()` (or `…Generate`, or `resumeStream` / `resumeGenerate` with a
 *   {@link WritApprovalAnswer}) inside `writ.task({ ..., resume: request.taskId })`; the tool then runs,
 *   or the model is told it was declined. The call keeps Mastra's tool call id across the suspension, so
 *   it is decided, approved and recorded once. A tool run as a workflow step (`createStep(tool)`)
 *   suspends the workflow the same way (the step of the run is the call); answer with
 *   `run.resume({ step, resumeData: { approved } })`. With Mastra's storage and Writ's stores shared
 *   (`@mastra/pg`, `@writ/postgres`), the resume may happen in another process.
 *
 * Mastra's run, thread, resource, agent and workflow ids go into each decision record
 * (`call.framework.ids`). Calls run in the active `writ.task()` (call `agent.generate`/`stream` inside
 * it, and the resume inside `writ.task({ ..., resume: taskId })` of the task that asked), else in an
 * autonomous task. The tools are copied; the originals are not changed.
 *
 * @example
 * ```ts
 * import { Agent } from '@mastra/core/agent';
 *
 * const agent = new Agent({
 *   id: 'support', name: 'Support', instructions, model,
 *   tools: writTools({ lookup_order: lookupOrder, refund_order: refundOrder }, {
 *     writ,
 *     tools: {
 *       lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *       refund_order: { permission: 'orders:refund', risk: 'high' },
 *     },
 *   }),
 * });
 * const ticket = { requester: userToken, agent: 'support-bot', scope: ['orders:*'] };
 * const output = await writ.task(ticket, () => agent.generate('Refund order 42', { memory: { thread, resource } }));
 * const request = output.suspendPayload?.suspendPayload;
 * if (output.finishReason === 'suspended' && output.runId !== undefined && isWritApprovalRequest(request)) {
 *   // later, when the human approved: continue the task that asked
 *   await writ.task({ ...ticket, resume: request.taskId }, () =>
 *     agent.approveToolCallGenerate({ runId: output.runId, toolCallId: output.suspendPayload.toolCallId }),
 *   );
 * }
 * ```
 */
export function writTools<const T extends Readonly<Record<string, MastraTool>>>(
  tools: T,
  options?: WritToolsOptions<NoInfer<T>>,
): T {
  const parsed = parseAdapterOptions<WritToolsOptions>(options, 'writTools');
  validateOptions(ownKeys, options, 'writTools'); // no Mastra-specific options: refuse unknown keys
  if (typeof tools !== 'object' || tools === null) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'writTools: tools must be an object of Mastra tools');
  }
  // a hint for a tool that is not given (a typo) would leave the real tool on default facts
  checkToolHints(parsed.tools, Object.keys(tools), 'writTools');
  const out: Record<string, MastraTool> = {};
  for (const [name, tool] of Object.entries(tools)) out[name] = wrapTool(name, tool, parsed);
  return out as T;
}

function wrapTool(name: string, tool: MastraTool, options: AdapterOptions): MastraTool {
  const where = `writTools: tool "${name}"`;
  if (typeof tool !== 'object' || tool === null || typeof tool.execute !== 'function') {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${where} has no execute function (Writ can only gate tools it runs; provider-executed and client-side tools are not supported)`,
    );
  }
  if ((tool as Record<symbol, unknown>)[WRAPPED] === true) {
    throw new WritError('WRIT_OPTIONS_INVALID', `${where} is already wrapped by writTools`);
  }
  const own = { suspend: tool.suspendSchema, resume: tool.resumeSchema };
  for (const [what, schema] of Object.entries(own)) {
    if (schema !== undefined && !isStandardSchema(schema)) {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        `${where}: its ${what}Schema must be a Standard Schema (zod, or a createTool() tool)`,
      );
    }
  }
  const original = tool.execute as (input: unknown, context: unknown) => unknown;
  const adapted = adaptTool(
    FRAMEWORK,
    { name, description: tool.description, input: tool.inputSchema ?? tool.parameters },
    (args) => {
      const execution = executions.getStore();
      if (execution === undefined) {
        throw new WritError('WRIT_INTERNAL', `${where} ran outside its Mastra execution`);
      }
      execution.invoked = true;
      return Reflect.apply(original, tool, [args, execution.context]);
    },
    options,
  );
  const gate = new Gate(adapted);
  const execute = (input: unknown, context: unknown) => gate.execute(input, readCall(context));
  // a copy keeping the tool's class and own properties (Mastra recognises its tools by a marker on them)
  const copy = Object.create(Object.getPrototypeOf(tool)) as MastraTool;
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(tool);
  for (const key of Reflect.ownKeys(descriptors)) {
    const descriptor = descriptors[key as string] as PropertyDescriptor;
    descriptor.configurable = true; // a frozen tool's copy still takes Writ's execute and schemas
  }
  Object.defineProperties(copy, descriptors);
  const field = (value: unknown) => ({ value, writable: true, enumerable: true, configurable: true });
  Object.defineProperties(copy, {
    execute: field(execute),
    suspendSchema: field(combine(approvalRequestSchema, own.suspend)),
    resumeSchema: field(combine(approvalAnswerSchema, own.resume)),
    [WRAPPED]: { value: true },
  });
  return copy;
}

function combine(writ: SchemaWithJson, own: unknown): SchemaWithJson {
  // the tool's own schema first: its own suspensions keep validating (and transforming) as before
  return own === undefined ? writ : schemaUnion(own as SchemaWithJson, writ);
}
