import { createTool } from '@mastra/core/tools';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type MastraToolArgs, writTools } from './index.js';

const lookupOrder = createTool({
  id: 'lookup-order',
  description: 'Read an order',
  inputSchema: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => ({ orderId }),
});
const refundOrder = createTool({
  id: 'refund-order',
  description: 'Refund an order',
  inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
  execute: async ({ orderId, amount }) => ({ orderId, refunded: amount }),
});
const tools = { lookup_order: lookupOrder, refund_order: refundOrder };

describe('writTools hint types', () => {
  it('types each hint’s arguments from the tool’s input schema ', () => {
    writTools(tools, {
      tools: {
        refund_order: {
          risk: 'high',
          resource: (args) => {
            expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
            return { type: 'Order', id: args.orderId };
          },
        },
        lookup_order: {
          resource: (args) => {
            expectTypeOf(args).toEqualTypeOf<{ orderId: string }>();
            return { type: 'Order', id: args.orderId };
          },
        },
      },
    });
    expectTypeOf<keyof MastraToolArgs<typeof tools>>().toEqualTypeOf<'lookup_order' | 'refund_order'>();
    expectTypeOf(writTools(tools)).toEqualTypeOf<typeof tools>();
  });

  it('a hint for a tool that is not given is a type error', () => {
    // @ts-expect-error refund_ordr is not one of the tools
    writTools(tools, { tools: { refund_ordr: { risk: 'high' } } });
    writTools(tools, {
      // @ts-expect-error lookup_order has no amount
      tools: { lookup_order: { resource: ({ amount }) => ({ type: 'Order', id: String(amount) }) } },
    });
  });
});
