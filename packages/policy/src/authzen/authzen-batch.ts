import { canonicalJson } from '@writ/core/plugin';
import type { AuthZenEvaluationsSemantic, AuthZenRequest } from './authzen-types.js';

/**
 * The body of `POST /access/v1/evaluations`.
 *
 * @example
 * ```ts
 * const body: AuthZenEvaluationsBody = { subject, evaluations: [{ action, resource }], options: { evaluations_semantic: 'execute_all' } };
 * ```
 */
export interface AuthZenEvaluationsBody {
  readonly subject?: AuthZenRequest['subject'];
  readonly action?: AuthZenRequest['action'];
  readonly resource?: AuthZenRequest['resource'];
  readonly context?: AuthZenRequest['context'];
  readonly evaluations: readonly Partial<AuthZenRequest>[];
  readonly options: { readonly evaluations_semantic: AuthZenEvaluationsSemantic };
}

const ENTITIES = ['subject', 'action', 'resource'] as const;

const same = (values: readonly unknown[]): boolean => {
  const [first] = values;
  if (first === undefined) return false;
  const reference = canonicalJson(first);
  return values.every((v) => v !== undefined && canonicalJson(v) === reference);
};

/**
 * Builds an Access Evaluations body from the requests of a batch, in order:
 *
 * - `subject`, `action`, `resource` or `context` equal in every request of a batch of two or more (by
 *   canonical JSON) is sent once, as a top-level default, and left out of the items;
 * - otherwise each item keeps its own, and the context members every request shares are also sent as the
 *   top-level `context`. Items override it entirely, so for the decisions this changes nothing, but
 *   batch-wide flags a PDP reads there (Cerbos's `cerbos.includeMeta`) arrive.
 *
 * @internal
 * @example
 * ```ts
 * buildEvaluationsBody([a, b], 'deny_on_first_deny');
 * // { subject: a.subject, context: {…shared}, evaluations: [{ action, resource, context }, { … }], options: { evaluations_semantic: 'deny_on_first_deny' } }
 * ```
 */
export function buildEvaluationsBody(
  requests: readonly AuthZenRequest[],
  semantic: AuthZenEvaluationsSemantic,
): AuthZenEvaluationsBody {
  const hoisted = new Set<keyof AuthZenRequest>();
  if (requests.length > 1) {
    for (const key of [...ENTITIES, 'context'] as const) {
      if (same(requests.map((r) => r[key]))) hoisted.add(key);
    }
  }
  const [first] = requests;
  const defaults: { -readonly [K in keyof AuthZenRequest]?: AuthZenRequest[K] } = {};
  if (first !== undefined) {
    if (hoisted.has('subject')) defaults.subject = first.subject;
    if (hoisted.has('action')) defaults.action = first.action;
    if (hoisted.has('resource')) defaults.resource = first.resource;
    const shared = hoisted.has('context') ? first.context : sharedContext(requests);
    if (shared !== undefined) defaults.context = shared;
  }
  const evaluations = requests.map((request) => {
    const item: { -readonly [K in keyof AuthZenRequest]?: AuthZenRequest[K] } = {};
    if (!hoisted.has('subject')) item.subject = request.subject;
    if (!hoisted.has('action')) item.action = request.action;
    if (!hoisted.has('resource')) item.resource = request.resource;
    if (!hoisted.has('context') && request.context !== undefined) item.context = request.context;
    return item;
  });
  return { ...defaults, evaluations, options: { evaluations_semantic: semantic } };
}

/** The context members present with equal values in every request, or `undefined` when there are none. */
function sharedContext(requests: readonly AuthZenRequest[]): Record<string, unknown> | undefined {
  const [first, ...rest] = requests;
  if (first?.context === undefined) return undefined;
  const shared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first.context)) {
    if (value === undefined) continue;
    const reference = canonicalJson(value);
    if (rest.every((r) => r.context?.[key] !== undefined && canonicalJson(r.context[key]) === reference)) {
      shared[key] = value;
    }
  }
  return Object.keys(shared).length === 0 ? undefined : shared;
}
