// Issue 18 item 1, through a real LangGraph loop (createAgent + writMiddleware, LangChain's scripted fake
// model, MemorySaver): a model whose tool call ids are fixed makes two users' threads present the same id.
// The second user's call must be judged afresh, and must neither use nor displace the first user's
// pending approval.
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { isWritApprovalRequest, type WritApprovalRequest, writMiddleware } from '@writ/langchain';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, asUser, BOB, instance } from './support.js';

describe('LangGraph approvals across users', () => {
  it(
    attack(
      'langgraph-shared-call-ids',
      "bob's thread with alice's tool call id gets its own decision and approval; alice's approval still runs her call",
    ),
    async () => {
      const { writ, ofTask } = instance();
      const ran: string[] = [];
      const refundOrder = tool(
        async ({ orderId, amount }) => {
          ran.push(getToolContext().attribution.requester?.id ?? 'nobody');
          return `refunded ${amount} on ${orderId}`;
        },
        {
          name: 'refund_order',
          description: 'Refund part of an order',
          schema: z.object({ orderId: z.string(), amount: z.number() }),
        },
      );
      // the same tool call id, and the same arguments, in both users' threads
      const call = { name: 'refund_order', args: { orderId: '42', amount: 30 }, id: 'call_refund' };
      const model = fakeModel()
        .respondWithTools([call])
        .respondWithTools([call])
        .respond(new AIMessage('Refunded.'))
        .respond(new AIMessage('Refunded.'));
      const agent = createAgent({
        model,
        tools: [refundOrder],
        middleware: [writMiddleware({ writ, defaults: { risk: 'high' } })],
        checkpointer: new MemorySaver(),
      });
      const thread = (id: string) => ({ configurable: { thread_id: id } });
      const asked = async (requester: string, threadId: string): Promise<WritApprovalRequest> => {
        const paused = await writ.task(asUser(requester), () =>
          agent.invoke({ messages: [{ role: 'user', content: 'Refund 30 on order 42' }] }, thread(threadId)),
        );
        const [request] = (paused.__interrupt__ ?? []).map((i) => i.value).filter(isWritApprovalRequest);
        if (request === undefined) throw new Error('the run did not pause for approval');
        return request;
      };
      const answer = (requester: string, request: WritApprovalRequest, threadId: string) =>
        writ.task(asUser(requester, request.taskId), () =>
          agent.invoke(
            new Command({ resume: { approved: true, toolCallId: request.toolCallId } }),
            thread(threadId),
          ),
        );

      const alices = await asked(ALICE, 'alice-thread');
      const bobs = await asked(BOB, 'bob-thread');
      // bob's call was judged afresh: its own decision, its own binding, its own task
      expect(bobs.toolCallId).toBe(alices.toolCallId);
      expect(bobs.decisionId).not.toBe(alices.decisionId);
      expect(bobs.bindingHash).not.toBe(alices.bindingHash);
      expect(bobs.taskId).not.toBe(alices.taskId);

      // bob approves his own call: it runs for bob, under bob's decision
      await answer(BOB, bobs, 'bob-thread');
      expect(ran).toEqual(['bob@example.com']);
      // alice's approval was neither used nor displaced by bob's: her call runs for her
      await answer(ALICE, alices, 'alice-thread');
      expect(ran).toEqual(['bob@example.com', 'alice@example.com']);

      for (const request of [alices, bobs]) {
        expect(ofTask('decision', request.taskId).map((e) => e.decision.decisionId)).toEqual([
          request.decisionId,
        ]);
        expect(ofTask('approval', request.taskId).map((e) => e.approval.bindingHash)).toEqual([
          request.bindingHash,
        ]);
        expect(ofTask('outcome', request.taskId).map((e) => e.outcome.status)).toEqual(['ok']);
      }
    },
  );
});
