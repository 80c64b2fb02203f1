import type { Span } from '@opentelemetry/api';
import type { Attribution } from './attribution.js';
import type { Credential } from './credential.js';
import type { AuthorizationRequest, Decision } from './decision.js';
import type { ApprovalResponse, AuditReceipt } from './interfaces.js';
import type { ToolCall } from './tool-call.js';

/**
 * What middleware sees of a call in flight. Later stages fill in later fields.
 *
 * @example
 * ```ts
 * const logCalls: WritMiddleware = {
 *   name: 'log-calls',
 *   wrapExecute: async (state: CallState, next) => {
 *     // by wrapExecute the decision is made and its record durable
 *     console.log(state.call.name, state.decision?.effect, state.credential?.jti, state.decisionReceipt?.index);
 *     return next();
 *   },
 * };
 * ```
 */
export interface CallState {
  readonly attribution: Attribution;
  readonly call: ToolCall;
  readonly span: Span;
  readonly signal: AbortSignal;
  /** Set once the request is built (available to `wrapDecide` and later). */
  readonly request?: AuthorizationRequest | undefined;
  /** Set once decided (available to `wrapExecute`). */
  readonly decision?: Decision | undefined;
  readonly approval?: ApprovalResponse | undefined;
  readonly credential?: Credential | undefined;
  readonly decisionReceipt?: AuditReceipt | undefined;
}

/**
 * Your own step in the pipeline: an object of optional hooks. Hooks of the same kind compose in list
 * order, the first listed outermost; calling `next()` twice rejects with `WRIT_MIDDLEWARE_INVALID`.
 *
 * The pipeline order is fixed: validate input → `transformRequest` → `wrapDecide` → approval →
 * credential → decision record (durable) → `wrapExecute` → outcome record.
 *
 * @example
 * ```ts
 * const classify: WritMiddleware = {
 *   name: 'classify',
 *   transformRequest: (request) => ({ ...request, context: { ...request.context, dataClassification: 'confidential' } }),
 *   wrapExecute: async (state, next) => {
 *     const result = await next();
 *     metrics.count(state.call.name);
 *     return result;
 *   },
 * };
 * const writ = createWrit({ middleware: [classify], ... });
 * ```
 */
export interface WritMiddleware {
  readonly name: string;
  /** Adjusts the authorization request before the policy engine sees it. */
  transformRequest?: (
    request: AuthorizationRequest,
    state: CallState,
  ) => AuthorizationRequest | Promise<AuthorizationRequest>;
  /** Wraps the policy decision (caching, shadow evaluation, extra checks). */
  wrapDecide?: (state: CallState, next: () => Promise<Decision>) => Promise<Decision>;
  /** Wraps the tool's execution; runs only after the decision record is durable. */
  wrapExecute?: (state: CallState, next: () => Promise<unknown>) => Promise<unknown>;
}
