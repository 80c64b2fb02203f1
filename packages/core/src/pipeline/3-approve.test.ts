import { describe, expect, it } from 'vitest';
import { createConfig } from '../config.js';
import type { TaskState } from '../context.js';
import type { Decision } from '../decision.js';
import { WritError } from '../errors.js';
import type { ApprovalHandler } from '../interfaces.js';
import { createInMemoryApprovalStore } from '../stores/approval-store.js';
import { createInMemoryCallLedger } from '../stores/call-ledger.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from '../testing/index.js';
import { defineTool } from '../tool-definition.js';
import { ALICE_ATTRIBUTION, callRun, REFUND } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import { approvalBindingHash, approve, bindingHashOf } from './3-approve.js';
import { runCall } from './run.js';

const NEEDS_APPROVAL: Decision = {
  effect: 'approval_required',
  policyIds: ['refunds'],
  reasons: ['refunds need a human'],
  decisionId: 'dec-1',
  engine: 'test',
  evaluatedContext: {} as never,
};
const BOB = { kind: 'human', id: 'bob@example.com', assurance: 'verified' } as const;

async function readyRun(approvals: ApprovalHandler | undefined, extra: Parameters<typeof callRun>[0] = {}) {
  const fixture = callRun({ writ: { ...(approvals ? { approvals } : {}), ...extra.writ }, ...extra });
  await validate(fixture.run);
  fixture.run.decision = NEEDS_APPROVAL;
  return fixture;
}

describe('stage 3: approve', () => {
  it('the binding hash covers call id, tool, canonical arguments, agent, decision, task and requester', async () => {
    const { run } = await readyRun(undefined);
    const hash = bindingHashOf(run, NEEDS_APPROVAL);
    const binding = {
      tool: 'refund_order',
      argsDigest: run.call.argsDigest,
      agent: 'spiffe://writ.local/agent/support',
      decisionId: 'dec-1',
      taskId: 'task-1',
      requester: { id: 'alice@example.com', issuer: null },
      callId: 'call-1',
    };
    expect(hash).toBe(approvalBindingHash(binding));
    expect(bindingHashOf(run, { ...NEEDS_APPROVAL, decisionId: 'dec-2' })).not.toBe(hash);
    for (const other of [
      { taskId: 'task-2' },
      { requester: { id: 'bob@example.com', issuer: null } },
      { requester: null },
      { callId: 'call-2' },
      { agent: 'x' },
    ]) {
      expect(approvalBindingHash({ ...binding, ...other }), JSON.stringify(other)).not.toBe(hash);
    }
  });

  it('asks the handler, checks the answer, and records it before going on', async () => {
    const { run, audit } = await readyRun({
      name: 'bob',
      requestApproval: async (request) => ({
        approved: true,
        approver: BOB,
        bindingHash: request.bindingHash,
        reason: 'ok',
      }),
    });
    await approve(run);
    expect(run.approval?.approved).toBe(true);
    const [event] = audit.ofKind('approval');
    expect(event?.approval).toMatchObject({
      approved: true,
      approver: { id: 'bob@example.com' },
      reason: 'ok',
    });
    expect(event?.approval.bindingHash).toBe(bindingHashOf(run, NEEDS_APPROVAL));
  });

  it('refuses a declined, unbound, anonymous or malformed answer (WRIT_APPROVAL_REJECTED)', async () => {
    for (const answer of [
      (h: string) => ({ approved: false, approver: BOB, bindingHash: h }),
      () => ({ approved: true, approver: BOB, bindingHash: 'sha256:other-call' }),
      (h: string) => ({ approved: true, bindingHash: h }),
      () => ({ yes: true }),
    ]) {
      const { run } = await readyRun({
        name: 'h',
        requestApproval: async (r) => answer(r.bindingHash) as never,
      });
      const error = await approve(run).catch((e: unknown) => e);
      expect(WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED'), JSON.stringify(answer('h'))).toBe(true);
    }
  });

  it('refuses when no handler is configured, or it does not answer in time', async () => {
    const none = await readyRun(undefined);
    await expect(approve(none.run)).rejects.toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
    const slow = await readyRun(
      { name: 'slow', requestApproval: () => new Promise(() => {}) },
      { writ: { timeouts: { approvalMs: 20 } } },
    );
    await expect(approve(slow.run)).rejects.toMatchObject({
      code: 'WRIT_APPROVAL_REJECTED',
      message: /timed out/,
    });
  });

  it('a framework approval is honoured only for a pending approval of this very call, once', async () => {
    const { run, config } = await readyRun(undefined, {
      options: { approval: { approved: true, approver: BOB } },
    });
    // never asked through Writ: refused
    await expect(approve(run)).rejects.toMatchObject({ details: { why: 'no_pending_approval' } });
    const bindingHash = bindingHashOf(run, NEEDS_APPROVAL);
    await config.pendingApprovals.open({
      bindingHash,
      callId: 'call-1',
      tool: 'refund_order',
      taskId: 'task-1',
      decisionId: 'dec-1',
      expiresAt: Date.now() + 60_000,
    });
    run.fromLedger = true;
    await approve(run);
    expect(run.approvalRecord).toMatchObject({ approved: true, bindingHash });
    // the approval was taken: a second use finds nothing
    await expect(approve(run)).rejects.toMatchObject({ details: { why: 'no_pending_approval' } });
  });

  it('a framework approval after the pending approval expired is refused as late', async () => {
    const { run, config } = await readyRun(undefined, {
      options: { approval: { approved: true, approver: BOB } },
    });
    const bindingHash = bindingHashOf(run, NEEDS_APPROVAL);
    await config.pendingApprovals.open({
      bindingHash,
      callId: 'call-1',
      tool: 'refund_order',
      taskId: 'task-1',
      decisionId: 'dec-1',
      expiresAt: Date.now() - 1,
    });
    run.fromLedger = true;
    await expect(approve(run)).rejects.toMatchObject({ message: /after the approval expired/ });
  });

  it('does nothing for a decision that needs no approval', async () => {
    const { run, audit } = await readyRun(undefined);
    run.decision = { ...NEEDS_APPROVAL, effect: 'allow' };
    await approve(run);
    expect(run.approval).toBeUndefined();
    expect(audit.events).toHaveLength(0);
  });
});

describe('stage 3: suspend mode (approvals answered elsewhere, the call run again)', () => {
  // two "processes": two Writ configurations sharing one call ledger and one approval store
  function fleet(extra: { clock?: () => number } = {}) {
    const clock = extra.clock ?? Date.now;
    const stores = {
      calls: createInMemoryCallLedger({ max: 100, clock }),
      approvals: createInMemoryApprovalStore({ max: 100, clock }),
    };
    const member = () => {
      const audit = createInMemoryAuditSink();
      const config = createConfig({
        policy: createInMemoryPolicy({ fallback: 'approval_required' }),
        audit,
        stores,
        clock,
        approvalMode: 'suspend',
      });
      return { audit, config };
    };
    let executions = 0;
    const invoke = () => {
      executions += 1;
      return { refunded: true };
    };
    return { stores, a: member(), b: member(), invoke, executions: () => executions };
  }
  const task: TaskState = { attribution: ALICE_ATTRIBUTION, writ: undefined };
  const def = defineTool(REFUND, 'test');
  const ARGS = { orderId: '42', amount: 30 };
  const OPTIONS = { toolCallId: 'call_9' } as const;

  it('refuses with WRIT_APPROVAL_PENDING, records approval-requested once, and runs once answered', async () => {
    const { stores, a, b, invoke, executions } = fleet();
    const pending = await runCall(a.config, task, def, ARGS, OPTIONS, invoke).catch((e: unknown) => e);
    expect(WritError.isInstance(pending, 'WRIT_APPROVAL_PENDING')).toBe(true);
    const details = (pending as WritError).details as { bindingHash: string; expiresAt: number };
    expect(details).toMatchObject({ callId: 'call_9', taskId: 'task-1', tool: 'refund_order' });
    expect(details.expiresAt).toBeGreaterThan(Date.now());
    // asked once; asking again (no answer yet) neither re-opens nor re-records
    await expect(runCall(b.config, task, def, ARGS, OPTIONS, invoke)).rejects.toMatchObject({
      code: 'WRIT_APPROVAL_PENDING',
      details: { bindingHash: details.bindingHash },
    });
    expect(a.audit.ofKind('approval-requested')).toHaveLength(1);
    expect(a.audit.ofKind('approval-requested')[0]).toMatchObject({
      bindingHash: details.bindingHash,
      mode: 'suspend',
      decision: { effect: 'approval_required' },
      call: { id: 'call_9', name: 'refund_order' },
    });
    expect(b.audit.events).toHaveLength(0);
    expect(await stores.approvals.list({ requester: 'alice@example.com' })).toMatchObject([
      { bindingHash: details.bindingHash, taskId: 'task-1', requester: { id: 'alice@example.com' } },
    ]);
    expect(executions()).toBe(0);
    // answered from a console; the first answer wins
    const answer = { approved: true, approver: BOB, reason: 'ok', answeredAt: Date.now() };
    expect(await stores.approvals.answer(details.bindingHash, answer)).toMatchObject({ status: 'answered' });
    expect(await stores.approvals.answer(details.bindingHash, { ...answer, approved: false })).toMatchObject({
      status: 'already_answered',
      approval: { answer: { approved: true } },
    });
    expect(await stores.approvals.list()).toHaveLength(0);
    // the same call, run again in B: runs once, approval then decision then outcome recorded in B
    await expect(runCall(b.config, task, def, ARGS, OPTIONS, invoke)).resolves.toEqual({ refunded: true });
    expect(b.audit.events.map((e) => e.kind)).toEqual(['approval', 'decision', 'outcome']);
    expect(b.audit.ofKind('approval')[0]?.approval).toMatchObject({
      approved: true,
      approver: { id: 'bob@example.com' },
      bindingHash: details.bindingHash,
    });
    // and again: replayed, never run twice
    await expect(runCall(a.config, task, def, ARGS, OPTIONS, invoke)).resolves.toEqual({ refunded: true });
    expect(executions()).toBe(1);
  });

  it('a rejection answered elsewhere refuses the call (recorded), and it stays refused', async () => {
    const { stores, a, b, invoke, executions } = fleet();
    const pending = (await runCall(a.config, task, def, ARGS, OPTIONS, invoke).catch((e) => e)) as WritError;
    const { bindingHash } = pending.details as { bindingHash: string };
    await stores.approvals.answer(bindingHash, {
      approved: false,
      approver: BOB,
      reason: 'no',
      answeredAt: Date.now(),
    });
    await expect(runCall(b.config, task, def, ARGS, OPTIONS, invoke)).rejects.toMatchObject({
      code: 'WRIT_APPROVAL_REJECTED',
    });
    expect(b.audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
    await expect(runCall(a.config, task, def, ARGS, OPTIONS, invoke)).rejects.toMatchObject({
      code: 'WRIT_APPROVAL_REJECTED',
    });
    expect(executions()).toBe(0);
  });

  it('an approval left unanswered past its expiry cannot be answered, and the call never runs under it', async () => {
    let now = 1_000_000;
    const { stores, a, b, invoke, executions } = fleet({ clock: () => now });
    const pending = (await runCall(a.config, task, def, ARGS, OPTIONS, invoke).catch((e) => e)) as WritError;
    const { bindingHash, expiresAt } = pending.details as { bindingHash: string; expiresAt: number };
    now = expiresAt + 1;
    expect(
      await stores.approvals.answer(bindingHash, {
        approved: true,
        approver: BOB,
        answeredAt: now,
      }),
    ).toEqual({ status: 'not_pending' });
    // the ledger entry expired with it: the call is decided afresh and asks again, with a new expiry
    const again = (await runCall(b.config, task, def, ARGS, OPTIONS, invoke).catch((e) => e)) as WritError;
    expect(again.code).toBe('WRIT_APPROVAL_PENDING');
    expect((again.details as { expiresAt: number }).expiresAt).toBeGreaterThan(now);
    expect(b.audit.ofKind('approval-requested')).toHaveLength(1);
    expect(executions()).toBe(0);
  });

  it('an answer given in time is honoured up to the expiry', async () => {
    let now = 1_000_000;
    const { stores, a, b, invoke, executions } = fleet({ clock: () => now });
    const pending = (await runCall(a.config, task, def, ARGS, OPTIONS, invoke).catch((e) => e)) as WritError;
    const { bindingHash, expiresAt } = pending.details as { bindingHash: string; expiresAt: number };
    await stores.approvals.answer(bindingHash, { approved: true, approver: BOB, answeredAt: now });
    now = expiresAt - 1;
    await expect(runCall(b.config, task, def, ARGS, OPTIONS, invoke)).resolves.toEqual({ refunded: true });
    expect(executions()).toBe(1);
  });

  it('without a tool call id a suspended call could never be resumed: refused', async () => {
    const { a, invoke } = fleet();
    await expect(runCall(a.config, task, def, ARGS, {}, invoke)).rejects.toMatchObject({
      code: 'WRIT_APPROVAL_REJECTED',
      details: { why: 'no_call_id' },
    });
  });

  it('a per-call approvalMode overrides the instance (block asks the handler)', async () => {
    const audit = createInMemoryAuditSink();
    const config = createConfig({
      policy: createInMemoryPolicy({ fallback: 'approval_required' }),
      audit,
      approvalMode: 'suspend',
      approvals: {
        name: 'bob',
        requestApproval: async (r) => ({ approved: true, approver: BOB, bindingHash: r.bindingHash }),
      },
    });
    await expect(
      runCall(config, task, def, ARGS, { ...OPTIONS, approvalMode: 'block' }, () => 'ran'),
    ).resolves.toBe('ran');
    await expect(
      runCall(config, task, def, ARGS, { toolCallId: 'call_10' }, () => 'ran'),
    ).rejects.toMatchObject({ code: 'WRIT_APPROVAL_PENDING' });
  });
});
