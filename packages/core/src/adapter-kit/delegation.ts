import { WritError } from '../errors.js';
import { resolveConfig } from '../global.js';
import type { DelegateOptions, TaskHandle } from '../task/task-options.js';
import type { Writ } from '../writ.js';

/**
 * Runs `fn` as a delegation to a sub-agent of the active task (`writ.delegate`), on the adapter's
 * instance: `writ` when given, else the active task's, else the global one (`WRIT_NOT_CONFIGURED` when
 * there is none). For frameworks that start sub-agents themselves (Claude Code's `Task` tool, agents as
 * tools): the adapter opens the delegation where the framework hands work to the sub-agent, and the
 * sub-agent's tool calls, run inside it, are decided and recorded under its narrowed scope and chain.
 *
 * @example
 * ```ts
 * import { delegateTo } from '@writ/core/adapter';
 *
 * // inside a governed call of the framework's "run a sub-agent" tool
 * const result = await delegateTo(options.writ, { agent: 'researcher', scope: ['Read', 'Grep'] }, () =>
 *   runSubAgent(prompt),
 * );
 * ```
 */
export function delegateTo<R>(
  writ: Writ | undefined,
  options: DelegateOptions,
  fn: (task: TaskHandle) => R,
): Promise<Awaited<R>> {
  try {
    const instance = resolveConfig(writ, 'delegateTo').writ as Writ | undefined;
    if (instance === undefined) {
      throw new WritError('WRIT_NOT_CONFIGURED', 'delegateTo: no Writ instance to delegate on');
    }
    return instance.delegate(options, fn);
  } catch (error) {
    return Promise.reject(error);
  }
}
