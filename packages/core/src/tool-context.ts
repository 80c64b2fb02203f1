import { createContextKey, type Span } from '@opentelemetry/api';
import type { Attribution } from './attribution.js';
import { activeContext } from './context.js';
import type { Credential } from './credential.js';
import type { Decision } from './decision.js';
import { WritError } from './errors.js';
import type { ToolCall } from './tool-call.js';

/**
 * What a tool's `execute` receives beside its arguments.
 *
 * @example
 * ```ts
 * async function refund(args: { orderId: string; amount: number }, ctx: ToolContext) {
 *   ctx.span.setAttribute('order.id', args.orderId);
 *   return payments.refund(args, {
 *     token: ctx.credential?.token,
 *     onBehalfOf: ctx.attribution.requester?.id,
 *     decisionId: ctx.decision.decisionId,
 *     signal: ctx.signal,
 *   });
 * }
 * const refundOrder = withAttribution(refund, { name: 'refund_order', risk: 'high', audience: 'https://payments.example.com' });
 * ```
 */
export interface ToolContext {
  readonly attribution: Attribution;
  /** The credential for this call: the audience-bound one when the tool has `audience`, else the task token. */
  readonly credential: Credential | undefined;
  /** Aborted when the caller gives up. */
  readonly signal: AbortSignal;
  readonly call: ToolCall;
  readonly decision: Decision;
  /** The `execute_tool` span (Writ's own or the framework's it enriched). */
  readonly span: Span;
}

/**
 * OTel context key of the tool call being executed.
 *
 * @example
 * ```ts
 * // what tryGetToolContext() returns, read from a context you hold
 * const toolContext = activeContext().getValue(TOOL_CONTEXT_KEY) as ToolContext | undefined;
 * ```
 */
export const TOOL_CONTEXT_KEY = createContextKey('writ.tool-context');

/**
 * The context of the tool call being executed (credential, attribution, decision), or `undefined`
 * outside a tool's `execute`. Useful in `@attributed` methods, which receive only their arguments.
 *
 * @example
 * ```ts
 * class Payments {
 *   @attributed({ name: 'refund_order', audience: 'https://payments' })
 *   async refund(args: { orderId: string }) {
 *     const token = getToolContext().credential?.token;
 *     return api.refund(args.orderId, { token });
 *   }
 * }
 * ```
 */
export function tryGetToolContext(): ToolContext | undefined {
  return activeContext().getValue(TOOL_CONTEXT_KEY) as ToolContext | undefined;
}

/**
 * The context of the tool call being executed. Throws `WRIT_NO_TASK` outside a tool's `execute`.
 *
 * @example
 * ```ts
 * const { credential } = getToolContext();
 * ```
 */
export function getToolContext(): ToolContext {
  const ctx = tryGetToolContext();
  if (ctx === undefined)
    throw new WritError('WRIT_NO_TASK', 'no tool call is executing in the active context');
  return ctx;
}
