/**
 * A subject or resource on the wire (OpenID AuthZEN Authorization API 1.0 §5): `type` and `id` are
 * required, `properties` carries whatever the PDP's policies read.
 *
 * @example
 * ```ts
 * const subject: AuthZenEntity = { type: 'Agent', id: 'spiffe://example.org/agent/support', properties: { 'cerbos.roles': ['agent'] } };
 * ```
 */
export interface AuthZenEntity {
  readonly type: string;
  readonly id: string;
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * An action on the wire: a required `name` and optional `properties`.
 *
 * @example
 * ```ts
 * const action: AuthZenAction = { name: 'lookup_order', properties: { risk: 'low' } };
 * ```
 */
export interface AuthZenAction {
  readonly name: string;
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * One Access Evaluation request (`POST /access/v1/evaluation`), as Writ sends it. `createAuthZenEngine`
 * derives it from the core `AuthorizationRequest`, which already has this shape; `mapRequest` adapts it
 * to a PDP's expectations.
 *
 * @example
 * ```ts
 * const body: AuthZenRequest = {
 *   subject: { type: 'Agent', id: 'spiffe://example.org/agent/support' },
 *   action: { name: 'lookup_order' },
 *   resource: { type: 'Order', id: '42' },
 *   context: { risk: 'low' },
 * };
 * ```
 */
export interface AuthZenRequest {
  readonly subject: AuthZenEntity;
  readonly action: AuthZenAction;
  readonly resource: AuthZenEntity;
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * One decision on the wire: a boolean `decision` and an optional `context` object whose content is the
 * PDP's own (reasons, advice, obligations…). See `createAuthZenEngine` for what Writ reads from it.
 *
 * @example
 * ```ts
 * const answer: AuthZenResponse = { decision: false, context: { reason_user: { '403': 'Insufficient privileges' } } };
 * ```
 */
export interface AuthZenResponse {
  readonly decision: boolean;
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * How a PDP runs a batch (`options.evaluations_semantic` of `POST /access/v1/evaluations`):
 * every evaluation, stop at the first deny (`&&`), or stop at the first permit (`||`).
 *
 * @example
 * ```ts
 * const semantic: AuthZenEvaluationsSemantic = 'deny_on_first_deny';
 * ```
 */
export type AuthZenEvaluationsSemantic = 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit';

/**
 * Every evaluations semantic, in spec order.
 *
 * @internal
 * @example
 * ```ts
 * AUTHZEN_EVALUATIONS_SEMANTICS.includes(input as AuthZenEvaluationsSemantic);
 * ```
 */
export const AUTHZEN_EVALUATIONS_SEMANTICS: readonly AuthZenEvaluationsSemantic[] = Object.freeze([
  'execute_all',
  'deny_on_first_deny',
  'permit_on_first_permit',
]);

/**
 * What Writ uses of a PDP's metadata (`/.well-known/authzen-configuration`).
 *
 * @example
 * ```ts
 * const { accessEvaluationEndpoint }: AuthZenPdpMetadata = await engine.discover();
 * ```
 */
export interface AuthZenPdpMetadata {
  /** Equal to the configured `pdp`, character for character. */
  readonly policyDecisionPoint: string;
  readonly accessEvaluationEndpoint: string;
  /** Absent when the PDP has no batch endpoint; `evaluateBatch` then asks one evaluation at a time. */
  readonly accessEvaluationsEndpoint?: string | undefined;
  readonly capabilities?: readonly string[] | undefined;
  /** The whole document as received (frozen), for members Writ does not model. */
  readonly document: Readonly<Record<string, unknown>>;
}
