import { type ApprovalHandler, createWrit, WritError } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { createApprovalQueue, createCallbackApprovals } from '@writ/policy';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const boss = { kind: 'human' as const, id: 'maria@example.com', assurance: 'verified' as const };

function setup(approvals: ApprovalHandler, approvalMs = 5_000) {
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    audit,
    approvals,
    policy: createInMemoryPolicy({ rules: [{ effect: 'approval_required' }] }),
    timeouts: { approvalMs },
  });
  const done: number[] = [];
  const refund = writ.tool({
    name: 'refund_order',
    input: z.object({ amount: z.number() }),
    risk: 'high',
    execute: async ({ amount }) => done.push(amount),
  });
  return { writ, audit, refund, done };
}

describe('approval queue', () => {
  it('parks the call until a named approver answers, then runs it; the approval is recorded with its binding', async () => {
    const queue = createApprovalQueue();
    const t = setup(queue);
    const running = t.writ.task({ agent: 'support' }, () => t.refund.execute({ amount: 250 }));
    const pending = await queue.next();
    expect(pending.request.call.args).toEqual({ amount: 250 });
    expect(t.done).toEqual([]);
    queue.answer(pending.id, { approved: true, approver: boss });
    await running;
    expect(t.done).toEqual([250]);
    expect(t.audit.ofKind('approval')[0]?.approval).toMatchObject({
      approved: true,
      approver: { id: boss.id },
      bindingHash: pending.id,
    });
  });

  it('an approval for call A cannot be replayed for call B with different arguments', async () => {
    const queue = createApprovalQueue();
    const t = setup(queue, 300);
    const a = t.writ.task({ agent: 'support' }, () => t.refund.execute({ amount: 10 }));
    const pendingA = await queue.next();
    queue.answer(pendingA.id, { approved: true, approver: boss });
    await a;
    const b = t.writ
      .task({ agent: 'support' }, () => t.refund.execute({ amount: 9_000 }))
      .catch((e: unknown) => e);
    const pendingB = await queue.next();
    expect(pendingB.id).not.toBe(pendingA.id);
    // answering B with A's approval id is refused: A's answer was single-use and names another call
    expect(() => queue.answer(pendingA.id, { approved: true, approver: boss })).toThrow(
      expect.objectContaining({ code: 'WRIT_APPROVAL_REJECTED' }),
    );
    // nobody approves B: it is withdrawn at the approval timeout and never runs
    expect(WritError.isInstance(await b, 'WRIT_APPROVAL_REJECTED')).toBe(true);
    expect(t.done).toEqual([10]);
    expect(queue.pending()).toEqual([]);
  });

  it('refuses an approval without an approver, and a rejection leaves the tool unrun', async () => {
    const queue = createApprovalQueue();
    const t = setup(queue);
    const running = t.writ
      .task({ agent: 'support' }, () => t.refund.execute({ amount: 1 }))
      .catch((e: unknown) => e);
    const pending = await queue.next();
    expect(() => queue.answer(pending.id, { approved: true, approver: undefined as never })).toThrow(
      /name its approver/,
    );
    queue.answer(pending.id, { approved: false, approver: boss, reason: 'over the limit' });
    const error = await running;
    expect(WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED')).toBe(true);
    expect((error as WritError).message).toContain('over the limit');
    expect(t.done).toEqual([]);
  });
});

describe('callback approvals', () => {
  it('bind the callback’s answer to the request and record the approver', async () => {
    const seen: string[] = [];
    const t = setup(
      createCallbackApprovals((request) => {
        seen.push(request.call.name);
        return { approved: (request.call.args as { amount: number }).amount < 100, approver: boss };
      }),
    );
    await t.writ.task({ agent: 'support' }, () => t.refund.execute({ amount: 50 }));
    await expect(
      t.writ.task({ agent: 'support' }, () => t.refund.execute({ amount: 500 })),
    ).rejects.toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
    expect(t.done).toEqual([50]);
    expect(seen).toEqual(['refund_order', 'refund_order']);
    expect(t.audit.ofKind('approval').map((a) => a.approval.approved)).toEqual([true, false]);
  });
});
