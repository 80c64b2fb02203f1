// Issue 22 item 3, through Genkit's real generate loop (genkit(), defineTool, tool interrupts,
// `resume.restart`; the scripted model of examples/genkit): a model whose tool request refs are fixed
// makes two users' runs present the same call id. The second user's call must be judged afresh, and
// restarting the first user's interrupted call from the second user's task, even under the first
// user's task id, must run nothing and record no approval.
import { approvalRestart, writApprovalRequests, writMiddleware } from '@writ/genkit';
import { genkit, z } from 'genkit';
import { describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { scriptedModel } from '../../../examples/genkit/src/scripted-model.js';
import { attack } from './attacks.js';
import { ALICE, asUser, BOB, instance } from './support.js';

describe('Genkit approvals across users', () => {
  it(
    attack(
      'genkit-shared-call-ids',
      "bob's run with alice's tool request ref gets its own decision; bob restarting alice's interrupted call runs nothing",
    ),
    async () => {
      const { writ, audit } = instance();
      const ai = genkit({});
      const ran: string[] = [];
      const refundOrder = ai.defineTool(
        {
          name: 'refund_order',
          description: 'Refund part of an order',
          inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
        },
        async ({ orderId, amount }) => {
          ran.push(getToolContext().attribution.requester?.id ?? 'nobody');
          return { orderId, refunded: amount };
        },
      );
      // the same tool request ref, and the same arguments, in both users' runs
      const call = { ref: 'call-refund', name: 'refund_order', input: { orderId: '42', amount: 30 } };
      const model = scriptedModel(ai, [{ tools: [call] }, { tools: [call] }, { text: 'Refunded.' }]);
      const governed = writMiddleware({ writ });
      const generate = (options: Record<string, unknown>) =>
        ai.generate({ model, tools: [refundOrder], use: [governed], ...options });
      const asks = async (requester: string) =>
        writ.task(asUser(requester), async () => {
          const response = await generate({ prompt: 'Refund 30 on order 42' });
          const [pending] = writApprovalRequests(response.interrupts);
          if (pending === undefined) throw new Error('the run was not interrupted for approval');
          return { pending, messages: response.messages };
        });
      const alice = await asks(ALICE);
      const bob = await asks(BOB);
      // bob's call was judged afresh: its own decision, binding and task
      expect(bob.pending.request.toolCallId).toBe(alice.pending.request.toolCallId);
      expect(bob.pending.request.decisionId).not.toBe(alice.pending.request.decisionId);
      expect(bob.pending.request.bindingHash).not.toBe(alice.pending.request.bindingHash);
      expect(bob.pending.request.taskId).not.toBe(alice.pending.request.taskId);

      // bob restarts alice's interrupted call (he learnt it) in his own task, then under alice's task id:
      // Writ finds no approval of that call asked in bob's task and interrupts it again (Genkit 1.42
      // fails a generate call interrupted while resuming); nothing runs
      const restart = {
        messages: alice.messages,
        resume: { restart: [approvalRestart(alice.pending.interrupt, { approved: true })] },
      };
      for (const taskId of [undefined, alice.pending.request.taskId, alice.pending.request.taskId]) {
        await expect(writ.task(asUser(BOB, taskId), () => generate(restart))).rejects.toThrow();
      }
      expect(ran).toEqual([]);

      // bob approves his own call, in his task: it runs for bob, once
      await writ.task(asUser(BOB, bob.pending.request.taskId), () =>
        generate({
          messages: bob.messages,
          resume: { restart: [approvalRestart(bob.pending.interrupt, { approved: true })] },
        }),
      );
      expect(ran).toEqual(['bob@example.com']);
      // the only approval given is bob's, on bob's own decision; alice's call is still waiting
      expect(audit.ofKind('approval').map((e) => [e.taskId, e.decisionId, e.approval.approved])).toEqual([
        [bob.pending.request.taskId, bob.pending.request.decisionId, true],
      ]);
    },
  );
});
