// Issue 22 item 3, through Strands' real agent loop (Agent, Zod tool, hooks, interrupts; the scripted
// model of examples/strands): a model whose tool use ids are fixed makes two users' runs present the
// same id. The second user's call must be judged afresh, and answering the first user's pending interrupt
// from the second user's task, even under the first user's task id, must run nothing and record no
// approval.
import { Agent, tool } from '@strands-agents/sdk';
import { approvalResponse, writApprovalRequests, writPlugin } from '@writ/strands';
import { describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { z } from 'zod';
import { ScriptedModel } from '../../../examples/strands/src/scripted-model.js';
import { attack } from './attacks.js';
import { ALICE, asUser, BOB, instance } from './support.js';

function supportAgent(writ: ReturnType<typeof instance>['writ'], ran: string[]): Agent {
  const refundOrder = tool({
    name: 'refund_order',
    description: 'Refund part of an order',
    inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
    callback: ({ orderId, amount }) => {
      ran.push(getToolContext().attribution.requester?.id ?? 'nobody');
      return { orderId, refunded: amount };
    },
  });
  // the same tool use id, and the same arguments, in both users' runs
  const call = { id: 'call-refund', name: 'refund_order', input: { orderId: '42', amount: 30 } };
  return new Agent({
    model: new ScriptedModel([
      { tools: [call] },
      { tools: [call] },
      { tools: [call] },
      { text: 'Refunded.' },
    ]),
    tools: [refundOrder],
    plugins: [writPlugin({ writ })],
    printer: false,
  });
}

describe('Strands approvals across users', () => {
  it(
    attack(
      'strands-shared-call-ids',
      "bob's run with alice's tool use id gets its own decision; bob answering alice's interrupt runs nothing",
    ),
    async () => {
      const { writ, audit } = instance();
      const ran: string[] = [];
      const agents = { alice: supportAgent(writ, ran), bob: supportAgent(writ, ran) };
      const asks = async (requester: string, agent: Agent) =>
        writ.task(asUser(requester), async () => {
          const [pending] = writApprovalRequests(await agent.invoke('Refund 30 on order 42'));
          if (pending === undefined) throw new Error('the run did not stop for approval');
          return pending;
        });
      const alice = await asks(ALICE, agents.alice);
      const bob = await asks(BOB, agents.bob);
      // bob's call was judged afresh: its own decision, binding, task and interrupt
      expect(bob.request.toolCallId).toBe(alice.request.toolCallId);
      expect(bob.request.decisionId).not.toBe(alice.request.decisionId);
      expect(bob.request.bindingHash).not.toBe(alice.request.bindingHash);
      expect(bob.request.taskId).not.toBe(alice.request.taskId);
      expect(bob.interruptId).not.toBe(alice.interruptId);

      // bob answers alice's interrupt (he learnt its id) in his own task, then under alice's task id:
      // the answer is not used; the call is asked about afresh (a new interrupt, bound to bob) and not run
      const answer = approvalResponse(alice.interruptId, { approved: true });
      for (const taskId of [undefined, alice.request.taskId]) {
        const result = await writ.task(asUser(BOB, taskId), () => agents.alice.invoke([answer]));
        expect(result.stopReason).toBe('interrupt');
        const asked = writApprovalRequests(result);
        expect(asked.length).toBeGreaterThan(0);
        for (const { interruptId, request } of asked) {
          expect(interruptId).not.toBe(alice.interruptId);
          expect(request.bindingHash).not.toBe(alice.request.bindingHash);
        }
      }
      expect(ran).toEqual([]);

      // bob approves his own call, in his task: it runs for bob, once
      await writ.task(asUser(BOB, bob.request.taskId), () =>
        agents.bob.invoke([approvalResponse(bob.interruptId, { approved: true })]),
      );
      expect(ran).toEqual(['bob@example.com']);
      // the only approval given is bob's, on bob's own decision
      expect(audit.ofKind('approval').map((e) => [e.taskId, e.decisionId, e.approval.approved])).toEqual([
        [bob.request.taskId, bob.request.decisionId, true],
      ]);
    },
  );
});
