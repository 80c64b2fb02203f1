import type { Context } from '@opentelemetry/api';
import { activeContext, delegateTo } from '@writ/core/adapter';
import type { Call, Execute } from './calls.js';
import type { ParsedOptions } from './options.js';

/** The sub-agent type a `Task` call starts (`general-purpose` when the model names none). @internal */
export function subagentType(args: Record<string, unknown>): string {
  const given = args.subagent_type;
  return typeof given === 'string' && given.length > 0 ? given : 'general-purpose';
}

/**
 * Sub-agents started by governed `Task` calls and the delegation each runs in. The CLI tells the
 * sub-agent's hooks its `agent_id` and `agent_type`, not the `Task` call that started it: a new agent id
 * is bound to the oldest open delegation of its type. @internal
 */
export class Subagents {
  readonly #waiting = new Map<string, Context[]>();
  readonly #bound = new Map<string, Context>();

  /** The delegation a sub-agent's calls run in (`undefined`: no governed `Task` call started it). */
  contextOf(agentId: string, agentType: string | undefined): Context | undefined {
    const bound = this.#bound.get(agentId);
    if (bound !== undefined) return bound;
    const queue = this.#waiting.get(agentType ?? 'general-purpose');
    const context = queue?.shift();
    if (context !== undefined) this.#bound.set(agentId, context);
    return context;
  }

  /** How a governed `Task` call runs: a Writ delegation open for as long as the sub-agent works. */
  execute(call: Call, options: ParsedOptions): Execute {
    const type = subagentType(call.args);
    const given = options.subagent?.(type, call.args) ?? {};
    const description = typeof call.args.description === 'string' ? call.args.description : undefined;
    const intent = given.intent ?? description;
    return (outcome, ready) =>
      delegateTo(
        options.adapter.writ,
        {
          agent: given.agent ?? type,
          ...(given.scope === undefined ? {} : { scope: given.scope }),
          ...(intent === undefined ? {} : { intent }),
        },
        async () => {
          const context = activeContext();
          const queue = this.#waiting.get(type) ?? [];
          queue.push(context);
          this.#waiting.set(type, queue);
          ready();
          try {
            return await outcome;
          } finally {
            const at = queue.indexOf(context);
            if (at >= 0) queue.splice(at, 1);
            for (const [id, bound] of this.#bound) if (bound === context) this.#bound.delete(id);
          }
        },
      );
  }
}
