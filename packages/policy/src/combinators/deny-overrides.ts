import { type AuthorizationRequest, type Decision, WritError } from '@writ/core';
import { functionSchema, raceAbort, uuidv7, validateOptions } from '@writ/core/internal';
import type { CallOptions, DecisionEffect, Obligation, PolicyEngine } from '@writ/core/plugin';
import { z } from 'zod';
import { PERMISSIVENESS, policyEngineSchema, type Settled, settleDecision } from './settle-decision.js';

/**
 * Defaults of {@link denyOverrides}.
 *
 * @example
 * ```ts
 * denyOverrides([cedar, opa], { name: `${DENY_OVERRIDES_DEFAULTS.name}:payments` });
 * ```
 */
export const DENY_OVERRIDES_DEFAULTS = Object.freeze({
  /** Engine name of the combination, in decisions and messages. @default 'deny-overrides' */
  name: 'deny-overrides',
});

/**
 * Options of {@link denyOverrides}.
 *
 * @example
 * ```ts
 * const options: DenyOverridesOptions = { name: 'cedar+opa' };
 * ```
 */
export interface DenyOverridesOptions {
  /** @default DENY_OVERRIDES_DEFAULTS.name */
  name?: string | undefined;
  /** Id of each combined decision. @default uuidv7 */
  generateId?: (() => string) | undefined;
}

const optionsSchema = z.strictObject({
  name: z.string().min(1).max(256).optional(),
  generateId: functionSchema<() => string>().optional(),
});

/**
 * Labels engines for prefixes: their names, made unique with `#<n>` (1-based position) when two share one.
 */
function labels(engines: readonly PolicyEngine[]): string[] {
  const counts = new Map<string, number>();
  for (const engine of engines) counts.set(engine.name, (counts.get(engine.name) ?? 0) + 1);
  return engines.map((engine, i) =>
    (counts.get(engine.name) ?? 0) > 1 ? `${engine.name}#${i + 1}` : engine.name,
  );
}

/**
 * Combines engines so that every one must agree: all are asked in parallel, then
 * - any `deny`, any engine throwing or answering garbage, any decision carrying `errors` ⇒ `deny`;
 * - else any `approval_required` ⇒ `approval_required`;
 * - else (every engine allowed) ⇒ `allow`.
 * The result is never more permissive than the least permissive engine.
 *
 * The combined decision (engine = the combination's `name`, a fresh `decisionId`):
 * - `policyIds`, `reasons`: those of the engines that determined the effect, each prefixed `<engine>:`
 *   (`cedar:default.cedar#read-only`); engines sharing a name are told apart as `<name>#<position>`;
 * - then one reason per engine recording its sub-decision: `<engine>:decision:<effect>:<decisionId>`, or
 *   `<engine>:failed:<error code>` for an engine that threw;
 * - `errors`: every engine's errors and failures, prefixed `<engine>: `;
 * - `obligations`: those of the engines that determined the effect (all of them unless denied);
 * - `deterministic` when every engine is.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const policy = denyOverrides([cedarEngine, createOpaEngine({ url, path: 'writ/authz' })]);
 * const writ = createWrit({ policy, audit });
 * ```
 */
export function denyOverrides(
  engines: readonly PolicyEngine[],
  options: DenyOverridesOptions = {},
): PolicyEngine {
  if (
    !Array.isArray(engines) ||
    engines.length === 0 ||
    !engines.every((e) => policyEngineSchema.safeParse(e).success)
  ) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'denyOverrides: engines must be a non-empty array of PolicyEngine ({ name, decide })',
    );
  }
  const o = validateOptions(optionsSchema, options, 'denyOverrides');
  const name = o.name ?? DENY_OVERRIDES_DEFAULTS.name;
  const generateId = o.generateId ?? (() => uuidv7());
  const members = Object.freeze([...engines]);
  const prefixes = labels(members);

  return Object.freeze({
    name,
    deterministic: members.every((engine) => engine.deterministic === true),
    async decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      const all = Promise.all(
        members.map((engine) => settleDecision(engine, request, callOptions, generateId)),
      );
      const settled = await raceAbort(all, callOptions?.signal, name);
      return combine(settled, prefixes, request, name, generateId());
    },
  });
}

function combine(
  settled: readonly Settled[],
  prefixes: readonly string[],
  request: AuthorizationRequest,
  engine: string,
  decisionId: string,
): Decision {
  const effects: DecisionEffect[] = settled.map((s) => (s.ok ? s.decision.effect : 'deny'));
  const effect = effects.reduce<DecisionEffect>(
    (least, e) => (PERMISSIVENESS[e] < PERMISSIVENESS[least] ? e : least),
    'allow',
  );
  const policyIds: string[] = [];
  const reasons: string[] = [];
  const trail: string[] = [];
  const errors: string[] = [];
  const obligations: Obligation[] = [];
  settled.forEach((s, i) => {
    const label = prefixes[i] as string;
    const deciding = effects[i] === effect || effect !== 'deny';
    if (!s.ok) {
      reasons.push(`${label}:${s.error.message}`);
      trail.push(`${label}:failed:${s.error.code}`);
      errors.push(`${label}: ${s.error.code}: ${s.error.message}`);
      return;
    }
    const d = s.decision;
    if (deciding) {
      for (const id of d.policyIds) policyIds.push(`${label}:${id}`);
      for (const reason of d.reasons) reasons.push(`${label}:${reason}`);
      if (d.obligations !== undefined) obligations.push(...d.obligations);
    }
    trail.push(`${label}:decision:${d.effect}:${d.decisionId}`);
    for (const error of d.errors ?? []) errors.push(`${label}: ${error}`);
  });
  return {
    effect,
    policyIds,
    reasons: [...reasons, ...trail],
    decisionId,
    engine,
    evaluatedContext: request,
    ...(obligations.length === 0 ? {} : { obligations }),
    ...(errors.length === 0 ? {} : { errors }),
  };
}
