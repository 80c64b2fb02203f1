import type { Context } from '@opentelemetry/api';
import type { Attribution } from '../attribution.js';
import { activeContext } from '../context.js';
import { WritError } from '../errors.js';
import { resolveConfig } from '../global.js';
import type { DelegateOptions } from '../task/task-options.js';
import type { Writ } from '../writ.js';

/**
 * A delegation to a sub-agent held open by an adapter: run the sub-agent's calls in `context`, and
 * `end()` it when the framework says the sub-agent is done.
 *
 * @example
 * ```ts
 * const delegation: OpenDelegation = await openDelegation(undefined, { agent: 'researcher', scope: ['Read'] });
 * await runInContext(delegation.context, () => adapted.run(args, { toolCallId }));
 * await delegation.end();
 * ```
 */
export interface OpenDelegation {
  /** The context inside the delegation: the sub-agent's attribution (chain, narrowed scope, task id). */
  readonly context: Context;
  readonly attribution: Attribution;
  /** Ends the delegation (its credentials revoked, `task-end` recorded); resolves once recorded. Idempotent. */
  end(): Promise<void>;
}

/**
 * Opens a delegation to a sub-agent of the active task (`writ.delegate`) and holds it open until
 * `end()`, for frameworks that start sub-agents themselves and report their work through callbacks
 * (Claude Code's `Task` / `Agent` tool, whose sub-agents may run in the background): the adapter opens
 * it where the framework hands work to the sub-agent, runs the sub-agent's tool calls in its `context`
 * (decided and recorded under its chain and narrowed scope), and ends it when the framework reports the
 * sub-agent stopped. The instance is `writ` when given, else the active task's, else the global one
 * (`WRIT_NOT_CONFIGURED` when there is none). Rejects like `writ.delegate` (`WRIT_NO_TASK` outside a
 * task, `WRIT_SCOPE_EXCEEDED` for a scope the task does not cover).
 *
 * @example
 * ```ts
 * import { openDelegation, runInContext } from '@writ/core/adapter';
 *
 * const delegation = await openDelegation(options.writ, { agent: 'researcher', scope: ['Read', 'Grep'], intent: 'Read the logs' });
 * framework.on('subagent-tool-call', (call) => runInContext(delegation.context, () => adapted.run(call.args, { toolCallId: call.id })));
 * framework.on('subagent-stop', () => delegation.end());
 * ```
 */
export async function openDelegation(
  writ: Writ | undefined,
  options: DelegateOptions,
): Promise<OpenDelegation> {
  const instance = resolveConfig(writ, 'openDelegation').writ as Writ | undefined;
  if (instance === undefined) {
    throw new WritError('WRIT_NOT_CONFIGURED', 'openDelegation: no Writ instance to delegate on');
  }
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let opened!: (value: { context: Context; attribution: Attribution }) => void;
  const inside = new Promise<{ context: Context; attribution: Attribution }>((resolve) => {
    opened = resolve;
  });
  const finished = instance.delegate(options, (task) => {
    opened({ context: activeContext(), attribution: task.attribution });
    return held;
  });
  const first = await Promise.race([inside, finished.then(() => undefined)]);
  if (first === undefined)
    throw new WritError('WRIT_INTERNAL', 'openDelegation: the delegation ended before it opened');
  return Object.freeze({
    context: first.context,
    attribution: first.attribution,
    end() {
      release();
      return finished;
    },
  });
}
