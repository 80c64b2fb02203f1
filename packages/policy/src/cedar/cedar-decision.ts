import type { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthorizationRequest, Decision } from '@writ/core';
import { VERIFIED_APPROVER } from '@writ/core/plugin';
import { type CedarContextExtension, toCedarRequest } from './cedar-model.js';
import { cedarWasm } from './cedar-wasm.js';
import type { CedarPolicySet } from './policy-set.js';

/**
 * Options of {@link decideWithCedar}.
 *
 * @internal
 * @example
 * ```ts
 * const options: DecideWithCedarOptions = { engine: 'cedar', decisionId: uuidv7() };
 * ```
 */
export interface DecideWithCedarOptions {
  /** The engine's name, the decision's `engine`. */
  readonly engine: string;
  readonly decisionId: string;
  readonly extendContext?: CedarContextExtension | undefined;
}

/**
 * One Cedar evaluation of a request against a preparsed set (`validateRequest` whenever the set has a
 * schema), as a Writ decision:
 * - any evaluation error (Cedar skips a policy that errors, which could turn a forbid into an allow), a
 *   request Cedar refuses, or an exception is a `deny` with the errors recorded;
 * - `deny` with no determining policy says no policy permits the call; otherwise the `@reason`
 *   annotations of the determining policies are the reasons;
 * - an allow determined by a permit annotated `@approval("required")` is `approval_required`;
 *   `@approval("verified")` asks the same of a verified approver (the `writ:verified-approver` obligation).
 * Policy ids (`<file>#<@id>`) are sorted; every decision carries the set's `policySetDigest`. Never throws.
 *
 * @internal
 * @example
 * ```ts
 * const decision = decideWithCedar(set, request, { engine: 'cedar', decisionId: uuidv7() });
 * ```
 */
export function decideWithCedar(
  set: CedarPolicySet,
  request: AuthorizationRequest,
  options: DecideWithCedarOptions,
): Decision {
  let answer: CedarAnswer;
  try {
    answer = cedarWasm().statefulIsAuthorized(cedarCall(set, request, options.extendContext));
  } catch (error) {
    answer = failedAnswer(error);
  }
  return cedarDecision(set, request, answer, options);
}

/** What `statefulIsAuthorized` answers. @internal */
export type CedarAnswer = ReturnType<typeof statefulIsAuthorized>;

/** The `statefulIsAuthorized` call for a request against a preparsed set (may throw). @internal */
export function cedarCall(
  set: CedarPolicySet,
  request: AuthorizationRequest,
  extendContext: CedarContextExtension | undefined,
): Parameters<typeof statefulIsAuthorized>[0] {
  return {
    ...toCedarRequest(request, extendContext),
    preparsedPolicySetId: set.setId,
    ...(set.schemaName === undefined ? {} : { preparsedSchemaName: set.schemaName }),
    validateRequest: set.schemaName !== undefined,
  };
}

/** An exception thrown on the way to an answer, as a failed answer (a deny). @internal */
export function failedAnswer(error: unknown): CedarAnswer {
  return {
    type: 'failure',
    errors: [{ message: error instanceof Error ? error.message : String(error) }],
  } as unknown as CedarAnswer;
}

/**
 * Cedar's answer as a Writ decision: the one interpretation of an answer, whether Cedar ran in this
 * thread or in a worker of the pool. @internal
 */
export function cedarDecision(
  set: CedarPolicySet,
  request: AuthorizationRequest,
  answer: CedarAnswer,
  options: DecideWithCedarOptions,
): Decision {
  const { engine, decisionId } = options;
  const deny = (errors: string[], policyIds: readonly string[] = []): Decision => ({
    effect: 'deny',
    policyIds,
    reasons: ['the policy evaluation failed; failing closed'],
    decisionId,
    engine,
    evaluatedContext: request,
    errors,
    policySetDigest: set.digest,
  });
  if (answer.type === 'failure') return deny(answer.errors.map((e) => e.message));
  const { decision, diagnostics } = answer.response;
  const policyIds = [...diagnostics.reason].sort();
  if (diagnostics.errors.length > 0) {
    return deny(
      diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
      policyIds,
    );
  }
  const notes = policyIds.map((id) => set.loaded.annotations.get(id) ?? {});
  const reasons = notes.flatMap((n) => (n.reason === undefined ? [] : [n.reason]));
  if (decision === 'deny') {
    return {
      effect: 'deny',
      policyIds,
      reasons: policyIds.length === 0 ? ['no policy permits this call (Cedar denies by default)'] : reasons,
      decisionId,
      engine,
      evaluatedContext: request,
      policySetDigest: set.digest,
    };
  }
  const approval = notes.some((n) => n.approval === 'required' || n.approval === 'verified');
  const verified = notes.some((n) => n.approval === 'verified');
  return {
    effect: approval ? 'approval_required' : 'allow',
    policyIds,
    reasons,
    decisionId,
    engine,
    evaluatedContext: request,
    ...(verified ? { obligations: [{ id: VERIFIED_APPROVER }] } : {}),
    policySetDigest: set.digest,
  };
}
