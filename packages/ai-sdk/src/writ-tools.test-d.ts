import { tool } from 'ai';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type ToolSetArgs, type WritToolsOptions, writTools } from './index.js';

const tools = {
  lookup_order: tool({
    inputSchema: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) => ({ orderId }),
  }),
  refund_order: tool({
    inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async ({ orderId, amount }) => ({ orderId, refunded: amount }),
  }),
};

describe('writTools hint types', () => {
  it('types each hint’s arguments from the tool’s input schema (no casts)', () => {
    writTools(tools, {
      tools: {
        refund_order: {
          risk: 'high',
          resource: (args) => {
            expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
            return { type: 'Order', id: args.orderId };
          },
          dataClassification: ({ amount }) => (amount > 1000 ? 'confidential' : undefined),
        },
        lookup_order: { resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
      },
    });
    expectTypeOf<ToolSetArgs<typeof tools>>().toEqualTypeOf<{
      readonly lookup_order: { orderId: string };
      readonly refund_order: { orderId: string; amount: number };
    }>();
  });

  it('a hint for a tool the ToolSet does not have is a type error', () => {
    // @ts-expect-error refund_ordr is not a tool of the set
    writTools(tools, { tools: { refund_ordr: { risk: 'high' } } });
    writTools(tools, {
      // @ts-expect-error lookup_order has no amount
      tools: { lookup_order: { resource: ({ amount }) => ({ type: 'Order', id: String(amount) }) } },
    });
  });

  it('keeps the ToolSet’s type, and options can be written ahead of the call', () => {
    expectTypeOf(writTools(tools)).toEqualTypeOf<typeof tools>();
    const options: WritToolsOptions<typeof tools> = { tools: { refund_order: { risk: 'high' } } };
    expectTypeOf(writTools(tools, options)).toEqualTypeOf<typeof tools>();
    // an untyped ToolSet takes hints for any name, with unknown arguments
    const untyped: WritToolsOptions = {
      tools: { anything: { resource: (args) => ({ type: 'T', id: String(args) }) } },
    };
    void untyped;
  });
});
