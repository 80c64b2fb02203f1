import type { AuthorizationRequest } from '@writ/core';
import { formatIssues } from '@writ/core/internal';
import { canonicalJson } from '@writ/core/plugin';
import { z } from 'zod';
import { pdpUnavailable } from '../pdp/pdp-fetch.js';
import type { AuthZenEvaluationsSemantic, AuthZenRequest } from './authzen-types.js';

/**
 * Adapts Writ's request to what a PDP expects (the `mapRequest` option of `createAuthZenEngine`).
 *
 * @internal
 * @example
 * ```ts
 * const mapRequest: AuthZenRequestMapper = (request) => ({ ...request, context: { ...request.context, tenant: 'acme' } });
 * ```
 */
export type AuthZenRequestMapper = (
  request: AuthorizationRequest,
) => AuthZenRequest | Promise<AuthZenRequest>;

const entitySchema = z.looseObject({
  type: z.string().min(1),
  id: z.string().min(1),
  properties: z.record(z.string(), z.unknown()).optional(),
});

/** An Access Evaluation request (OpenID AuthZEN Authorization API 1.0 §6.1); members beyond these pass through. */
const wireRequestSchema = z.looseObject({
  subject: entitySchema,
  action: z.looseObject({
    name: z.string().min(1),
    properties: z.record(z.string(), z.unknown()).optional(),
  }),
  resource: entitySchema,
  context: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The Access Evaluation request to send for one of Writ's requests: `{ subject, action, resource,
 * context }` as they are (Writ's request already has the AuthZEN shape), or what `mapRequest` returns
 * (awaited). The result is checked against the AuthZEN 1.0 shapes (subject and resource with non-empty
 * `type` and `id`, an action with a non-empty `name`, objects for `properties` and `context`) before
 * anything is sent. A throwing `mapRequest` is `WRIT_PDP_UNAVAILABLE` (`map_request_failed`); a result
 * that is not an AuthZEN request is `WRIT_PDP_UNAVAILABLE` (`invalid_request`, with `details.issues`).
 *
 * @internal
 * @example
 * ```ts
 * const wire = await toAuthZenRequest(request, { name: 'authzen' });
 * // { subject: request.subject, action: request.action, resource: request.resource, context: request.context }
 * ```
 */
export async function toAuthZenRequest(
  request: AuthorizationRequest,
  options: { readonly name: string; readonly mapRequest?: AuthZenRequestMapper | undefined },
): Promise<AuthZenRequest> {
  const { name, mapRequest } = options;
  let mapped: unknown;
  try {
    mapped =
      mapRequest === undefined
        ? {
            subject: request.subject,
            action: request.action,
            resource: request.resource,
            context: request.context,
          }
        : await mapRequest(request);
  } catch (error) {
    throw pdpUnavailable(`${name}: mapRequest failed`, { reason: 'map_request_failed' }, error);
  }
  const result = wireRequestSchema.safeParse(mapped);
  if (!result.success) {
    throw pdpUnavailable(`${name}: the request to send is not an AuthZEN request`, {
      reason: 'invalid_request',
      issues: formatIssues(result.error.issues, { root: 'request' }),
    });
  }
  return mapped as AuthZenRequest;
}

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
