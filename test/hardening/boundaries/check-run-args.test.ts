// Issue 23 item 4 (round 3): `run` takes what `check` worked out for a call (digests, ledger key,
// validated arguments) instead of working it out again — only for the arguments `check` judged. A
// framework (or anything between its approval gate and its executor) that hands `run` other arguments
// under the same tool call id, by mutating the very object `check` saw or by passing another one, gets
// them decided afresh: refused where they are not allowed, never run on the judged call's decision.
import { WritError } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import type { PolicyRule } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attack } from './attacks.js';
import { ALICE, instance, MARIA } from './support.js';

/** Refunds up to 100 are allowed, larger ones need approval: order 7 may not be refunded at all. */
const rules: PolicyRule[] = [
  { id: 'order-7-frozen', effect: 'deny', when: (r) => r.resource.id === '7' },
  { id: 'large-refunds', effect: 'approval_required', when: (r) => r.resource.id === 'large' },
  { id: 'refunds', effect: 'allow' },
];

function refundTool(writ: ReturnType<typeof instance>['writ'], ran: unknown[]) {
  return adaptTool(
    'test-framework',
    { name: 'refund_order', input: z.object({ orderId: z.string(), amount: z.number() }) },
    (args) => {
      ran.push(args);
      return 'refunded';
    },
    {
      writ,
      tools: {
        refund_order: {
          resource: (args) => {
            const { orderId, amount } = args as { orderId: string; amount: number };
            return { type: 'Order', id: amount > 100 ? 'large' : orderId };
          },
        },
      },
    },
  );
}

describe('run is given other arguments than check judged', () => {
  it(
    attack(
      'check-run-args-mutated',
      'the object check judged (allowed) is changed before run: the new arguments are decided afresh and refused',
    ),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: unknown[] = [];
      const refund = refundTool(writ, ran);
      const args = { orderId: '42', amount: 30 };
      const outcome = await writ.task({ requester: ALICE, agent: 'support' }, async () => {
        const check = await refund.check(args, { toolCallId: 'call_1' });
        expect(check.effect).toBe('allow');
        args.orderId = '7'; // the same object, changed between the framework's gate and its executor
        return refund.run(args, { toolCallId: 'call_1' }).catch((e: unknown) => e);
      });
      expect(WritError.isInstance(outcome, 'WRIT_POLICY_DENIED')).toBe(true);
      expect(ran).toEqual([]);
      // one decision record: the refusal of order 7 (check's allow of order 42 is recorded when it runs)
      expect(audit.ofKind('decision').map((e) => [e.call.resource, e.decision.effect])).toEqual([
        [{ type: 'Order', id: '7' }, 'deny'],
      ]);
    },
  );

  it(
    attack(
      'check-run-args-swapped',
      'run presents other arguments (another object) under the call id check asked approval for, with an approval: refused, not run',
    ),
    async () => {
      const { writ, audit } = instance({ rules });
      const ran: unknown[] = [];
      const refund = refundTool(writ, ran);
      const outcome = await writ.task({ requester: ALICE, agent: 'support' }, async () => {
        const check = await refund.check({ orderId: '42', amount: 500 }, { toolCallId: 'call_1' });
        expect(check.effect).toBe('approval_required');
        return refund
          .run(
            { orderId: '42', amount: 5_000 },
            { toolCallId: 'call_1', approval: { approved: true, approver: MARIA } },
          )
          .catch((e: unknown) => e);
      });
      expect(WritError.isInstance(outcome, 'WRIT_APPROVAL_REJECTED')).toBe(true);
      expect(ran).toEqual([]);
      expect(audit.ofKind('approval').filter((e) => e.approval.approved)).toEqual([]);
    },
  );

  it(
    attack(
      'check-run-args-mutated-approval',
      'the object check asked approval for is changed before run brings the approval: refused, not run',
    ),
    async () => {
      const { writ } = instance({ rules });
      const ran: unknown[] = [];
      const refund = refundTool(writ, ran);
      const args = { orderId: '42', amount: 500 };
      const outcome = await writ.task({ requester: ALICE, agent: 'support' }, async () => {
        await refund.check(args, { toolCallId: 'call_1' });
        args.amount = 5_000; // the human approves 500; the executor is handed 5,000
        return refund
          .run(args, { toolCallId: 'call_1', approval: { approved: true, approver: MARIA } })
          .catch((e: unknown) => e);
      });
      expect(WritError.isInstance(outcome, 'WRIT_APPROVAL_REJECTED')).toBe(true);
      expect(ran).toEqual([]);
    },
  );

  it('the same arguments (the same object, or an equal one) run once, on the decision check made', async () => {
    let decisions = 0;
    const { writ, audit } = instance({
      rules: [{ id: 'refunds', effect: 'allow', when: () => ++decisions > 0 }],
    });
    const ran: unknown[] = [];
    const refund = refundTool(writ, ran);
    await writ.task({ requester: ALICE, agent: 'support' }, async () => {
      const args = { orderId: '42', amount: 30 };
      await refund.check(args, { toolCallId: 'call_1' });
      await refund.run(args, { toolCallId: 'call_1' });
      await refund.check({ orderId: '43', amount: 30 }, { toolCallId: 'call_2' });
      await refund.run({ orderId: '43', amount: 30 }, { toolCallId: 'call_2' });
    });
    expect(decisions).toBe(2);
    expect(ran).toEqual([
      { orderId: '42', amount: 30 },
      { orderId: '43', amount: 30 },
    ]);
    expect(audit.ofKind('decision').map((e) => e.call.id)).toEqual(['call_1', 'call_2']);
    expect(audit.ofKind('outcome').map((e) => e.outcome.status)).toEqual(['ok', 'ok']);
  });
});
