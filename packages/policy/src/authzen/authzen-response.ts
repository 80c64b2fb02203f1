import type { DecisionEffect, Obligation } from '@writ/core/plugin';
import { clip, isJsonObject } from '../pdp/pdp-answer.js';

/** Bounds on what a PDP's context may add to a decision record. */
const LIMITS = Object.freeze({
  reasons: 32,
  reasonChars: 1_000,
  policyIds: 64,
  policyIdChars: 256,
  summaryChars: 500,
});

/** Context members Writ reads; anything else only shows up in the JSON summary. */
const READ_MEMBERS: ReadonlySet<string> = new Set([
  'id',
  'reason',
  'reasons',
  'reason_user',
  'reason_admin',
  'policy_id',
  'policy_ids',
  'error',
  'writ',
]);

/**
 * Options of {@link interpretAuthZenResponse}.
 *
 * @internal
 * @example
 * ```ts
 * interpretAuthZenResponse(answer, { includeAdminReasons: true } satisfies InterpretAuthZenResponseOptions);
 * ```
 */
export interface InterpretAuthZenResponseOptions {
  /** Keep `reason_admin` texts (prefixed `[admin]`) among the reasons. @default false */
  includeAdminReasons?: boolean | undefined;
}

/**
 * What Writ makes of one AuthZEN decision, or why it cannot use it.
 *
 * @internal
 * @example
 * ```ts
 * const outcome: AuthZenInterpretation = interpretAuthZenResponse({ decision: true });
 * if (!outcome.ok) throw new Error(outcome.problem);
 * ```
 */
export type AuthZenInterpretation =
  | {
      readonly ok: true;
      readonly effect: DecisionEffect;
      readonly policyIds: readonly string[];
      readonly reasons: readonly string[];
      readonly obligations?: readonly Obligation[] | undefined;
      readonly errors?: readonly string[] | undefined;
    }
  | { readonly ok: false; readonly problem: string };

/**
 * Turns one AuthZEN decision object into an effect, policy ids and reasons. Never throws; a value it
 * cannot use (no boolean `decision`, a `context` that is not an object, a malformed `context.writ`) is
 * `{ ok: false }` so the caller fails closed.
 *
 * - `decision: true` is `allow`, `false` is `deny`.
 * - `context.writ.approval_required === true` makes it `approval_required` (whatever `decision` says:
 *   a PDP may permit only with approval, or deny unless approved).
 * - `context.error` (an object `{ status?, message? }` or a string) makes it `deny` and is kept in `errors`.
 * - Reasons kept, in this order, de-duplicated: `context.reason` (string); `context.reasons` (strings,
 *   or Reason Objects' `reason_user` values); the string values of `context.reason_user`; the string
 *   values of `context.reason_admin` prefixed `[admin]` only with `includeAdminReasons` (the spec says
 *   they must not reach the user, and Writ's reasons reach the model in `WRIT_POLICY_DENIED`); the error.
 *   When none of these is present but the context has other members, one reason summarises them as
 *   JSON (`PDP context: {...}`, at most 500 characters; `reason_admin` left out).
 * - Policy ids: `context.policy_id` (string) and `context.policy_ids` (strings).
 * - Obligations: `context.writ.obligations`, an array of `{ id: string, attributes?: object }`.
 *
 * At most 32 reasons of 1000 characters and 64 policy ids of 256 characters are kept.
 *
 * @internal
 * @example
 * ```ts
 * interpretAuthZenResponse({ decision: false, context: { reason: 'outside business hours' } });
 * // { ok: true, effect: 'deny', policyIds: [], reasons: ['outside business hours'] }
 * ```
 */
export function interpretAuthZenResponse(
  value: unknown,
  options: InterpretAuthZenResponseOptions = {},
): AuthZenInterpretation {
  if (!isJsonObject(value)) return { ok: false, problem: 'the decision is not a JSON object' };
  if (typeof value.decision !== 'boolean') return { ok: false, problem: 'decision must be a boolean' };
  const rawContext = value.context;
  if (rawContext !== undefined && rawContext !== null && !isJsonObject(rawContext)) {
    return { ok: false, problem: 'context must be an object' };
  }
  const context: Record<string, unknown> = rawContext ?? {};

  const writ = context.writ;
  if (writ !== undefined && !isJsonObject(writ))
    return { ok: false, problem: 'context.writ must be an object' };
  const approval = writ?.approval_required;
  if (approval !== undefined && typeof approval !== 'boolean') {
    return { ok: false, problem: 'context.writ.approval_required must be a boolean' };
  }
  const obligations = readObligations(writ?.obligations);
  if (obligations === null) {
    return {
      ok: false,
      problem: 'context.writ.obligations must be an array of { id: string, attributes?: object }',
    };
  }

  const reasons = new Set<string>();
  const add = (text: unknown, prefix = '') => {
    if (typeof text === 'string' && text.length > 0 && reasons.size < LIMITS.reasons) {
      reasons.add(clip(`${prefix}${text}`, LIMITS.reasonChars));
    }
  };
  const addField = (field: unknown, prefix = '') => {
    if (isJsonObject(field)) for (const text of Object.values(field)) add(text, prefix);
  };
  const admin = options.includeAdminReasons === true;
  add(context.reason);
  if (Array.isArray(context.reasons)) {
    for (const item of context.reasons) {
      if (typeof item === 'string') add(item);
      else if (isJsonObject(item)) {
        addField(item.reason_user);
        if (admin) addField(item.reason_admin, '[admin] ');
      }
    }
  }
  addField(context.reason_user);
  if (admin) addField(context.reason_admin, '[admin] ');

  const error = readError(context.error);
  if (error !== undefined) add(error);
  if (reasons.size === 0) {
    const rest = Object.entries(context).filter(([key]) => !READ_MEMBERS.has(key));
    if (rest.length > 0) add(`PDP context: ${summarise(Object.fromEntries(rest))}`);
  }

  const policyIds = new Set<string>();
  const addId = (id: unknown) => {
    if (typeof id === 'string' && id.length > 0 && policyIds.size < LIMITS.policyIds) {
      policyIds.add(clip(id, LIMITS.policyIdChars));
    }
  };
  addId(context.policy_id);
  if (Array.isArray(context.policy_ids)) for (const id of context.policy_ids) addId(id);

  const effect: DecisionEffect =
    error !== undefined
      ? 'deny'
      : approval === true
        ? 'approval_required'
        : value.decision
          ? 'allow'
          : 'deny';
  return {
    ok: true,
    effect,
    policyIds: [...policyIds],
    reasons: [...reasons],
    ...(obligations === undefined ? {} : { obligations }),
    ...(error === undefined ? {} : { errors: [error] }),
  };
}

function readObligations(value: unknown): Obligation[] | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return null;
  const out: Obligation[] = [];
  for (const item of value) {
    if (!isJsonObject(item) || typeof item.id !== 'string' || item.id.length === 0) return null;
    if (item.attributes !== undefined && !isJsonObject(item.attributes)) return null;
    out.push(item.attributes === undefined ? { id: item.id } : { id: item.id, attributes: item.attributes });
  }
  return out;
}

function readError(value: unknown): string | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (typeof value === 'string') return `PDP reported an error: ${value}`;
  if (isJsonObject(value)) {
    const status =
      typeof value.status === 'number' || typeof value.status === 'string' ? ` (${value.status})` : '';
    const message = typeof value.message === 'string' ? value.message : 'no message';
    return `PDP reported an error${status}: ${message}`;
  }
  return 'PDP reported an error';
}

function summarise(value: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? '{}';
  } catch {
    text = '(not serialisable)';
  }
  return clip(text, LIMITS.summaryChars);
}
