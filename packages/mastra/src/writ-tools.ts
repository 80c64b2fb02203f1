import { AsyncLocalStorage } from 'node:async_hooks';
import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  type AdapterOptions,
  adaptTool,
  answeredApproval,
  type CallCheck,
  checkToolHints,
  modelRefusal,
  parseAdapterOptions,
  type SchemaArgs,
  type ToolArgsMap,
} from '@writ/core/adapter';
import { isStandardSchema, validateOptions } from '@writ/core/internal';
import { digest } from '@writ/core/plugin';
import { z } from 'zod';
import {
  approvalAnswerSchema,
  approvalRequestSchema,
  WRIT_APPROVAL_REQUEST,
  type WritApprovalRequest,
} from './approval-flow.js';
import { type SchemaWithJson, schemaUnion } from './schema-union.js';

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

/** What Mastra hands a tool's `execute`: `createTool` tools get the agent facts under `agent`. */
interface AgentFacts {
  readonly agentId?: unknown;
  readonly toolCallId?: unknown;
  readonly threadId?: unknown;
  readonly resourceId?: unknown;
  readonly suspend?: unknown;
  readonly resumeData?: unknown;
  readonly suspendPayload?: unknown;
}
interface MastraContext extends AgentFacts {
  readonly agent?: AgentFacts | undefined;
  readonly workflow?: { readonly runId?: unknown; readonly workflowId?: unknown } | undefined;
  readonly runId?: unknown;
  readonly abortSignal?: unknown;
}

type Suspend = (payload: unknown) => Promise<unknown>;

/** One execution of a wrapped tool, as Mastra described it. */
interface Call {
  readonly context: MastraContext;
  /** Where Mastra put the agent facts: `context.agent` (Mastra tools) or `context` (AI SDK tools). */
  readonly facts: AgentFacts;
  readonly toolCallId: string | undefined;
  readonly suspend: Suspend | undefined;
  readonly resumeData: unknown;
  readonly suspendPayload: unknown;
  readonly base: Pick<AdaptedRunOptions, 'signal' | 'frameworkIds'>;
}

/** What the tool's own `execute` gets for the execution in flight, and whether it ran. */
interface Execution {
  readonly context: unknown;
  invoked: boolean;
}

const executions = new AsyncLocalStorage<Execution>();
const ownKeys = z.strictObject({ writ: z.unknown(), tools: z.unknown(), defaults: z.unknown() }).partial();
const WRAPPED = Symbol.for('writ.mastra.tool');

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

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
 *   it is decided, approved and recorded once.
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

function readCall(context: unknown): Call {
  const ctx = (typeof context === 'object' && context !== null ? context : {}) as MastraContext;
  const facts: AgentFacts = typeof ctx.agent === 'object' && ctx.agent !== null ? ctx.agent : ctx;
  const ids: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    if (str(value)) ids[key] = value;
  };
  put('runId', ctx.runId ?? ctx.workflow?.runId);
  put('threadId', facts.threadId);
  put('resourceId', facts.resourceId);
  put('agentId', facts.agentId);
  put('workflowId', ctx.workflow?.workflowId);
  const signal = ctx.abortSignal instanceof AbortSignal ? ctx.abortSignal : undefined;
  return {
    context: ctx,
    facts,
    toolCallId: str(facts.toolCallId) ? facts.toolCallId : undefined,
    suspend: typeof facts.suspend === 'function' ? (facts.suspend as Suspend) : undefined,
    resumeData: facts.resumeData,
    suspendPayload: facts.suspendPayload,
    base: {
      ...(signal === undefined ? {} : { signal }),
      ...(Object.keys(ids).length === 0 ? {} : { frameworkIds: ids }),
    },
  };
}

/**
 * The context the tool's own `execute` gets: Mastra's, with the resume data and payload of this
 * execution (`resume`), or none when the execution is not resuming one of the tool's own suspensions
 * (Writ's approval answer is not the tool's business).
 */
function toolContext(call: Call, resume: { data: unknown; payload?: unknown } | undefined): unknown {
  const facts = { ...call.facts, resumeData: resume?.data, suspendPayload: resume?.payload };
  return call.facts === call.context ? facts : { ...call.context, agent: facts };
}

/** A tool call id per execution of a tool that suspends itself: each resume is its own call. */
function resumedCallId(toolCallId: string, resumeData: unknown): string {
  return `${toolCallId}:resume:${digest(resumeData).slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

/** Translates one Mastra execution into `check` / `run` / `reject` of the adapted tool. */
class Gate {
  readonly #tool: AdaptedTool;

  constructor(tool: AdaptedTool) {
    this.#tool = tool;
  }

  async execute(input: unknown, call: Call): Promise<unknown> {
    if (call.toolCallId === undefined) {
      // not an agent tool call (a workflow step, a direct call): no id to suspend on, nothing to
      // resume; approvals go to the Writ instance's approval handler
      return this.#run(input, toolContext(call, ownResume(call)), call.base);
    }
    const resuming = call.resumeData !== undefined && call.resumeData !== null;
    const pending = resuming ? approvalRequestSchema.safeParse(call.suspendPayload) : undefined;
    if (pending?.success === true) return this.#answer(pending.data, call, call.toolCallId);
    if (resuming) {
      const resume = { data: call.resumeData, payload: call.suspendPayload };
      return this.#gate(input, call, resumedCallId(call.toolCallId, call.resumeData), resume);
    }
    return this.#gate(input, call, call.toolCallId, undefined);
  }

  async #gate(
    args: unknown,
    call: Call,
    toolCallId: string,
    resume: WritApprovalRequest['resume'],
  ): Promise<unknown> {
    const check: CallCheck = await this.#tool.check(args, { toolCallId, ...call.base });
    if (check.effect === 'deny') throw modelRefusal(check.error);
    if (check.effect === 'approval_required' && call.suspend !== undefined) {
      const request: WritApprovalRequest = {
        type: WRIT_APPROVAL_REQUEST,
        taskId: check.taskId,
        tool: this.#tool.name,
        args,
        message: check.message,
        decisionId: check.decision.decisionId,
        bindingHash: check.bindingHash,
        expiresAt: check.expiresAt,
        policyIds: [...check.decision.policyIds],
        reasons: [...check.decision.reasons],
        ...(resume === undefined ? {} : { resume }),
      };
      await call.suspend(request);
      return undefined;
    }
    return this.#run(args, toolContext(call, resume), { ...call.base, toolCallId });
  }

  async #answer(request: WritApprovalRequest, call: Call, id: string): Promise<unknown> {
    const parsed = approvalAnswerSchema.safeParse(call.resumeData);
    const answer = parsed.success
      ? parsed.data
      : { approved: false, reason: 'the answer to the approval request was malformed' };
    // the arguments Writ decided on (Mastra resumes with the model's raw ones); the call ledger
    // refuses them unless they are exactly those
    const args = request.args;
    const toolCallId = request.resume === undefined ? id : resumedCallId(id, request.resume.data);
    const approval = answeredApproval(answer);
    if (approval.approved) {
      return this.#run(args, toolContext(call, request.resume), { ...call.base, toolCallId, approval });
    }
    const { approver, reason } = approval;
    const refusal = await this.#tool.reject(args, {
      toolCallId,
      ...call.base,
      ...(approver === undefined ? {} : { approver }),
      ...(reason === undefined ? {} : { reason }),
    });
    throw modelRefusal(
      refusal ??
        new WritError(
          'WRIT_APPROVAL_REJECTED',
          `${this.#tool.name} was not approved${reason === undefined ? '' : `: ${reason}`}`,
          { details: { tool: this.#tool.name, why: 'no_pending_approval' } },
        ),
    );
  }

  async #run(args: unknown, context: unknown, options: AdaptedRunOptions): Promise<unknown> {
    const execution: Execution = { context, invoked: false };
    try {
      return await executions.run(execution, () => this.#tool.run(args, options));
    } catch (error) {
      // Writ's refusals go to the model as refusal messages; the tool's own errors stay as they are
      if (!execution.invoked && WritError.isInstance(error)) throw modelRefusal(error);
      throw error;
    }
  }
}

function ownResume(call: Call): WritApprovalRequest['resume'] {
  return call.resumeData === undefined || call.resumeData === null
    ? undefined
    : { data: call.resumeData, payload: call.suspendPayload };
}
