import type { PrincipalRef } from './principal.js';
import type { Risk, ToolType } from './tool-call.js';

/**
 * What a policy engine is asked, in OpenID AuthZEN 1.0 shape (subject, action, resource, context).
 * The subject is the current actor; requester and chain travel in its properties.
 *
 * @example
 * ```ts
 * const request: AuthorizationRequest = {
 *   subject: { type: 'Agent', id: 'spiffe://writ.local/agent/support', properties: { requester: null, chain: [], chainDepth: 1, autonomous: true } },
 *   action: { name: 'lookup_order', properties: { risk: 'low', toolType: 'function', permission: 'lookup_order' } },
 *   resource: { type: 'Order', id: '42' },
 *   context: { taskId: 't1', correlationId: 'c1', scope: ['*'], inScope: true, risk: 'low', environment: 'development', chainDepth: 1, autonomous: true, argsDigest: 'sha256:…' },
 * };
 * ```
 */
export interface AuthorizationRequest {
  readonly subject: {
    readonly type: 'Agent' | 'Service';
    readonly id: string;
    readonly properties: {
      readonly name?: string | undefined;
      readonly assurance?: PrincipalRef['assurance'];
      readonly requester: PrincipalRef | null;
      readonly chain: readonly PrincipalRef[];
      readonly chainDepth: number;
      readonly autonomous: boolean;
      readonly [key: string]: unknown;
    };
  };
  readonly action: {
    readonly name: string;
    readonly properties: {
      readonly risk: Risk;
      readonly toolType: ToolType;
      readonly permission: string;
      readonly audience?: string | undefined;
      readonly [key: string]: unknown;
    };
  };
  readonly resource: {
    readonly type: string;
    readonly id: string;
    readonly properties?: Readonly<Record<string, unknown>> | undefined;
  };
  readonly context: AuthorizationContext;
}

/**
 * The context a decision is judged on. Recorded verbatim with the decision.
 *
 * @example
 * ```ts
 * const noDriftInProduction: PolicyEngine = {
 *   name: 'no-drift',
 *   decide: async (request) => {
 *     const context: AuthorizationContext = request.context;
 *     const allowed = context.inScope || context.environment !== 'production';
 *     return {
 *       effect: allowed ? 'allow' : 'deny',
 *       policyIds: ['no-drift'],
 *       reasons: allowed ? [] : [`${request.action.name} is outside the scope of task ${context.taskId}`],
 *       decisionId: crypto.randomUUID(),
 *       engine: 'no-drift',
 *       evaluatedContext: request,
 *     };
 *   },
 * };
 * ```
 */
export interface AuthorizationContext {
  readonly taskId: string;
  readonly correlationId: string;
  readonly toolCallId?: string | undefined;
  readonly intent?: string | undefined;
  /** The current actor's scope. */
  readonly scope: readonly string[];
  /** Whether the call's permission is covered by `scope`. A call outside it is scope drift. */
  readonly inScope: boolean;
  readonly risk: Risk;
  /** Deployment environment (`development`, `staging`, `production`, …). */
  readonly environment: string;
  readonly dataClassification?: string | undefined;
  /** Number of agents in the chain (1 = the orchestrator itself). */
  readonly chainDepth: number;
  readonly autonomous: boolean;
  /** `sha256:<hex>` of the canonical arguments, so an approval can be bound to exactly this call. */
  readonly argsDigest: string;
  /** Anything middleware added (`transformRequest`). */
  readonly [key: string]: unknown;
}

/**
 * The answer of a policy engine.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls run through createWrit({ audit, … }) …
 * const effects: DecisionEffect[] = audit.ofKind('decision').map((e) => e.decision.effect); // e.g. ['allow', 'approval_required', 'deny']
 * ```
 */
export type DecisionEffect = 'allow' | 'deny' | 'approval_required';

/**
 * Something the engine requires of the caller alongside its answer (OPA's `obligations`, for instance).
 * Writ records obligations with the decision; acting on them is up to you, e.g. in a middleware.
 *
 * @example
 * ```ts
 * const notifyOwner: WritMiddleware = {
 *   name: 'obligations',
 *   wrapExecute: async (state, next) => {
 *     const obligations: readonly Obligation[] = state.decision?.obligations ?? [];
 *     for (const o of obligations) if (o.id === 'notify-owner') await notify(o.attributes?.channel, state.call.name);
 *     return next();
 *   },
 * };
 * ```
 */
export interface Obligation {
  readonly id: string;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A policy decision, kept with the exact request it was judged on.
 *
 * @example
 * ```ts
 * const decision: Decision = {
 *   effect: 'deny', policyIds: ['default.cedar#forbid-destructive-out-of-scope'], reasons: ['delete_customer is outside the task scope'],
 *   decisionId: '01J…', engine: 'cedar', evaluatedContext: request,
 * };
 * ```
 */
export interface Decision {
  readonly effect: DecisionEffect;
  /** Ids of the policies that determined the effect. */
  readonly policyIds: readonly string[];
  /** Human-readable reasons (engine diagnostics, AuthZEN context reasons, OPA reasons). */
  readonly reasons: readonly string[];
  /** The engine's decision id (OPA `decision_id`, AuthZEN request id, or generated). */
  readonly decisionId: string;
  /** Which engine decided (`cedar`, `authzen`, `opa`, `writ` for pipeline refusals, …). */
  readonly engine: string;
  /** The request as the engine judged it. */
  readonly evaluatedContext: AuthorizationRequest;
  readonly obligations?: readonly Obligation[] | undefined;
  /** Engine errors; any error means the effect is `deny`. */
  readonly errors?: readonly string[] | undefined;
  /**
   * Which version of the policies decided: `sha256:<hex>` of the canonical policy set (policies and
   * schema) the engine evaluated, when the engine knows it (the embedded Cedar engine always does).
   */
  readonly policySetDigest?: string | undefined;
}
