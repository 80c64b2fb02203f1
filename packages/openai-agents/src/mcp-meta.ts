import type { MCPToolMetaResolver } from '@openai/agents';
import { injectContext } from '@writ/core';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * Options of {@link writMcpToolMeta}.
 *
 * @example
 * ```ts
 * const toolMetaResolver = writMcpToolMeta({ taskToken: false, next: ({ toolName }) => ({ 'app/tool': toolName }) });
 * ```
 */
export interface WritMcpToolMetaOptions {
  /**
   * Also send the task token (`_meta["io.writ/txn-token"]`) so the MCP server can verify who the call
   * is for and continue the task (`writ.task({ inbound })`). Send it only to servers you trust with it.
   * @default true
   */
  taskToken?: boolean | undefined;
  /** Your own resolver; its keys are kept, Writ's are added. */
  next?: MCPToolMetaResolver | undefined;
}

const optionsSchema = z.strictObject({
  taskToken: z.boolean().optional(),
  next: functionSchema<MCPToolMetaResolver>().optional(),
});

/**
 * An MCP `toolMetaResolver` that carries the Writ call across to the MCP server in `params._meta`:
 * W3C `traceparent` / `tracestate` / `baggage` of the call's `execute_tool` span (so the server's spans
 * join the trace) and the task token. Set it on the MCP servers of an agent wrapped with
 * {@link withWrit}: the SDK resolves `_meta` inside the call Writ allowed, so the context is that call's.
 *
 * @example
 * ```ts
 * import { Agent, MCPServerStdio } from '@openai/agents';
 *
 * const orders = new MCPServerStdio({ name: 'orders', fullCommand: 'node orders-mcp.js', toolMetaResolver: writMcpToolMeta() });
 * const agent = withWrit(new Agent({ name: 'support-bot', mcpServers: [orders] }));
 * ```
 */
export function writMcpToolMeta(options: WritMcpToolMetaOptions = {}): MCPToolMetaResolver {
  const { taskToken = true, next } = validateOptions(optionsSchema, options, 'writMcpToolMeta');
  return async (context) => {
    const own = next === undefined ? undefined : await next(context);
    return injectContext({ ...(own ?? {}) }, { format: 'mcp', taskToken });
  };
}
