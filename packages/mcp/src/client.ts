import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type InstrumentClientOptions, instrumentCallTool } from './shared/client.js';

/**
 * The part of an MCP `Client` (SDK 1.x) that {@link instrumentClient} wraps.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 *
 * const client: McpClientLike = instrumentClient(new Client({ name: 'support-bot', version: '1.0.0' }), {
 *   audience: 'https://orders.example.com/mcp',
 * });
 * ```
 */
export interface McpClientLike {
  callTool: Client['callTool'];
}

/**
 * Makes an MCP client (`Client` from `@modelcontextprotocol/sdk` 1.x) carry Writ's context on every
 * `client.callTool(...)`: each call gets a CLIENT span `tools/call <tool>` (child of the active span),
 * and `params._meta` gets `traceparent`/`tracestate`, W3C `baggage` with the correlation id and a
 * credential for the server's `audience` only (`io.writ/txn-token`, minted or exchanged by the task's
 * credential broker; never the task token), so an instrumented server continues the same trace and the
 * same task and no other server can use what this one is sent. The caller's `params` and `_meta` are
 * copied, never modified; `_meta` keys the caller set are kept unless Writ writes the same key. A result
 * with `isError: true` marks the span as failed (`error.type` `tool_error`). For the 2.x SDK
 * (`@modelcontextprotocol/client`) import from `@writ/mcp/v2`.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { instrumentClient } from '@writ/mcp';
 *
 * const url = new URL('https://orders.example.com/mcp');
 * const client = instrumentClient(new Client({ name: 'support-bot', version: '1.0.0' }), { audience: url });
 * await client.connect(new StreamableHTTPClientTransport(url));
 * await writ.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, () =>
 *   client.callTool({ name: 'lookup_order', arguments: { orderId: '42' } }),
 * );
 * ```
 */
export function instrumentClient<C extends McpClientLike>(client: C, options?: InstrumentClientOptions): C {
  return instrumentCallTool(client, options);
}
