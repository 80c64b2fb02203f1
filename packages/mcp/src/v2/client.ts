import type { Client } from '@modelcontextprotocol/client';
import { type InstrumentClientOptions, instrumentCallTool } from '../shared/client.js';

/**
 * The part of an MCP `Client` (`@modelcontextprotocol/client` 2.x) that {@link instrumentClient} wraps.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/client';
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
 * Makes an MCP client (`Client` from `@modelcontextprotocol/client` 2.x) carry Writ's context on every
 * `client.callTool(params, options)`: a CLIENT span `tools/call <tool>`, and `traceparent`/`tracestate`,
 * `baggage` and a credential for the server's `audience` (`io.writ/txn-token`) in a copy of `params._meta`. Same
 * behaviour and options as `@writ/mcp`'s `instrumentClient` for SDK 1.x.
 *
 * @example
 * ```ts
 * import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
 * import { instrumentClient } from '@writ/mcp/v2';
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
