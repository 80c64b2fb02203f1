import { describe, expect, it } from 'vitest';
import type { Decision } from '../decision.js';
import { WritError } from '../errors.js';
import type { ApprovalHandler } from '../interfaces.js';
import { callRun } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import { approvalBindingHash, approve, bindingHashOf } from './3-approve.js';

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
