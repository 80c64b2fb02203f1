import type { AuthorizationRequest, Decision, DecisionEffect } from '../decision.js';
import type { CallOptions, PolicyEngine } from '../interfaces.js';
import type { Risk } from '../tool-call.js';

/**
 * One rule of {@link createInMemoryPolicy}. Every given condition must hold for the rule to match.
 *
 * @example
 * ```ts
 * const productionRefunds: PolicyRule = {
 *   id: 'production-refunds',
 *   effect: 'approval_required',
 *   tool: 'refund_order',
 *   when: (request) => request.context.environment === 'production',
 *   reason: 'refunds in production need a human',
 * };
 * const policy = createInMemoryPolicy({ rules: [productionRefunds, { effect: 'allow', inScope: true }] });
 * ```
 */
export interface PolicyRule {
  /** Policy id named in decisions. @default `rule-<index>` */
  id?: string;
  effect: DecisionEffect;
  /** Tool names the rule applies to. */
  tool?: string | readonly string[];
  /** Risk levels the rule applies to. */
  risk?: readonly Risk[];
  /** Agent names (or ids) the rule applies to. */
  agent?: string | readonly string[];
  /** Matches calls outside (`false`) or inside (`true`) the task scope. */
  inScope?: boolean;
  /** Any other condition. */
  when?: (request: AuthorizationRequest) => boolean;
  /** Reason reported when the rule decides. */
  reason?: string;
}

/**
 * Options of {@link createInMemoryPolicy}.
 *
 * @example
 * ```ts
 * const options: InMemoryPolicyOptions = {
 *   name: 'test-policy',
 *   rules: [{ effect: 'deny', tool: 'delete_customer' }],
 *   fallback: 'allow', // everything else runs
 * };
 * const policy = createInMemoryPolicy(options);
 * ```
 */
export interface InMemoryPolicyOptions {
  rules?: readonly PolicyRule[];
  /** Effect when no rule matches. @default 'deny' */
  fallback?: DecisionEffect;
  /** Engine name in decisions. @default 'in-memory' */
  name?: string;
}

/**
 * An in-memory policy engine, exposing the requests it judged.
 *
 * @example
 * ```ts
 * const policy: InMemoryPolicy = createInMemoryPolicy({ fallback: 'allow' });
 * // … the agent calls lookup_order through createWrit({ policy, … }) …
 * expect(policy.requests.map((r) => r.action.name)).toEqual(['lookup_order']);
 * expect(policy.requests[0]?.context.inScope).toBe(true);
 * ```
 */
export interface InMemoryPolicy extends PolicyEngine {
  readonly requests: AuthorizationRequest[];
}

const asList = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/**
 * A rule-based policy engine for tests, with Cedar's combining semantics: any matching `deny` wins,
 * then any `approval_required`, then any `allow`; nothing matching means `fallback` (deny).
 *
 * @example
 * ```ts
 * const policy = createInMemoryPolicy({ rules: [
 *   { id: 'reads', effect: 'allow', risk: ['low'] },
 *   { id: 'refunds', effect: 'approval_required', tool: 'refund_order' },
 *   { id: 'no-deletes', effect: 'deny', tool: 'delete_customer', reason: 'customers are never deleted by agents' },
 * ] });
 * ```
 */
export function createInMemoryPolicy(options: InMemoryPolicyOptions = {}): InMemoryPolicy {
  const rules = (options.rules ?? []).map((rule, i) => ({ ...rule, id: rule.id ?? `rule-${i}` }));
  const fallback = options.fallback ?? 'deny';
  const name = options.name ?? 'in-memory';
  const requests: AuthorizationRequest[] = [];
  let n = 0;
  return {
    name,
    requests,
    async decide(request: AuthorizationRequest, _options: CallOptions): Promise<Decision> {
      requests.push(request);
      const matched = rules.filter((rule) => {
        const tools = asList(rule.tool);
        const agents = asList(rule.agent);
        if (tools && !tools.includes(request.action.name)) return false;
        if (rule.risk && !rule.risk.includes(request.action.properties.risk)) return false;
        if (
          agents &&
          !agents.includes(request.subject.id) &&
          !agents.includes(request.subject.properties.name ?? '')
        )
          return false;
        if (rule.inScope !== undefined && rule.inScope !== request.context.inScope) return false;
        if (rule.when && !rule.when(request)) return false;
        return true;
      });
      const effect: DecisionEffect = matched.some((r) => r.effect === 'deny')
        ? 'deny'
        : matched.some((r) => r.effect === 'approval_required')
          ? 'approval_required'
          : matched.some((r) => r.effect === 'allow')
            ? 'allow'
            : fallback;
      const deciding = matched.filter((r) => r.effect === effect);
      return {
        effect,
        policyIds: deciding.map((r) => r.id),
        reasons:
          deciding.length === 0
            ? [`no rule matched; fallback is ${fallback}`]
            : deciding.flatMap((r) => (r.reason ? [r.reason] : [])),
        decisionId: `${name}-${++n}`,
        engine: name,
        evaluatedContext: request,
      };
    },
  };
}
