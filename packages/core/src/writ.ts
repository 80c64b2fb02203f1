import type { Attribution } from './attribution.js';
import { type Config, createConfig } from './config.js';
import { type TaskState, tryGetTaskState } from './context.js';
import { WritError } from './errors.js';
import type { WritOptions } from './options.js';
import { runCall } from './pipeline/run.js';
import type { Invoke, RunOptions } from './pipeline/state.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { runTask } from './task/run-task.js';
import type { DelegateOptions, TaskHandle, TaskOptions } from './task/task-options.js';
import type { ExecuteOptions, ToolOptions, WritTool } from './tool.js';
import { defineTool, type ToolDefinition } from './tool-definition.js';

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

const CONFIG = Symbol.for('writ.config');

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
  const config = createConfig(options);
  const writ: Writ & { [CONFIG]: Config } = {
    [CONFIG]: config,
    service: config.service,
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
          callTool(config, def, args, callOptions ?? {}, execute) as Promise<Awaited<R>>,
      });
    },
    task: (taskOptions, fn) => runTask(config, 'task', taskOptions, fn),
    delegate: (delegateOptions, fn) => runTask(config, 'delegate', delegateOptions, fn),
    async flush() {
      await config.audit?.flush?.();
    },
    async close() {
      // a failed flush (disk full) must not leave the sink open: its files, timers and lock
      try {
        await config.audit?.flush?.();
      } finally {
        await config.audit?.close?.();
      }
    },
  };
  config.writ = writ;
  return writ;
}

/** The configuration behind a Writ instance (`undefined` for anything `createWrit` did not return). */
export function configOf(writ: unknown): Config | undefined {
  return typeof writ === 'object' && writ !== null
    ? ((writ as Record<symbol, Config>)[CONFIG] ?? undefined)
    : undefined;
}

/**
 * Runs a call in the active task, or as an autonomous task of its own when there is none (or refuses
 * it with `WRIT_NO_TASK` when `requireTask` is set: the refusal is still recorded).
 * @internal
 */
export function callTool(
  config: Config,
  def: ToolDefinition,
  args: unknown,
  options: RunOptions,
  invoke: Invoke,
): Promise<unknown> {
  return inTask(config, def, (task, refusal) => runCall(config, task, def, args, options, invoke, refusal));
}

/**
 * Runs `fn` with the active task, or inside an autonomous task of its own when there is none. With
 * `requireTask` and no task, `fn` gets an orphan attribution and the `WRIT_NO_TASK` refusal to record.
 * @internal
 */
export function inTask<T>(
  config: Config,
  def: ToolDefinition,
  fn: (task: TaskState, refusal?: WritError) => Promise<T>,
): Promise<T> {
  const task = tryGetTaskState();
  if (task !== undefined) return fn(task);
  if (config.requireTask) {
    const attribution: Attribution = Object.freeze<Attribution>({
      taskId: config.generateId(),
      correlationId: config.generateId(),
      autonomous: true,
      chain: [
        { kind: 'agent', id: config.autonomousAgent, name: config.autonomousAgent, assurance: 'asserted' },
      ],
      scope: [],
    });
    const orphan: TaskState = { attribution, writ: config.writ };
    const refusal = new WritError(
      'WRIT_NO_TASK',
      `${def.name} was called outside writ.task() and requireTask is set`,
      {
        details: { tool: def.name },
      },
    );
    return fn(orphan, refusal);
  }
  return runTask(config, 'autonomous', { agent: config.autonomousAgent }, () =>
    fn(tryGetTaskState() as TaskState),
  );
}
