// Issue 22 item 3, through Google ADK's real runner (InMemoryRunner, LlmAgent, ADK's tool confirmation;
// the scripted model of examples/google-adk): a model whose function call ids are fixed makes two users'
// runs present the same id. The second user's call must be judged afresh, and answering the first user's
// pending confirmation from the second user's task, even under the first user's task id, must run
// nothing and record no approval.
import { FunctionTool, InMemoryRunner, LlmAgent, LogLevel, setLogLevel } from '@google/adk';
import { approvalResponse, writApprovalRequests, writPlugin } from '@writ/google-adk';
import { describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { z } from 'zod';
import { ScriptedModel } from '../../../examples/google-adk/src/scripted-model.js';
import { attack } from './attacks.js';
import { ALICE, asUser, BOB, instance } from './support.js';

describe('Google ADK approvals across users', () => {
  it(
    attack(
      'google-adk-shared-call-ids',
      "bob's run with alice's function call id gets its own decision; bob answering alice's confirmation runs nothing",
    ),
    async () => {
      setLogLevel(LogLevel.ERROR);
      const { writ, audit } = instance();
      const ran: string[] = [];
      const refundOrder = new FunctionTool({
        name: 'refund_order',
        description: 'Refund part of an order',
        parameters: z.object({ orderId: z.string(), amount: z.number() }),
        execute: async ({ orderId, amount }) => {
          ran.push(getToolContext().attribution.requester?.id ?? 'nobody');
          return { orderId, refunded: amount };
        },
      });
      // the same function call id, and the same arguments, in both users' runs
      const call = { id: 'call-refund', name: 'refund_order', args: { orderId: '42', amount: 30 } };
      const runner = new InMemoryRunner({
        agent: new LlmAgent({
          name: 'support',
          instruction: 'Resolve the ticket.',
          model: new ScriptedModel([{ tools: [call] }, { tools: [call] }, { text: 'Refunded.' }]),
          tools: [refundOrder],
        }),
        appName: 'support',
        plugins: [writPlugin({ writ })],
      });
      const sessions = new Map<string, string>();
      for (const who of ['alice', 'bob']) {
        const session = await runner.sessionService.createSession({ appName: 'support', userId: who });
        sessions.set(who, session.id);
      }
      const send = async (who: string, newMessage: Parameters<typeof runner.runAsync>[0]['newMessage']) => {
        const events = [];
        const sessionId = sessions.get(who) ?? '';
        for await (const event of runner.runAsync({ userId: who, sessionId, newMessage })) events.push(event);
        return events;
      };
      const asks = async (requester: string, who: string) =>
        writ.task(asUser(requester), async () => {
          const [pending] = writApprovalRequests(
            await send(who, { role: 'user', parts: [{ text: 'Refund 30 on order 42' }] }),
          );
          if (pending === undefined) throw new Error('the run did not pause for approval');
          return pending;
        });
      const alice = await asks(ALICE, 'alice');
      const bob = await asks(BOB, 'bob');
      // bob's call was judged afresh: its own decision, binding and task
      expect(bob.request.toolCallId).toBe(alice.request.toolCallId);
      expect(bob.request.decisionId).not.toBe(alice.request.decisionId);
      expect(bob.request.bindingHash).not.toBe(alice.request.bindingHash);
      expect(bob.request.taskId).not.toBe(alice.request.taskId);

      // bob answers alice's confirmation (he learnt its id) in his own task, then under alice's task id:
      // ADK refuses both (no Writ approval of that call is pending for bob); nothing runs
      const answer = approvalResponse(alice.confirmationCallId, { approved: true });
      for (const taskId of [undefined, alice.request.taskId, alice.request.taskId]) {
        await expect(writ.task(asUser(BOB, taskId), () => send('alice', answer))).rejects.toThrow(
          /confirmation_not_required/,
        );
      }
      expect(ran).toEqual([]);

      // bob approves his own call, in his task: it runs for bob, once
      await writ.task(asUser(BOB, bob.request.taskId), () =>
        send('bob', approvalResponse(bob.confirmationCallId, { approved: true })),
      );
      expect(ran).toEqual(['bob@example.com']);
      // the only approval given is bob's, on bob's own decision; alice's call is still waiting
      expect(audit.ofKind('approval').map((e) => [e.taskId, e.decisionId, e.approval.approved])).toEqual([
        [bob.request.taskId, bob.request.decisionId, true],
      ]);
    },
  );
});
