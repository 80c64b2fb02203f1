import type { MCPToolMetaResolver } from '@openai/agents';
import { injectContext } from '@writ/core';
import { hopCredential } from '@writ/core/adapter';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * Options of {@link writMcpToolMeta}.
 *
 * @example
 * ```ts
 * const toolMetaResolver = writMcpToolMeta({ audience: 'https://orders.example.com/mcp', next: ({ toolName }) => ({ 'app/tool': toolName }) });
 * ```
 */
export interface WritMcpToolMetaOptions {
  /**
   * The MCP server's resource URI. With it, each call carries in `_meta["io.writ/txn-token"]` a
   * credential issued for that audience (`hopCredential`), so the server can verify who the call is for
   * and continue the task (`writ.task({ inbound })`); a credential for one server is refused by any other.
   * The task token itself never leaves this process. Use one resolver per server.
   * @default none: only the trace context and baggage are sent
   */
  audience?: string | undefined;
  /** Your own resolver; its keys are kept, Writ's are added. */
  next?: MCPToolMetaResolver | undefined;
}

const optionsSchema = z.strictObject({
  audience: z.string().min(1).optional(),
  next: functionSchema<MCPToolMetaResolver>().optional(),
});

/**
 * An MCP `toolMetaResolver` that carries the Writ call across to the MCP server in `params._meta`:
 * W3C `traceparent` / `tracestate` / `baggage` of the call's `execute_tool` span (so the server's spans
 * join the trace) and, with `audience`, a credential for that server. Set it on the MCP servers of an agent wrapped with
 * {@link withWrit}: the SDK resolves `_meta` inside the call Writ allowed, so the context is that call's.
 *
 * @example
 * ```ts
 * import { Agent, MCPServerStdio } from '@openai/agents';
 *
 * const orders = new MCPServerStdio({ name: 'orders', fullCommand: 'node orders-mcp.js', toolMetaResolver: writMcpToolMeta({ audience: 'https://orders.example.com/mcp' }) });
 * const agent = withWrit(new Agent({ name: 'support-bot', mcpServers: [orders] }));
 * ```
 */
export function writMcpToolMeta(options: WritMcpToolMetaOptions = {}): MCPToolMetaResolver {
  const { audience, next } = validateOptions(optionsSchema, options, 'writMcpToolMeta');
  return async (context) => {
    const own = next === undefined ? undefined : await next(context);
    const credential = audience === undefined ? undefined : await hopCredential(audience);
    return injectContext({ ...(own ?? {}) }, { format: 'mcp', credential });
  };
}
