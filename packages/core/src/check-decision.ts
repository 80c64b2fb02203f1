import type { AuthorizationRequest, Decision } from './decision.js';
import { WritError } from './errors.js';

/**
 * Options of {@link checkDecision}.
 *
 * @example
 * ```ts
 * const options: CheckDecisionOptions = { engine: 'cedar', request, generateId: () => crypto.randomUUID() };
 * ```
 */
export interface CheckDecisionOptions {
  /** Name of the engine that answered, for messages and as the decision's `engine` when it names none. */
  readonly engine: string;
  /** The request the engine was asked; kept as `evaluatedContext` when the engine returns none. */
  readonly request: AuthorizationRequest;
  /** Makes a `decisionId` when the engine returns none. */
  readonly generateId: () => string;
}

const EFFECTS: ReadonlySet<string> = new Set(['allow', 'deny', 'approval_required']);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * What a policy engine answered, checked before anything trusts it: a malformed answer is refused
 * (`WRIT_PDP_UNAVAILABLE`, reason `malformed_decision`), a missing `decisionId`, `engine` or
 * `evaluatedContext` is filled in, and an answer that reports evaluation errors is a deny whatever its
 * effect (fail closed). The pipeline checks every decision this way; combinators check their engines'.
 *
 * @example
 * ```ts
 * const decision = checkDecision(await engine.decide(request, { signal }), {
 *   engine: engine.name,
 *   request,
 *   generateId: uuid,
 * });
 * ```
 */
export function checkDecision(raw: unknown, options: CheckDecisionOptions): Decision {
  const d = raw as Partial<Decision> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    !EFFECTS.has(d.effect as string) ||
    !isStrings(d.policyIds) ||
    !isStrings(d.reasons) ||
    (d.errors !== undefined && !isStrings(d.errors)) ||
    (d.obligations !== undefined && !Array.isArray(d.obligations))
  ) {
    throw new WritError(
      'WRIT_PDP_UNAVAILABLE',
      `policy engine "${options.engine}" returned a malformed decision`,
      { details: { engine: options.engine, reason: 'malformed_decision' } },
    );
  }
  const decision: Decision = {
    ...(d as Decision),
    decisionId:
      typeof d.decisionId === 'string' && d.decisionId.length > 0 ? d.decisionId : options.generateId(),
    engine: typeof d.engine === 'string' && d.engine.length > 0 ? d.engine : options.engine,
    evaluatedContext: d.evaluatedContext ?? options.request,
  };
  if (decision.errors !== undefined && decision.errors.length > 0 && decision.effect !== 'deny') {
    return {
      ...decision,
      effect: 'deny',
      reasons: [...decision.reasons, 'the policy engine reported evaluation errors'],
    };
  }
  return decision;
}
