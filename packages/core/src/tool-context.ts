import { createContextKey } from '@opentelemetry/api';
import { activeContext } from './context.js';
import { WritError } from './errors.js';
import type { ToolContext } from './tool.js';

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
