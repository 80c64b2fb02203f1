import { tool } from '@langchain/core/tools';
import { Command } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { createAgent, fakeModel } from 'langchain';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type WritApprovalAnswer, writMiddleware, writTool, writTools } from './index.js';

const lookupOrder = tool(async ({ orderId }) => ({ orderId }), {
  name: 'lookup_order',
  schema: z.object({ orderId: z.string() }),
});
const faq = tool(async (question: string) => question, { name: 'search_faq', schema: z.string() });

describe('types', () => {
  it('writTool and writTools give back the tools as they were typed', () => {
    expectTypeOf(writTool(lookupOrder)).toEqualTypeOf<typeof lookupOrder>();
    expectTypeOf(writTools([lookupOrder, faq] as const)).toEqualTypeOf<
      readonly [typeof lookupOrder, typeof faq]
    >();
    new ToolNode(writTools([lookupOrder, faq]));
    // kept in a variable first, as users do: a mutable array ToolNode and createAgent accept
    const tools = writTools([lookupOrder, faq]);
    expectTypeOf(tools).toEqualTypeOf<(typeof lookupOrder | typeof faq)[]>();
    new ToolNode(tools);
    createAgent({ model: fakeModel(), tools });
  });

  it('hint keys are the tools’ names, and each hint’s arguments the tool’s schema output', () => {
    const refundOrder = tool(async ({ orderId, amount }) => ({ orderId, refunded: amount }), {
      name: 'refund_order',
      schema: z.object({ orderId: z.string(), amount: z.number() }),
    });
    writTools([lookupOrder, refundOrder], {
      tools: {
        refund_order: {
          risk: 'high',
          resource: (args) => {
            expectTypeOf(args).toEqualTypeOf<{ orderId: string; amount: number }>();
            return { type: 'Order', id: args.orderId };
          },
        },
        lookup_order: { resource: ({ orderId }) => ({ type: 'Order', id: orderId }) },
      },
    });
    writTool(refundOrder, {
      tools: { refund_order: { resource: ({ orderId }) => ({ type: 'Order', id: orderId }) } },
    });
    // @ts-expect-error refund_ordr names no tool in the list
    writTools([lookupOrder, refundOrder], { tools: { refund_ordr: { risk: 'high' } } });
    // @ts-expect-error writTool's hints name that one tool
    writTool(lookupOrder, { tools: { refund_order: { risk: 'high' } } });
    writTools([lookupOrder], {
      // @ts-expect-error lookup_order has no amount
      tools: { lookup_order: { resource: ({ amount }) => ({ type: 'Order', id: String(amount) }) } },
    });
  });

  it('writMiddleware is a createAgent middleware', () => {
    createAgent({ model: fakeModel(), tools: [lookupOrder], middleware: [writMiddleware()] });
  });

  it('the resume value is typed', () => {
    const resume: WritApprovalAnswer = { approved: true, approver: { id: 'maria@example.com' } };
    new Command({ resume });
    // @ts-expect-error approved is required
    const missing: WritApprovalAnswer = { approver: { id: 'maria@example.com' } };
    void missing;
  });
});
