import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALICE, setup } from './__support__/fixtures.js';
import { setupTracing, type Tracing } from './__support__/otel.js';
import { createWrit, getAttribution, WritError } from './index.js';
import type { AuditEvent, AuditSink } from './plugin.js';
import { canonicalJson } from './plugin.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from './testing/index.js';

let tracing: Tracing;
beforeEach(() => {
  tracing = setupTracing();
});
afterEach(async () => {
  await tracing.shutdown();
});

const task = { requester: ALICE, agent: 'support', intent: 'Refund order 42', scope: ['*'] };

describe('the call pipeline', () => {
  it('allows a call the policy allows: runs the tool, records decision then outcome', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
    const result = await t.writ.task(task, () => t.lookup.execute({ orderId: '42' }));
    expect(result).toEqual({ orderId: '42', total: 120 });
    expect(t.executed).toEqual(['lookup:42']);
    const kinds = t.audit.events.map((e) => e.kind);
    expect(kinds).toEqual(['task-start', 'decision', 'outcome', 'task-end']);
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision).toMatchObject({ effect: 'allow', policyIds: ['reads'], engine: 'in-memory' });
    expect(decision?.requester).toMatchObject({
      kind: 'human',
      id: 'alice@example.com',
      assurance: 'verified',
    });
    expect(decision?.chain.map((p) => p.id)).toEqual(['spiffe://writ.test/agent/support']);
    expect(decision?.call).toMatchObject({ name: 'lookup_order', resource: { type: 'Order', id: '42' } });
    expect(decision?.call.args).toBeUndefined();
    expect(decision?.decision.evaluatedContext?.context).toMatchObject({
      intent: 'Refund order 42',
      inScope: true,
      risk: 'low',
    });
    const outcome = t.audit.ofKind('outcome')[0];
    expect(outcome?.outcome.status).toBe('ok');
    expect(outcome?.decisionIndex).toBe(1);
    expect(outcome?.outcome.resultDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('denies a call the policy denies: the tool never runs, the refusal is recorded', async () => {
    const t = setup();
    const error = await t.writ
      .task(task, () => t.deleteCustomer.execute({ customerId: 'c-7' }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect((error as WritError).message).toContain('agents never delete customers');
    expect((error as WritError).details).toMatchObject({ policyIds: ['no-deletes'] });
    expect(t.executed).toEqual([]);
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision.effect).toBe('deny');
    expect(decision?.refusal?.code).toBe('WRIT_POLICY_DENIED');
    expect(t.audit.ofKind('outcome')[0]?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_POLICY_DENIED',
    });
    expect(t.audit.ofKind('task-end')[0]).toMatchObject({ status: 'error', errorCode: 'WRIT_POLICY_DENIED' });
  });

  it('runs a call that needs approval once a named approver grants it, bound to that call', async () => {
    const t = setup({ approve: true });
    const result = await t.writ.task(task, () => t.refund.execute({ orderId: '42', amount: 900 }));
    expect(result.refunded).toBe(900);
    expect(t.executed).toEqual(['refund:42:900']);
    expect(t.audit.events.map((e) => e.kind)).toEqual([
      'task-start',
      'approval',
      'decision',
      'outcome',
      'task-end',
    ]);
    const approval = t.audit.ofKind('approval')[0];
    expect(approval?.approval).toMatchObject({ approved: true, approver: { id: 'manager@example.com' } });
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision.effect).toBe('approval_required');
    expect(decision?.approval?.bindingHash).toBe(approval?.approval.bindingHash);
    expect(decision?.approval?.bindingHash).toBe(t.approvals.requests[0]?.bindingHash);
    // the refund got its own audience-bound credential, referenced by jti only
    expect(decision?.credential).toMatchObject({ audience: 'https://payments.example.com' });
    expect(result.jti).toBe(decision?.credential?.jti);
  });

  it('refuses a call whose approval is rejected: the tool never runs, both records kept', async () => {
    const t = setup({ approve: false });
    const error = await t.writ
      .task(task, () => t.refund.execute({ orderId: '42', amount: 900 }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED')).toBe(true);
    expect(t.executed).toEqual([]);
    expect(t.audit.ofKind('approval')[0]?.approval.approved).toBe(false);
    expect(t.audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
    expect(t.audit.ofKind('outcome')[0]?.outcome.status).toBe('refused');
  });

  it('refuses invalid input before asking the policy, and records the refusal', async () => {
    const t = setup();
    const error = await t.writ
      .task(task, () => t.refund.execute({ orderId: '42', amount: -5 }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_INPUT_INVALID')).toBe(true);
    expect((error as WritError).details.issues).toEqual([expect.stringContaining('amount')]);
    expect(t.executed).toEqual([]);
    expect(t.policy.requests).toHaveLength(0);
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision).toMatchObject({ effect: 'deny', engine: 'writ' });
    expect(decision?.refusal?.code).toBe('WRIT_INPUT_INVALID');
    expect(t.audit.ofKind('outcome')[0]?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_INPUT_INVALID',
    });
  });

  it('writes the decision record before the tool runs and the outcome record after', async () => {
    const audit = createInMemoryAuditSink();
    const seenAtExecution: string[] = [];
    const writ = createWrit({ policy: createInMemoryPolicy({ fallback: 'allow' }), audit });
    const tool = writ.tool({
      name: 'probe',
      input: z.object({}),
      execute: async () => {
        seenAtExecution.push(...audit.events.map((e) => e.kind));
        return 'done';
      },
    });
    await writ.task({ agent: 'a' }, () => tool.execute({}));
    expect(seenAtExecution).toEqual(['task-start', 'decision']);
    expect(audit.events.map((e) => e.kind)).toEqual(['task-start', 'decision', 'outcome', 'task-end']);
    // under strict, what must precede the tool is synced; what follows it is written (batched)
    expect(audit.durabilities).toEqual(['strict', 'strict', 'batched', 'batched']);
  });

  it('rethrows the tool’s own error unchanged and records outcome "error"', async () => {
    const audit = createInMemoryAuditSink();
    const writ = createWrit({ policy: createInMemoryPolicy({ fallback: 'allow' }), audit });
    const boom = new RangeError('out of stock');
    const tool = writ.tool({
      name: 'reserve',
      input: z.object({}),
      execute: async () => Promise.reject(boom),
    });
    await expect(writ.task({ agent: 'a' }, () => tool.execute({}))).rejects.toBe(boom);
    expect(audit.ofKind('decision')[0]?.decision.effect).toBe('allow');
    expect(audit.ofKind('outcome')[0]?.outcome).toMatchObject({ status: 'error', errorCode: 'RangeError' });
  });

  it('does not start a task whose task-start record the audit sink refuses', async () => {
    const t = setup();
    t.audit.setFailure(new Error('disk full'));
    const error = await t.writ.task(task, () => t.lookup.execute({ orderId: '1' })).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect(t.executed).toEqual([]);
    // sink recovers mid-task: the task-start went missing, so the task never began
    expect(t.audit.refused.map((e) => e.kind)).toContain('task-start');
  });

  it('does not run the tool when the sink fails between task start and the decision record', async () => {
    const t = setup();
    const error = await t.writ
      .task(task, async () => {
        t.audit.setFailure(new Error('EIO'));
        return t.lookup.execute({ orderId: '1' });
      })
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect(t.executed).toEqual([]);
    expect(t.audit.refused.map((e) => e.kind)).toEqual(['decision', 'outcome', 'task-end']);
  });

  it('refuses everything by default: no policy means deny, no audit means no run', async () => {
    const bare = createWrit();
    let ran = false;
    const tool = bare.tool({ name: 't', input: z.object({}), execute: () => (ran = true) });
    await expect(tool.execute({})).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
    const audit = createInMemoryAuditSink();
    const noPolicy = createWrit({ audit });
    const tool2 = noPolicy.tool({ name: 't', input: z.object({}), execute: () => (ran = true) });
    await expect(tool2.execute({})).rejects.toMatchObject({ code: 'WRIT_POLICY_DENIED' });
    expect(ran).toBe(false);
    expect(audit.ofKind('decision')[0]?.decision.policyIds).toEqual(['writ:deny-all']);
  });

  it('exposes the attribution inside tools and tasks', async () => {
    const t = setup();
    const seen = await t.writ.task(task, async () => {
      const outer = getAttribution();
      const inner = await t.writ.delegate({ agent: 'billing', scope: ['lookup_order'] }, () =>
        getAttribution(),
      );
      return { outer, inner };
    });
    expect(seen.outer.requester?.id).toBe('alice@example.com');
    expect(seen.inner.chain.map((p) => p.name)).toEqual(['support', 'billing']);
    expect(seen.inner.parentTaskId).toBe(seen.outer.taskId);
    expect(seen.inner.correlationId).toBe(seen.outer.correlationId);
    expect(seen.inner.scope).toEqual(['lookup_order']);
  });

  // Records are written with their keys already in canonical order, so every sink serialises them with
  // the native JSON.stringify (canonicalJson's fast path, docs/performance.md). A record built in another
  // order stays correct (canonicalJson sorts it) but costs about twice as much: this keeps that visible.
  it('builds every kind of record with its keys in canonical order', async () => {
    // the in-memory sink keeps parsed copies of its canonical lines: look at the objects Writ hands over
    const stored = createInMemoryAuditSink();
    const handed: AuditEvent[] = [];
    const audit: AuditSink = {
      name: 'capturing',
      append: (event, options) => {
        handed.push(event);
        return stored.append(event, options);
      },
    };
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer }, audit } });
    await t.writ.task({ ...task, conversationId: 'thread-9' }, async () => {
      await t.lookup.execute({ orderId: '42' });
      await t.refund.execute({ orderId: '42', amount: 900 });
      await t.deleteCustomer.execute({ customerId: 'c-7' }).catch(() => undefined);
      await t.lookup.execute({ orderId: 42 as unknown as string }).catch(() => undefined);
      await t.writ.delegate({ agent: 'billing', scope: ['lookup_order'] }, () =>
        t.refund.execute({ orderId: '7', amount: 1 }).catch(() => undefined),
      );
    });
    await t.writ.task({ ...task, requester: 'not-a-token' }, async () => undefined).catch(() => undefined);
    const kinds = new Set(handed.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['approval', 'decision', 'outcome', 'task-end', 'task-start']);
    expect(stored.ofKind('decision').map((e) => e.refusal?.code ?? e.decision.effect)).toEqual([
      'allow',
      'approval_required',
      'WRIT_POLICY_DENIED',
      'WRIT_INPUT_INVALID',
      'approval_required',
    ]);
    expect(stored.ofKind('decision')[4]?.scopeDrift).toEqual({
      permission: 'refund_order',
      scope: ['lookup_order'],
    });
    expect(stored.ofKind('task-start').map((e) => e.status)).toContain('refused');
    expect(
      t.audit.events.every(
        (e) => e.traceId !== undefined || e.kind.startsWith('task') || e.kind === 'revocation',
      ),
    ).toBe(true);
    expect(handed).toHaveLength(stored.events.length);
    for (const event of handed) {
      expect(JSON.stringify(event), `${event.kind} record`).toBe(canonicalJson(event));
    }
  });
});
