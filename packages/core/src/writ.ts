import type { Attribution } from './attribution.js';
import { type TaskState, tryGetTaskState } from './context.js';
import { WritError } from './errors.js';
import type { WritOptions } from './options.js';
import { type Invoke, type RunOptions, runCall } from './pipeline.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { type DelegateOptions, runTask, type TaskHandle, type TaskOptions } from './task.js';
import type { ExecuteOptions, ToolDefinition, ToolOptions, WritTool } from './tool.js';
import { defineTool } from './tool-definition.js';

/**
 * A configured Writ instance: makes tools, opens tasks and delegations.
 *
 * @example
 * ```ts
 * const writ = createWrit({ service: 'support', identity, policy, audit, approvals });
 * const lookup = writ.tool({ name: 'lookup_order', input: z.object({ orderId: z.string() }), risk: 'low', execute: ({ orderId }) => db.get(orderId) });
 * await writ.task({ requester: idToken, agent: 'support-bot', intent: 'Where is order 42?', scope: ['lookup_order'] }, () => lookup.execute({ orderId: '42' }));
 * ```
 */
export interface Writ {
  readonly service: string;
  /** Defines a tool whose every call passes through the pipeline. */
  tool<S extends StandardSchemaV1, R>(options: ToolOptions<S, R>): WritTool<S, R>;
  /** Runs `fn` as one task: verified requester, agent identity, task token, correlation id, evidence. */
  task<R>(options: TaskOptions, fn: (task: TaskHandle) => R): Promise<Awaited<R>>;
  /** Runs `fn` as a sub-agent of the current task, with scope narrowed (never widened). */
  delegate<R>(options: DelegateOptions, fn: (task: TaskHandle) => R): Promise<Awaited<R>>;
  /** Flushes the audit sink. */
  flush(): Promise<void>;
  /** Flushes and closes the audit sink. */
  close(): Promise<void>;
}

const RUNTIME = Symbol.for('writ.runtime');

/**
 * Creates a Writ instance. Every option is optional, but note the strict defaults of `@writ/core`
 * alone: without `policy` every call is denied, without `audit` every call is refused
 * (`WRIT_AUDIT_UNAVAILABLE`), without `approvals` calls needing approval are refused. Nothing runs
 * unjudged or unrecorded.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 * import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
 *
 * const writ = createWrit({
 *   service: 'support',
 *   policy: createInMemoryPolicy({ rules: [{ effect: 'allow', risk: ['low'] }] }),
 *   audit: createInMemoryAuditSink(),
 * });
 * ```
 */
export function createWrit(options?: WritOptions): Writ {
  const rt = createRuntime(options);
  const writ: Writ & { [RUNTIME]: Runtime } = {
    [RUNTIME]: rt,
    service: rt.service,
    tool<S extends StandardSchemaV1, R>(toolOptions: ToolOptions<S, R>): WritTool<S, R> {
      if (typeof toolOptions?.execute !== 'function') {
        throw new WritError('WRIT_OPTIONS_INVALID', 'writ.tool: options.execute: must be a function');
      }
      if (toolOptions.input === undefined) {
        throw new WritError('WRIT_OPTIONS_INVALID', 'writ.tool: options.input: a schema is required');
      }
      const def = defineTool(toolOptions as never, 'writ.tool');
      const execute = toolOptions.execute as Invoke;
      return Object.freeze({
        name: def.name,
        description: def.description,
        input: toolOptions.input,
        risk: def.risk,
        audience: def.audience,
        permission: def.permission,
        type: def.type,
        annotations: def.annotations,
        execute: (args: StandardSchemaV1.InferInput<S>, callOptions?: ExecuteOptions) =>
          callTool(rt, def, args, callOptions ?? {}, execute) as Promise<Awaited<R>>,
      });
    },
    task: (taskOptions, fn) => runTask(rt, 'task', taskOptions, fn),
    delegate: (delegateOptions, fn) => runTask(rt, 'delegate', delegateOptions, fn),
    async flush() {
      await rt.audit?.flush?.();
    },
    async close() {
      // a failed flush (disk full) must not leave the sink open: its files, timers and lock
      try {
        await rt.audit?.flush?.();
      } finally {
        await rt.audit?.close?.();
      }
    },
  };
  rt.writ = writ;
  return writ;
}

/** The runtime behind a Writ instance. @internal */
export function runtimeOf(writ: unknown): Runtime | undefined {
  return typeof writ === 'object' && writ !== null
    ? ((writ as Record<symbol, Runtime>)[RUNTIME] ?? undefined)
    : undefined;
}

/**
 * Runs a call in the active task, or as an autonomous task of its own when there is none (or refuses
 * it with `WRIT_NO_TASK` when `requireTask` is set: the refusal is still recorded).
 * @internal
 */
export function callTool(
  rt: Runtime,
  def: ToolDefinition,
  args: unknown,
  options: RunOptions,
  invoke: Invoke,
): Promise<unknown> {
  return inTask(rt, def, (task, refusal) => runCall(rt, task, def, args, options, invoke, refusal));
}

/**
 * Runs `fn` with the active task, or inside an autonomous task of its own when there is none. With
 * `requireTask` and no task, `fn` gets an orphan attribution and the `WRIT_NO_TASK` refusal to record.
 * @internal
 */
export function inTask<T>(
  rt: Runtime,
  def: ToolDefinition,
  fn: (task: TaskState, refusal?: WritError) => Promise<T>,
): Promise<T> {
  const task = tryGetTaskState();
  if (task !== undefined) return fn(task);
  if (rt.requireTask) {
    const attribution: Attribution = Object.freeze<Attribution>({
      taskId: rt.generateId(),
      correlationId: rt.generateId(),
      autonomous: true,
      chain: [{ kind: 'agent', id: rt.autonomousAgent, name: rt.autonomousAgent, assurance: 'asserted' }],
      scope: [],
    });
    const orphan: TaskState = { attribution, runtime: rt.writ };
    const refusal = new WritError(
      'WRIT_NO_TASK',
      `${def.name} was called outside writ.task() and requireTask is set`,
      {
        details: { tool: def.name },
      },
    );
    return fn(orphan, refusal);
  }
  return runTask(rt, 'autonomous', { agent: rt.autonomousAgent }, () => fn(tryGetTaskState() as TaskState));
}
