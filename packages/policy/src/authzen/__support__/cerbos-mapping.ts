// Test support: what a Writ user writes to put Cerbos behind createAuthZenEngine.
//
// Requests: Cerbos's AuthZEN API takes principal roles from `subject.properties['cerbos.roles']` (else
// the subject type is the only role), the resource kind from `resource.type`, resource attributes from
// `resource.properties`, and ignores `context` except `cerbos.*` keys. So roles are derived from the
// subject type, the call's risk / environment / scope check are copied into resource attributes, and
// `cerbos.includeMeta` asks Cerbos to return its CheckResources answer in `context['cerbos.response']`.
//
// Responses: that answer names the matched policy and carries rule outputs; they become the members
// createAuthZenEngine reads (`policy_ids`, `reasons`, `writ.approval_required`).
import type { AuthorizationRequest } from '@writ/core';
import type { AuthZenRequest, AuthZenResponse } from '../authzen-types.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `mapRequest` for Cerbos. */
export function cerbosMapRequest(request: AuthorizationRequest): AuthZenRequest {
  return {
    subject: {
      type: request.subject.type,
      id: request.subject.id,
      properties: { ...request.subject.properties, 'cerbos.roles': [request.subject.type.toLowerCase()] },
    },
    action: request.action,
    resource: {
      type: request.resource.type,
      id: request.resource.id,
      properties: {
        ...request.resource.properties,
        risk: request.context.risk,
        environment: request.context.environment,
        inScope: request.context.inScope,
      },
    },
    context: { ...request.context, 'cerbos.includeMeta': true },
  };
}

/** `mapResponse` for Cerbos: reads `context['cerbos.response']` for this request's resource and action. */
export function cerbosMapResponse(response: AuthZenResponse, request: AuthZenRequest): AuthZenResponse {
  const answer = response.context?.['cerbos.response'];
  const results = isRecord(answer) && Array.isArray(answer.results) ? answer.results : [];
  const action = request.action.name;
  const entry = results.find(
    (r): r is Record<string, unknown> =>
      isRecord(r) &&
      isRecord(r.resource) &&
      r.resource.id === request.resource.id &&
      r.resource.kind === request.resource.type &&
      isRecord(r.actions) &&
      action in r.actions,
  );
  if (entry === undefined) return response;
  const policyIds: string[] = [];
  const reasons: string[] = [];
  let approvalRequired = false;
  const meta = isRecord(entry.meta) && isRecord(entry.meta.actions) ? entry.meta.actions[action] : undefined;
  if (isRecord(meta) && typeof meta.matchedPolicy === 'string') policyIds.push(meta.matchedPolicy);
  for (const output of Array.isArray(entry.outputs) ? entry.outputs : []) {
    if (!isRecord(output) || output.action !== action) continue;
    if (typeof output.src === 'string') policyIds.push(output.src);
    const value = output.val;
    if (typeof value === 'string') reasons.push(value);
    if (isRecord(value)) {
      if (typeof value.reason === 'string') reasons.push(value.reason);
      if (isRecord(value.writ) && value.writ.approval_required === true) approvalRequired = true;
    }
  }
  return {
    decision: response.decision,
    context: {
      reasons,
      policy_ids: policyIds,
      ...(approvalRequired ? { writ: { approval_required: true } } : {}),
    },
  };
}
