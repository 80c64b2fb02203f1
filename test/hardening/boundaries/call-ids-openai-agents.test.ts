// Issue 18 item 1, through the real OpenAI Agents run loop (ScriptedModel, RunState stored as a string):
// a model whose call ids are fixed makes two users' runs present the same id. The second user's call
// must be judged afresh, and the approver named for the first user's call must not become the second
// user's approver.
import { Agent, RunState, run, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { approveCall, withWrit } from '@writ/openai-agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, asUser, BOB, instance, MARIA } from './support.js';

beforeAll(() => {
  setTraceProcessors([]);
  setTracingDisabled(true);
});

describe('OpenAI Agents approvals across users', () => {
  it(
    attack(
      'openai-agents-shared-call-ids',
      "bob's run with alice's call id gets its own decision; the approver alice's lead named stays on alice's call",
    ),
    async () => {
      const { writ, ofTask } = instance();
      const ran: string[] = [];
      const refundOrder = tool({
        name: 'refund_order',
        description: 'Refund part of an order',
        parameters: z.object({ orderId: z.string(), amount: z.number() }),
        execute: async ({ orderId, amount }) => {
          ran.push(getToolContext().attribution.requester?.id ?? 'nobody');
          return `refunded ${amount} on ${orderId}`;
        },
      });
      // the same call id, and the same arguments, in both users' runs
      const refund = () =>
        functionCall('refund_order', { orderId: '42', amount: 30 }, { callId: 'call_refund' });
      const model = new ScriptedModel([
        [refund()],
        [refund()],
        [assistantMessage('Refunded.')],
        [assistantMessage('Refunded.')],
      ]);
      const agent = withWrit(
        new Agent({ name: 'support', instructions: 'Help.', model, tools: [refundOrder] }),
        { writ, defaults: { risk: 'high' } },
      );
      /** Request 1 of a user: the run stops for approval; the state and the task id are stored. */
      const asks = (requester: string) =>
        writ.task(asUser(requester), async (task) => {
          const result = await run(agent, 'Refund 30 on order 42');
          expect(result.interruptions.map((i) => i.name)).toEqual(['refund_order']);
          return { state: result.state.toString(), taskId: task.attribution.taskId };
        });
      const alice = await asks(ALICE);
      const bob = await asks(BOB);

      // alice's lead approves in the back office, naming herself; the approved state is stored for a
      // worker to resume
      const approved = await writ.task(asUser(ALICE, alice.taskId), async () => {
        const state = await RunState.fromString(agent, alice.state);
        for (const item of state.getInterruptions()) approveCall(state, item, { approver: MARIA });
        return state.toString();
      });
      // meanwhile bob approves his own call (the SDK's plain approve: the approver is bob) and resumes
      await writ.task(asUser(BOB, bob.taskId), async () => {
        const state = await RunState.fromString(agent, bob.state);
        for (const item of state.getInterruptions()) state.approve(item);
        await run(agent, state);
      });
      // the worker resumes alice's approved run
      await writ.task(asUser(ALICE, alice.taskId), async () =>
        run(agent, await RunState.fromString(agent, approved)),
      );
      expect(ran).toEqual(['bob@example.com', 'alice@example.com']);

      // each call decided in its own task, approved by whom that user's flow named
      const [aliceDecision] = ofTask('decision', alice.taskId);
      const [bobDecision] = ofTask('decision', bob.taskId);
      expect(bobDecision?.call.id).toBe(aliceDecision?.call.id);
      expect(bobDecision?.decision.decisionId).not.toBe(aliceDecision?.decision.decisionId);
      expect(ofTask('approval', bob.taskId).map((e) => [e.decisionId, e.approval.approver?.id])).toEqual([
        [bobDecision?.decision.decisionId, 'bob@example.com'],
      ]);
      expect(ofTask('approval', alice.taskId).map((e) => [e.decisionId, e.approval.approver?.id])).toEqual([
        [aliceDecision?.decision.decisionId, 'maria@example.com'],
      ]);
      for (const { taskId } of [alice, bob]) {
        expect(ofTask('outcome', taskId).map((e) => e.outcome.status)).toEqual(['ok']);
      }
    },
  );
});
