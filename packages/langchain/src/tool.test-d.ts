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
