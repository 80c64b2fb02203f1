import type { Decision } from '../decision.js';
import { toWritError } from '../errors.js';
import type { ToolDefinition } from '../tool-definition.js';

/**
 * The text an adapter hands the model when Writ refuses a call: what was refused, why, and the error
 * code, so the model can explain it or try something else (and does not retry blindly). A call that
 * already ran in another process (`WRIT_ALREADY_EXECUTED`: a node re-run on another replica) is not a
 * refusal: the text says it ran once, gives its result digest, and that it was not run again.
 *
 * @example
 * ```ts
 * refusalMessage(error);
 * // 'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): …. The tool was not run.'
 * refusalMessage(alreadyRan);
 * // 'Writ (WRIT_ALREADY_EXECUTED): tool call call_7f3a already ran in another process; …. It was not run again.'
 * ```
 */
export function refusalMessage(error: unknown): string {
  const e = toWritError(error, 'WRIT_INTERNAL');
  if (e.code === 'WRIT_ALREADY_EXECUTED') {
    const digest = typeof e.details.resultDigest === 'string' ? ` (${e.details.resultDigest})` : '';
    return `Writ (${e.code}): ${e.message}${digest}. It was not run again.`;
  }
  return `Refused by Writ (${e.code}): ${e.message}. The tool was not run.`;
}

/** What an approver is told a call needs approval for. */
export function approvalMessage(def: ToolDefinition, decision: Decision): string {
  const because = decision.reasons.length > 0 ? `: ${decision.reasons.join('; ')}` : '';
  return `${def.name} needs human approval (${decision.engine})${because}`;
}
