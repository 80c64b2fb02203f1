// Issue 18 item 1, through the real Mastra agent loop (Agent.stream, approveToolCall, runs kept in
// Mastra's InMemoryStore, Mastra's scripted streaming model from examples/mastra): a model whose tool call ids are fixed makes two
// users' runs present the same id. The second user's call must be judged afresh, and resuming the first
// user's suspended run, even under the first user's task id, must not use that user's pending approval.
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { createTool } from '@mastra/core/tools';
import { isWritApprovalRequest, type WritApprovalRequest, writTools } from '@writ/mastra';
import { describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { z } from 'zod';
import { scriptedModel } from '../../../examples/mastra/src/scripted-model.js';
import { attack } from './attacks.js';
import { ALICE, asUser, BOB, instance } from './support.js';

describe('Mastra approvals across users', () => {
  it(
    attack(
      'mastra-shared-call-ids',
      "bob's run with alice's tool call id gets its own decision; bob resuming alice's run is refused",
    ),
    async () => {
      const { writ, audit, ofTask } = instance();
      const ran: string[] = [];
      const refundOrder = createTool({
        id: 'refund-order',
        description: 'Refund part of an order',
        inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
        execute: async ({ orderId, amount }) => {
          ran.push(getToolContext().attribution.requester?.id ?? 'nobody');
          return { orderId, refunded: amount };
        },
      });
      // the same tool call id, and the same arguments, in both users' runs
      const call = { id: 'call-refund', name: 'refund_order', args: { orderId: '42', amount: 30 } };
      const model = scriptedModel([
        { tools: [call] },
        { tools: [call] },
        { text: 'Refunded.' },
        { text: 'Sorry, that did not work.' },
      ]);
      const support = new Agent({
        id: 'support',
        name: 'Support',
        instructions: 'Resolve the ticket.',
        model,
        tools: writTools({ refund_order: refundOrder }, { writ, defaults: { risk: 'high' } }),
      });
      const agent = new Mastra({ agents: { support }, storage: new InMemoryStore(), logger: false }).getAgent(
        'support',
      );
      const memoryOf = (who: string) => ({ thread: `${who}-ticket`, resource: who });
      /** Reads a run to its end; the Writ approval request it suspended with, if any. */
      const drain = async (stream: Awaited<ReturnType<typeof agent.stream>>) => {
        let request: WritApprovalRequest | undefined;
        for await (const chunk of stream.fullStream) {
          const payload = chunk.type === 'tool-call-suspended' ? chunk.payload.suspendPayload : undefined;
          if (isWritApprovalRequest(payload)) request = payload;
        }
        return request;
      };
      const asks = async (requester: string, who: string) =>
        writ.task(asUser(requester), async () => {
          const stream = await agent.stream('Refund 30 on order 42', { memory: memoryOf(who) });
          const request = await drain(stream);
          if (request === undefined) throw new Error('the run did not suspend for approval');
          return { request, runId: stream.runId };
        });
      const approve = async (runId: string, who: string) =>
        drain(await agent.approveToolCall({ runId, toolCallId: call.id, memory: memoryOf(who) }));
      const alice = await asks(ALICE, 'alice');
      const bob = await asks(BOB, 'bob');
      // bob's call was judged afresh: its own decision, binding and task
      expect(bob.request.decisionId).not.toBe(alice.request.decisionId);
      expect(bob.request.bindingHash).not.toBe(alice.request.bindingHash);
      expect(bob.request.taskId).not.toBe(alice.request.taskId);

      // bob approves his own call, in his task: it runs for bob
      await writ.task(asUser(BOB, bob.request.taskId), () => approve(bob.runId, 'bob'));
      expect(ran).toEqual(['bob@example.com']);

      // bob resumes alice's suspended run (he learnt its run id), under alice's task id: refused
      await writ.task(asUser(BOB, alice.request.taskId), () => approve(alice.runId, 'alice'));
      expect(ran).toEqual(['bob@example.com']);
      const attempt = ofTask('decision', alice.request.taskId).filter(
        (e) => e.requester?.id === 'bob@example.com',
      );
      expect(attempt.map((e) => [e.decision.effect, e.refusal?.code, e.refusal?.details?.why])).toEqual([
        ['approval_required', 'WRIT_APPROVAL_REJECTED', 'no_pending_approval'],
      ]);
      expect(attempt[0]?.decision.decisionId).not.toBe(alice.request.decisionId);
      // the only approval given is bob's, on bob's own decision
      expect(audit.ofKind('approval').map((e) => [e.taskId, e.decisionId, e.approval.approved])).toEqual([
        [bob.request.taskId, bob.request.decisionId, true],
      ]);
    },
  );
});
