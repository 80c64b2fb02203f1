import type { Context } from '@opentelemetry/api';
import { type OpenDelegation, openDelegation } from '@writ/core/adapter';
import type { Call, Execute } from './calls.js';
import { isRecord, type ParsedOptions } from './options.js';

/** The sub-agent type a `Task` call starts (`general-purpose` when the model names none). @internal */
export function subagentType(args: Record<string, unknown>): string {
  const given = args.subagent_type;
  return typeof given === 'string' && given.length > 0 ? given : 'general-purpose';
}

/** The agent id of a sub-agent the `Task` call launched in the background (its result says so). */
function launchedInBackground(result: unknown): string | undefined {
  if (!isRecord(result) || result.status !== 'async_launched') return undefined;
  return typeof result.agentId === 'string' && result.agentId.length > 0 ? result.agentId : '';
}

/**
 * Sub-agents started by governed `Task` calls and the Writ delegation each runs in. A delegation opens
 * when Writ lets the `Task` call run and ends when the CLI reports the sub-agent stopped
 * (`SubagentStop`), or with the `Task` call when the sub-agent did not outlive it. The CLI tells a
 * sub-agent's hooks its `agent_id` and `agent_type`, not the `Task` call that started it: a new agent id
 * is bound to the oldest unbound delegation of its type (`SubagentStart`, or the `Task` result that
 * names it). @internal
 */
export class Subagents {
  readonly #waiting = new Map<string, OpenDelegation[]>();
  readonly #bound = new Map<string, OpenDelegation>();

  /** The delegation a sub-agent's calls run in (`undefined`: no governed `Task` call started it). */
  contextOf(agentId: string, agentType: string | undefined): Context | undefined {
    return this.#bind(agentId, agentType)?.context;
  }

  /** `SubagentStart`: the CLI names the sub-agent a `Task` call started. */
  started(agentId: string, agentType: string): void {
    this.#bind(agentId, agentType);
  }

  /** `SubagentStop`: the sub-agent is done; its delegation ends (recorded). */
  async stopped(agentId: string): Promise<void> {
    const delegation = this.#bound.get(agentId);
    this.#bound.delete(agentId);
    await delegation?.end();
  }

  /** Ends every delegation still open (the session ended). */
  async endAll(): Promise<void> {
    const open = [...this.#bound.values(), ...[...this.#waiting.values()].flat()];
    this.#bound.clear();
    this.#waiting.clear();
    await Promise.allSettled(open.map((d) => d.end()));
  }

  #bind(agentId: string, agentType: string | undefined): OpenDelegation | undefined {
    const bound = this.#bound.get(agentId);
    if (bound !== undefined) return bound;
    const delegation = this.#waiting.get(agentType ?? 'general-purpose')?.shift();
    if (delegation !== undefined) this.#bound.set(agentId, delegation);
    return delegation;
  }

  #unwait(type: string, delegation: OpenDelegation): boolean {
    const queue = this.#waiting.get(type) ?? [];
    const at = queue.indexOf(delegation);
    if (at >= 0) queue.splice(at, 1);
    return at >= 0;
  }

  /** How a governed `Task` call runs: a delegation opened before the CLI may start the sub-agent. */
  execute(call: Call, options: ParsedOptions): Execute {
    const type = subagentType(call.args);
    const given = options.subagent?.(type, call.args) ?? {};
    const description = typeof call.args.description === 'string' ? call.args.description : undefined;
    const intent = given.intent ?? description;
    return async (outcome, ready) => {
      const delegation = await openDelegation(options.adapter.writ, {
        agent: given.agent ?? type,
        ...(given.scope === undefined ? {} : { scope: given.scope }),
        ...(intent === undefined ? {} : { intent }),
      });
      const queue = this.#waiting.get(type) ?? [];
      queue.push(delegation);
      this.#waiting.set(type, queue);
      ready();
      let result: unknown;
      try {
        result = await outcome;
      } catch (error) {
        this.#unwait(type, delegation);
        await delegation.end();
        throw error;
      }
      const agentId = launchedInBackground(result);
      if (agentId === undefined) {
        // the sub-agent worked within the call: it is done
        this.#unwait(type, delegation);
        for (const [id, d] of this.#bound) if (d === delegation) this.#bound.delete(id);
        await delegation.end();
      } else if (agentId !== '' && this.#unwait(type, delegation)) {
        this.#bound.set(agentId, delegation);
      }
      return result;
    };
  }
}
