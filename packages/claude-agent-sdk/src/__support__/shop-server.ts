import { createSdkMcpServer, tool } from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import { writToolContext } from '../tool-context.js';

/**
 * An SDK MCP server `shop` (`mcp__shop__lookup_order`, `…refund_order`, `…delete_customer`) whose tools
 * log what ran in `executed`, and the credential id each refund's handler got in `credentials`.
 */
export function shopServer(executed: string[], credentials: Array<string | undefined> = []) {
  return createSdkMcpServer({
    name: 'shop',
    version: '1.0.0',
    tools: [
      tool('lookup_order', 'Read an order', { orderId: z.string() }, async ({ orderId }) => {
        executed.push(`lookup_order ${orderId}`);
        return { content: [{ type: 'text', text: `order ${orderId}: delivered, damaged` }] };
      }),
      tool(
        'refund_order',
        'Refund an order',
        { orderId: z.string(), amount: z.number() },
        async (a, extra) => {
          executed.push(`refund_order ${a.orderId} ${a.amount}`);
          credentials.push(writToolContext(extra)?.credential?.jti);
          return { content: [{ type: 'text', text: `refunded ${a.amount} on order ${a.orderId}` }] };
        },
      ),
      tool('delete_customer', 'Delete a customer', { customerId: z.string() }, async ({ customerId }) => {
        executed.push(`delete_customer ${customerId}`);
        return { content: [{ type: 'text', text: 'deleted' }] };
      }),
    ],
  });
}
