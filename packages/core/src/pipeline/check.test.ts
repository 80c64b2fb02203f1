import { describe, expect, it } from 'vitest';
import { createConfig } from '../config.js';
import type { TaskState } from '../context.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from '../testing/index.js';
import { defineTool } from '../tool-definition.js';
import { ALICE_ATTRIBUTION, REFUND } from './__support__/call-run.js';
import { awaitsApproval, checkCall } from './check.js';
import { runCall } from './run.js';

function setup(effect: 'allow' | 'deny' | 'approval_required') {
  const audit = createInMemoryAuditSink();
  let decisions = 0;
  const inner = createInMemoryPolicy({ fallback: effect });
  const policy = {
    name: 'counting',
    decide: (r: never, o: never) => {
      decisions += 1;
      return inner.decide(r, o);
    },
  };
  const config = createConfig({ policy, audit });
  const task: TaskState = { attribution: ALICE_ATTRIBUTION, writ: undefined };
  return { audit, config, task, def: defineTool(REFUND, 'test'), decisions: () => decisions };
}
const ARGS = { orderId: '42', amount: 30 };
const OPTIONS = { toolCallId: 'call_1' } as const;

describe('checkCall: deciding ahead of the run', () => {
  it('approval_required: remembered, the approval opened as pending; asking again decides nothing new', async () => {
    const { audit, config, task, def, decisions } = setup('approval_required');
    const first = await checkCall(config, task, def, ARGS, OPTIONS, () => 1);
    expect(first.effect).toBe('approval_required');
    if (first.effect !== 'approval_required') return;
    expect(await config.pendingApprovals.get(first.bindingHash)).toMatchObject({
      callId: 'call_1',
      taskId: 'task-1',
    });
    // asking approval is recorded (an approval never answered leaves this record)
    expect(audit.ofKind('approval-requested')).toMatchObject([
      {
        bindingHash: first.bindingHash,
        expiresAt: first.expiresAt,
        mode: 'framework',
        call: { id: 'call_1', name: 'refund_order' },
        decision: { effect: 'approval_required', decisionId: first.decision.decisionId },
      },
    ]);
    expect(first.askedBefore).toBe(false);
    const again = await checkCall(config, task, def, ARGS, OPTIONS, () => 1);
    // asked before (what a resume served by any process sharing the ledger is judged by)
    expect(again).toMatchObject({
      effect: 'approval_required',
      bindingHash: first.bindingHash,
      askedBefore: true,
    });
    // the same call id in another task: asked now, not before
    const other: TaskState = { ...task, attribution: { ...task.attribution, taskId: 'task-2' } };
    expect(await checkCall(config, other, def, ARGS, OPTIONS, () => 1)).toMatchObject({
      effect: 'approval_required',
      askedBefore: false,
    });
    expect(audit.ofKind('approval-requested')).toHaveLength(2);
    expect(decisions()).toBe(2);
    expect(await awaitsApproval(config, task, def, ARGS, 'call_1')).toBe(true);
    // other arguments under the same call id: nothing pending
    expect(await awaitsApproval(config, task, def, { ...ARGS, amount: 9_000 }, 'call_1')).toBe(false);
  });

  it('allow: the run reuses the decision (one decision in all) and writes the records', async () => {
    const { audit, config, task, def, decisions } = setup('allow');
    expect(await checkCall(config, task, def, ARGS, OPTIONS, () => 1)).toMatchObject({
      effect: 'allow',
      settled: false,
    });
    expect(audit.events).toHaveLength(0);
    await runCall(config, task, def, ARGS, { ...OPTIONS, ledger: true }, () => 'ran');
    expect(decisions()).toBe(1);
    expect(audit.events.map((e) => e.kind)).toEqual(['decision', 'outcome']);
    // after it ran, check says so
    expect(await checkCall(config, task, def, ARGS, OPTIONS, () => 1)).toMatchObject({
      effect: 'allow',
      settled: true,
    });
  });

  it('deny: recorded at once (decision + outcome), and the same refusal replayed by a run', async () => {
    const { audit, config, task, def } = setup('deny');
    const result = await checkCall(config, task, def, ARGS, OPTIONS, () => 1);
    expect(result).toMatchObject({ effect: 'deny', error: { code: 'WRIT_POLICY_DENIED' } });
    expect(audit.events.map((e) => e.kind)).toEqual(['decision', 'outcome']);
    await expect(
      runCall(config, task, def, ARGS, { ...OPTIONS, ledger: true }, () => 1),
    ).rejects.toMatchObject({ code: 'WRIT_POLICY_DENIED' });
    // the replay is recorded, nothing is decided again
    expect(audit.events.map((e) => (e.kind === 'outcome' ? e.outcome.status : e.kind))).toEqual([
      'decision',
      'refused',
      'replayed',
    ]);
  });

  it('invalid input: refused and recorded without asking the policy', async () => {
    const { audit, config, task, def, decisions } = setup('allow');
    const result = await checkCall(config, task, def, { orderId: 42 }, OPTIONS, () => 1);
    expect(result).toMatchObject({ effect: 'deny', error: { code: 'WRIT_INPUT_INVALID' } });
    expect(decisions()).toBe(0);
    expect(audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_INPUT_INVALID');
  });
});
