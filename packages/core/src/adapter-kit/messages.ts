import type { Decision } from '../decision.js';
import { toWritError } from '../errors.js';
import type { ToolDefinition } from '../tool-definition.js';

/**
 * The text an adapter hands the model when Writ refuses a call: what was refused, why, and the error
 * code, so the model can explain it or try something else (and does not retry blindly). A call refused
 * because it already ran (`WRIT_ALREADY_EXECUTED`: a retried request, a resume that reached another
 * instance) did run, once: the model is told it was not run _again_, never that it did not run (which
 * would invite the user to ask for it a second time).
 *
 * @example
 * ```ts
 * refusalMessage(error);
 * // 'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): …. The tool was not run.'
 * // 'Refused by Writ (WRIT_ALREADY_EXECUTED): tool call call_1 already ran; …. The tool was not run again.'
 * ```
 */
export function refusalMessage(error: unknown): string {
  const e = toWritError(error, 'WRIT_INTERNAL');
  const ran = e.code === 'WRIT_ALREADY_EXECUTED';
  return `Refused by Writ (${e.code}): ${e.message}. The tool was not run${ran ? ' again' : ''}.`;
}

/** What an approver is told a call needs approval for. */
export function approvalMessage(def: ToolDefinition, decision: Decision): string {
  const because = decision.reasons.length > 0 ? `: ${decision.reasons.join('; ')}` : '';
  return `${def.name} needs human approval (${decision.engine})${because}`;
}
