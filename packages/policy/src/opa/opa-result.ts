import { WritError } from '@writ/core';
import { formatIssues } from '@writ/core/internal';
import { canonicalJson, type DecisionEffect, type Obligation } from '@writ/core/plugin';
import { z } from 'zod';
import { isJsonObject } from '../pdp/pdp-answer.js';

/**
 * The object a Rego policy may produce instead of a bare boolean. Query the package
 * (`path: 'writ/authz'`) and OPA answers every rule of it as one object; the keys below are read, any
 * other key (helper rules) is ignored. A key that is present with the wrong type is a fault
 * (`WRIT_PDP_UNAVAILABLE`), never a silent default.
 *
 * | key | type | meaning |
 * | --- | --- | --- |
 * | `allow` | boolean, required | `false` ⇒ `deny` whatever else is set |
 * | `approval_required` | boolean | with `allow: true` ⇒ `approval_required` (a human must approve) |
 * | `reasons` | string[] | recorded as the decision's reasons |
 * | `policy_ids` / `policyIds` | string[] | recorded as the decision's policy ids (both merged); default: the queried path |
 * | `obligations` | `{ id: string, attributes?: object }[]` | passed on as the decision's obligations |
 *
 * A package that answers with such a document:
 *
 * ```rego
 * package writ.authz
 *
 * default allow := false
 * allow if input.action.properties.risk != "high"
 * allow if { input.action.properties.risk == "high"; input.context.inScope }
 * approval_required if input.action.properties.risk == "high"
 * reasons contains "high-risk tools need a human approval" if approval_required
 * policy_ids contains "writ.authz.high_risk" if approval_required
 * ```
 *
 * @example
 * ```ts
 * // what the package above answers for an in-scope call of a high-risk tool
 * const doc: OpaDecisionDocument = {
 *   allow: true,
 *   approval_required: true,
 *   reasons: ['high-risk tools need a human approval'],
 *   policy_ids: ['writ.authz.high_risk'],
 * };
 * const policy = createOpaEngine({ url: 'http://localhost:8181', path: 'writ/authz' });
 * ```
 */
export interface OpaDecisionDocument {
  readonly allow: boolean;
  readonly approval_required?: boolean | undefined;
  readonly reasons?: readonly string[] | undefined;
  readonly policy_ids?: readonly string[] | undefined;
  readonly policyIds?: readonly string[] | undefined;
  readonly obligations?: readonly Obligation[] | undefined;
}

const strings = z.array(z.string().max(4096)).max(1024);

/** Unknown keys are dropped (a package document carries its helper rules too). */
const documentSchema = z.object({
  allow: z.boolean(),
  approval_required: z.boolean().optional(),
  reasons: strings.optional(),
  policy_ids: strings.optional(),
  policyIds: strings.optional(),
  obligations: z
    .array(
      z.object({
        id: z.string().min(1).max(1024),
        attributes: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .max(1024)
    .optional(),
});

/**
 * What the engine makes of one 2xx Data API answer.
 *
 * @internal
 * @example
 * ```ts
 * const answer: OpaAnswer = { effect: 'deny', policyIds: ['writ/authz/allow'], reasons: ['OPA document writ/authz/allow is false'] };
 * ```
 */
export interface OpaAnswer {
  readonly effect: DecisionEffect;
  readonly policyIds: readonly string[];
  readonly reasons: readonly string[];
  readonly obligations?: readonly Obligation[] | undefined;
  readonly errors?: readonly string[] | undefined;
  /** OPA's `decision_id`, when decision logging is on. */
  readonly decisionId?: string | undefined;
}

/**
 * Where the answer came from, for messages and default policy ids.
 *
 * @internal
 * @example
 * ```ts
 * const context: OpaAnswerContext = { path: 'writ/authz', endpoint: 'http://127.0.0.1:8181/v1/data/writ/authz', status: 200 };
 * ```
 */
export interface OpaAnswerContext {
  readonly path: string;
  readonly endpoint: string;
  readonly status: number;
}

/** Prefix of the reason that records OPA's `provenance` (`provenance:{…canonical JSON…}`). */
const PROVENANCE_REASON_PREFIX = 'provenance:';

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * The fault for a 2xx answer that breaks the Data API contract or the documented result shape.
 *
 * @internal
 * @example
 * ```ts
 * throw invalidOpaAnswer(context, 'the body is not a JSON object');
 * ```
 */
export function invalidOpaAnswer(
  context: OpaAnswerContext,
  problem: string,
  extra: Record<string, unknown> = {},
): WritError {
  return new WritError('WRIT_PDP_UNAVAILABLE', `OPA answered an invalid response: ${problem}`, {
    details: {
      endpoint: context.endpoint,
      status: context.status,
      path: context.path,
      reason: 'invalid_response',
      problem,
      ...extra,
    },
  });
}

/**
 * Reads a 2xx Data API body (`{ result?, decision_id?, provenance?, metrics?, warning? }`) into an
 * effect, policy ids, reasons and obligations:
 * - `result: true` ⇒ allow, `result: false` ⇒ deny;
 * - `result` an {@link OpaDecisionDocument} ⇒ as documented there;
 * - no `result` (the document is undefined: no rule produced a value) ⇒ deny, with the reason also in
 *   `errors` so records tell a misconfigured path apart from a policy saying no;
 * - `provenance` (asked with `?provenance=true`) is recorded as a reason `provenance:<canonical JSON>`.
 * Anything else (not an object, `result` of another type, a malformed document or `decision_id`) throws
 * `WRIT_PDP_UNAVAILABLE`.
 *
 * @internal
 * @example
 * ```ts
 * readOpaAnswer({ result: true, decision_id: 'd-1' }, { path: 'writ/authz/allow', endpoint, status: 200 });
 * // { effect: 'allow', policyIds: ['writ/authz/allow'], reasons: [], decisionId: 'd-1' }
 * ```
 */
export function readOpaAnswer(body: unknown, context: OpaAnswerContext): OpaAnswer {
  if (!isJsonObject(body)) {
    throw invalidOpaAnswer(context, `the body is ${typeName(body)}, not a JSON object`);
  }
  const decisionId = body.decision_id;
  if (decisionId !== undefined && (typeof decisionId !== 'string' || decisionId.length > 1024)) {
    throw invalidOpaAnswer(context, 'decision_id is not a string');
  }
  const provenanceReasons: string[] = [];
  if (body.provenance !== undefined) {
    if (!isJsonObject(body.provenance)) throw invalidOpaAnswer(context, 'provenance is not an object');
    provenanceReasons.push(`${PROVENANCE_REASON_PREFIX}${canonicalJson(body.provenance)}`);
  }
  const id = typeof decisionId === 'string' && decisionId.length > 0 ? { decisionId } : {};
  const defaultIds = [context.path];

  if (!Object.hasOwn(body, 'result')) {
    const reason = `OPA document ${context.path} is undefined: no rule produced a value (is the policy loaded, and does it set a default?)`;
    return {
      effect: 'deny',
      policyIds: defaultIds,
      reasons: [reason, ...provenanceReasons],
      errors: [reason],
      ...id,
    };
  }
  const result = body.result;
  if (typeof result === 'boolean') {
    return {
      effect: result ? 'allow' : 'deny',
      policyIds: defaultIds,
      reasons: [...(result ? [] : [`OPA document ${context.path} is false`]), ...provenanceReasons],
      ...id,
    };
  }
  if (!isJsonObject(result)) {
    throw invalidOpaAnswer(
      context,
      `result is ${typeName(result)}; expected a boolean or an object with a boolean "allow"`,
    );
  }
  const parsed = documentSchema.safeParse(result);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error.issues, { limit: 10 });
    throw invalidOpaAnswer(context, `result does not have the documented shape (${issues.join('; ')})`, {
      issues,
    });
  }
  const doc = parsed.data;
  const effect: DecisionEffect = !doc.allow
    ? 'deny'
    : doc.approval_required === true
      ? 'approval_required'
      : 'allow';
  const policyIds = [...new Set([...(doc.policy_ids ?? []), ...(doc.policyIds ?? [])])];
  const reasons = [...(doc.reasons ?? [])];
  if (effect === 'deny' && reasons.length === 0) reasons.push(`OPA document ${context.path}: allow is false`);
  return {
    effect,
    policyIds: policyIds.length > 0 ? policyIds : defaultIds,
    reasons: [...reasons, ...provenanceReasons],
    ...(doc.obligations === undefined ? {} : { obligations: doc.obligations }),
    ...id,
  };
}
