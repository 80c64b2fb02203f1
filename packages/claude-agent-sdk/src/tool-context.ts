import { type ToolContext, tryGetAttribution } from '@writ/core';

/** The tool contexts of calls Writ handed to the CLI and whose outcome is not recorded yet, by tool_use id. */
const handedOver = new Map<string, ToolContext[]>();

/** Registers the tool context of a call the CLI may now run; the returned function forgets it. @internal */
export function handOver(toolUseId: string, context: ToolContext): () => void {
  const list = handedOver.get(toolUseId) ?? [];
  list.push(context);
  handedOver.set(toolUseId, list);
  return () => {
    const at = list.indexOf(context);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) handedOver.delete(toolUseId);
  };
}

/**
 * The `extra` argument the Claude Agent SDK hands an SDK MCP tool's handler: its `_meta` names the
 * model's tool_use id (`claudecode/toolUseId`).
 *
 * @example
 * ```ts
 * const extra: SdkToolExtra = { _meta: { 'claudecode/toolUseId': 'toolu_01' } };
 * writToolContext(extra)?.attribution.taskId;
 * ```
 */
export interface SdkToolExtra {
  readonly _meta?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The Writ tool context of the SDK MCP tool call a handler is running (`tool(name, …, handler)` of
 * `createSdkMcpServer`): its credential (minted for the tool's `audience`), attribution, decision and
 * span. Claude Code names the call in `extra._meta['claudecode/toolUseId']`; the context is found only
 * while Writ holds that call open, only when one call under that id is open, and only for the task
 * active in the handler (same correlation id) — `undefined` otherwise, so a handler never gets another
 * task's credential.
 *
 * @example
 * ```ts
 * import { createSdkMcpServer, tool } from '@anthropic-ai/claude-agent-sdk';
 * import { writToolContext } from '@writ/claude-agent-sdk';
 *
 * const shop = createSdkMcpServer({
 *   name: 'shop',
 *   tools: [
 *     tool('refund_order', 'Refund an order', { orderId: z.string(), amount: z.number() }, async (args, extra) => {
 *       const token = writToolContext(extra)?.credential?.token; // audience-bound, short-lived
 *       await payments.refund(args, { headers: { authorization: `Bearer ${token}` } });
 *       return { content: [{ type: 'text', text: 'refunded' }] };
 *     }),
 *   ],
 * });
 * ```
 */
export function writToolContext(extra: SdkToolExtra | unknown): ToolContext | undefined {
  const meta = typeof extra === 'object' && extra !== null ? (extra as SdkToolExtra)._meta : undefined;
  const id = meta?.['claudecode/toolUseId'];
  if (typeof id !== 'string') return undefined;
  const list = handedOver.get(id);
  if (list === undefined || list.length !== 1) return undefined;
  const context = list[0] as ToolContext;
  const active = tryGetAttribution();
  if (active !== undefined && active.correlationId !== context.attribution.correlationId) return undefined;
  return context;
}
