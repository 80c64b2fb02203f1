import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import { type CallOptions, checkDecision, type DecisionEffect, type PolicyEngine } from '@writ/core/plugin';
import { z } from 'zod';

/**
 * An engine's answer, or why there is none.
 *
 * @internal
 * @example
 * ```ts
 * const settled: Settled = { ok: false, error: new WritError('WRIT_PDP_UNAVAILABLE', 'opa is down') };
 * ```
 */
export type Settled =
  | { readonly ok: true; readonly decision: Decision }
  | { readonly ok: false; readonly error: WritError };

/**
 * How permissive an effect is: a combination is never more permissive than its least permissive part.
 *
 * @internal
 * @example
 * ```ts
 * PERMISSIVENESS.deny < PERMISSIVENESS.approval_required; // true
 * ```
 */
export const PERMISSIVENESS: Readonly<Record<DecisionEffect, number>> = Object.freeze({
  deny: 0,
  approval_required: 1,
  allow: 2,
});

/**
 * Asks one engine, never throwing: a throw (sync or async) becomes a `WRIT_PDP_UNAVAILABLE` error (a
 * `WritError` thrown by the engine is kept as it is). The answer is checked as the pipeline checks it
 * (`checkDecision`): a malformed decision is a `WRIT_PDP_UNAVAILABLE` error, a missing `decisionId` /
 * `engine` / `evaluatedContext` is filled in, and an answer carrying `errors` is a deny.
 *
 * @internal
 * @example
 * ```ts
 * const settled = await settleDecision(cedar, request, { signal }, uuidv7);
 * if (!settled.ok) console.log(settled.error.code);
 * ```
 */
export async function settleDecision(
  engine: PolicyEngine,
  request: AuthorizationRequest,
  options: CallOptions,
  generateId: () => string,
): Promise<Settled> {
  try {
    const raw = await engine.decide(request, options);
    return { ok: true, decision: checkDecision(raw, { engine: engine.name, request, generateId }) };
  } catch (error) {
    return {
      ok: false,
      error: WritError.isInstance(error)
        ? error
        : new WritError(
            'WRIT_PDP_UNAVAILABLE',
            `policy engine "${engine.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
    };
  }
}

/**
 * The deny the pipeline would record for a failed engine: no policy ids, the error as reason and error.
 *
 * @internal
 * @example
 * ```ts
 * const recorded = failedDecision(candidate, request, settled.error, uuidv7());
 * ```
 */
export function failedDecision(
  engine: PolicyEngine,
  request: AuthorizationRequest,
  error: WritError,
  decisionId: string,
): Decision {
  const message = `${error.code}: ${error.message}`;
  return {
    effect: 'deny',
    policyIds: [],
    reasons: [message],
    decisionId,
    engine: engine.name,
    evaluatedContext: request,
    errors: [message],
  };
}

/**
 * zod schema of a policy engine argument.
 *
 * @internal
 * @example
 * ```ts
 * z.array(policyEngineSchema).min(1).parse(engines);
 * ```
 */
export const policyEngineSchema = z.custom<PolicyEngine>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as PolicyEngine).name === 'string' &&
    typeof (v as PolicyEngine).decide === 'function',
  { message: 'must be a PolicyEngine ({ name, decide })' },
);

/**
 * Checks a positional engine argument, throwing `WRIT_OPTIONS_INVALID` naming the function and argument.
 *
 * @internal
 * @example
 * ```ts
 * assertEngine(enforced, 'shadow', 'enforced');
 * ```
 */
export function assertEngine(value: unknown, fn: string, argument: string): asserts value is PolicyEngine {
  if (!policyEngineSchema.safeParse(value).success) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${fn}: ${argument} must be a PolicyEngine ({ name, decide })`,
    );
  }
}
