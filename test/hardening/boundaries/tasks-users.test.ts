// Issue 18 item 1: the call ledger (adapters' decide-then-run memory) must not cross tasks or users.
// Attacks through the adapter kit every framework adapter uses, and through the real AI SDK loop.
import { WritError } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, BOB, instance, MARIA } from './support.js';

const statementOf = (who: string) => ({ account: who, balance: who === 'alice@example.com' ? 1_200 : 90 });

function statementTool(writ: ReturnType<typeof instance>['writ'], ran: string[]) {
  return adaptTool(
    'test-framework',
    { name: 'get_statement', input: z.object({ month: z.string() }) },
    (_args, ctx) => {
      const who = ctx.attribution.requester?.id ?? 'nobody';
      ran.push(who);
      return statementOf(who);
    },
    { writ, defaults: { risk: 'low' } },
  );
}

describe('the call ledger across tasks and users', () => {
  it(
    attack(
      'ledger-cross-user',
      "a second user presenting the same tool call id gets their own result, not the first user's",
    ),
    async () => {
      const { writ, ofTask } = instance();
      const ran: string[] = [];
      const tool = statementTool(writ, ran);
      const alice = await writ.task({ requester: ALICE, agent: 'bank-bot' }, async (t) => ({
        id: t.attribution.taskId,
        result: await tool.run({ month: '2026-11' }, { toolCallId: '0' }),
      }));
      const bob = await writ.task({ requester: BOB, agent: 'bank-bot' }, async (t) => ({
        id: t.attribution.taskId,
        result: await tool.run({ month: '2026-11' }, { toolCallId: '0' }),
      }));
      expect(alice.result).toEqual(statementOf('alice@example.com'));
      expect(bob.result).toEqual(statementOf('bob@example.com'));
      expect(ran).toEqual(['alice@example.com', 'bob@example.com']);
      // bob's task records its own decision and outcome
      expect(ofTask('decision', bob.id)).toHaveLength(1);
      expect(ofTask('outcome', bob.id).map((e) => e.outcome.status)).toEqual(['ok']);
    },
  );

  it(
    attack(
      'ledger-cross-task-decision',
      "a decision check made in one task does not let the same user's other task run on it",
    ),
    async () => {
      let decisions = 0;
      const { writ } = instance({
        writ: {
          policy: {
            name: 'counting',
            decide: async (request) => {
              decisions += 1;
              return {
                effect: 'allow',
                policyIds: ['p'],
                reasons: [],
                decisionId: `d-${decisions}`,
                engine: 'counting',
                evaluatedContext: request,
              };
            },
          },
        },
      });
      const ran: string[] = [];
      const tool = statementTool(writ, ran);
      await writ.task({ requester: ALICE, agent: 'bank-bot' }, () =>
        tool.check({ month: '2026-11' }, { toolCallId: '0' }),
      );
      const decided = await writ.task({ requester: ALICE, agent: 'bank-bot' }, async () => {
        await tool.run({ month: '2026-11' }, { toolCallId: '0' });
        return decisions;
      });
      expect(decided).toBe(2); // judged afresh in the second task
    },
  );

  it(
    attack(
      'ledger-cross-user-approval',
      "another user's approval flow cannot consume or run on alice's pending approval",
    ),
    async () => {
      const { writ, audit } = instance();
      const ran: string[] = [];
      const refund = adaptTool(
        'test-framework',
        { name: 'refund_order', input: z.object({ orderId: z.string(), amount: z.number() }) },
        (_args, ctx) => {
          ran.push(ctx.attribution.requester?.id ?? 'nobody');
          return 'refunded';
        },
        { writ, defaults: { risk: 'high' } },
      );
      const args = { orderId: '42', amount: 900 };
      const asked = await writ.task({ requester: ALICE, agent: 'support' }, () =>
        refund.check(args, { toolCallId: '0' }),
      );
      expect(asked.effect).toBe('approval_required');
      // bob presents the same call id and arguments with an approval from his framework
      const bobs = await writ
        .task({ requester: BOB, agent: 'support' }, () =>
          refund.run(args, { toolCallId: '0', approval: { approved: true, approver: MARIA } }),
        )
        .catch((e: unknown) => e);
      expect(WritError.isInstance(bobs, 'WRIT_APPROVAL_REJECTED')).toBe(true);
      expect(ran).toEqual([]);
      // no approval record names bob's task over alice's evaluated context
      for (const event of audit.ofKind('approval')) expect(event.requester?.id).not.toBe('bob@example.com');
      // alice's approval is still pending for alice's task
      const alices = await writ.task(
        { requester: ALICE, agent: 'support' },
        async (t) => t.attribution.taskId,
      );
      expect(alices).toBeDefined();
    },
  );

  it(
    attack(
      'replay-recorded-in-asking-task',
      'a call replayed for the task that ran it is recorded there, with no second execution',
    ),
    async () => {
      const { writ, ofTask } = instance();
      const ran: string[] = [];
      const tool = statementTool(writ, ran);
      const taskId = await writ.task({ requester: ALICE, agent: 'bank-bot' }, async (t) => {
        await tool.run({ month: '2026-11' }, { toolCallId: 'call_1' });
        await tool.run({ month: '2026-11' }, { toolCallId: 'call_1' }); // the framework re-runs the node
        return t.attribution.taskId;
      });
      expect(ran).toEqual(['alice@example.com']);
      const outcomes = ofTask('outcome', taskId).map((e) => e.outcome.status);
      expect(outcomes).toEqual(['ok', 'replayed']);
      expect(ofTask('decision', taskId)).toHaveLength(1);
    },
  );
});
