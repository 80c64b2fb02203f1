import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALICE, setup } from '../__support__/fixtures.js';
import { setupTracing, type Tracing } from '../__support__/otel.js';
import { type AdaptedTool, adaptTool, refusalMessage } from '../adapter-kit.js';
import type { AuditEvent } from '../audit-event.js';
import { canonicalJson } from '../canonical-json.js';
import { WritError } from '../index.js';

let tracing: Tracing;
beforeEach(() => {
  tracing = setupTracing();
});
afterEach(async () => {
  await tracing.shutdown();
});

const task = { requester: ALICE, agent: 'support', intent: 'Refund order 42', scope: ['*'] };

/** The same three tools as the fixture, but as a framework would hand them to an adapter. */
function frameworkTools(t: ReturnType<typeof setup>) {
  const ran: string[] = [];
  const tool = (name: string, risk: 'low' | 'medium' | 'high'): AdaptedTool =>
    adaptTool(
      'test-framework',
      { name, description: `framework tool ${name}`, input: z.object({ orderId: z.string() }) },
      async (args) => {
        ran.push(`${name}:${(args as { orderId: string }).orderId}`);
        return { ok: name };
      },
      {
        writ: t.writ,
        defaults: { risk },
        tools: { refund_order: { audience: 'https://payments.example.com' } },
      },
    );
  return {
    ran,
    lookup: tool('lookup_order', 'low'),
    refund: tool('refund_order', 'high'),
    remove: tool('delete_customer', 'medium'),
  };
}

describe('adaptTool: the kit every framework adapter uses', () => {
  it('check → approval_required, then run with the framework approval: one decision, approver = requester', async () => {
    const t = setup();
    const f = frameworkTools(t);
    await t.writ.task(task, async () => {
      const check = await f.refund.check({ orderId: '42' }, { toolCallId: 'call-1' });
      expect(check).toMatchObject({
        effect: 'approval_required',
        bindingHash: expect.stringMatching(/^sha256:/),
      });
      if (check.effect !== 'approval_required') throw new Error('unreachable');
      expect(check.message).toContain('refund_order needs human approval');
      expect(f.ran).toEqual([]);
      // the framework's UI asked alice; the resumed call carries the approval
      const result = await f.refund.run(
        { orderId: '42' },
        { toolCallId: 'call-1', approval: { approved: true }, frameworkIds: { runId: 'r-1' } },
      );
      expect(result).toEqual({ ok: 'refund_order' });
    });
    expect(f.ran).toEqual(['refund_order:42']);
    expect(t.policy.requests).toHaveLength(1); // decided once, by check
    expect(t.approvals.requests).toHaveLength(0); // the framework asked, not the configured handler
    const approval = t.audit.ofKind('approval')[0];
    expect(approval?.approval).toMatchObject({ approved: true, approver: { id: 'alice@example.com' } });
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision.effect).toBe('approval_required');
    expect(decision?.approval?.bindingHash).toBe(approval?.approval.bindingHash);
    expect(decision?.call.framework).toEqual({ name: 'test-framework', ids: { runId: 'r-1' } });
    expect(decision?.credential?.audience).toBe('https://payments.example.com');
  });

  it('a re-run with the same tool call id replays the result: no second execution, one replay record', async () => {
    const t = setup();
    const f = frameworkTools(t);
    await t.writ.task(task, async () => {
      await f.refund.check({ orderId: '42' }, { toolCallId: 'call-1' });
      const first = await f.refund.run(
        { orderId: '42' },
        { toolCallId: 'call-1', approval: { approved: true } },
      );
      const records = t.audit.events.length;
      const again = await f.refund.check({ orderId: '42' }, { toolCallId: 'call-1' });
      expect(again).toMatchObject({ effect: 'allow', settled: true });
      const second = await f.refund.run(
        { orderId: '42' },
        { toolCallId: 'call-1', approval: { approved: true } },
      );
      expect(second).toEqual(first);
      // the replay is recorded in the task that asked (and nothing else: no decision, approval or run)
      expect(t.audit.events.slice(records).map((e) => e.kind === 'outcome' && e.outcome.status)).toEqual([
        'replayed',
      ]);
    });
    expect(f.ran).toEqual(['refund_order:42']);
    expect(t.audit.ofKind('decision')).toHaveLength(1);
    const [, replayed] = t.audit.ofKind('outcome');
    expect(replayed?.decisionIndex).toBe(t.audit.ofKind('outcome')[0]?.decisionIndex);
  });

  it('a framework approval without a pending check is refused (and recorded); so is one for other arguments', async () => {
    const t = setup();
    const f = frameworkTools(t);
    await t.writ.task(task, async () => {
      const unasked = await f.refund
        .run({ orderId: '42' }, { toolCallId: 'call-9', approval: { approved: true } })
        .catch((e: unknown) => e);
      expect(WritError.isInstance(unasked, 'WRIT_APPROVAL_REJECTED')).toBe(true);
      expect((unasked as WritError).details).toMatchObject({ why: 'no_pending_approval' });

      await f.refund.check({ orderId: '42' }, { toolCallId: 'call-2' });
      const swapped = await f.refund
        .run({ orderId: '999' }, { toolCallId: 'call-2', approval: { approved: true } })
        .catch((e: unknown) => e);
      expect(WritError.isInstance(swapped, 'WRIT_APPROVAL_REJECTED')).toBe(true);
    });
    expect(f.ran).toEqual([]);
    expect(t.audit.ofKind('decision').map((d) => d.refusal?.code)).toEqual([
      'WRIT_APPROVAL_REJECTED',
      'WRIT_APPROVAL_REJECTED',
    ]);
  });

  it('deny at check time is recorded at once, and replayed (recorded as a replay, not decided again) when the framework runs it anyway', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
    const f = frameworkTools(t);
    await t.writ.task(task, async () => {
      const check = await f.remove.check({ orderId: 'c-7' }, { toolCallId: 'call-3' });
      expect(check.effect).toBe('deny');
      if (check.effect !== 'deny') throw new Error('unreachable');
      expect(check.error.code).toBe('WRIT_POLICY_DENIED');
      expect(check.message).toBe(refusalMessage(check.error));
      expect(check.message).toMatch(
        /^Refused by Writ \(WRIT_POLICY_DENIED\): .*agents never delete customers/,
      );
      const records = t.audit.events.length;
      const run = await f.remove.run({ orderId: 'c-7' }, { toolCallId: 'call-3' }).catch((e: unknown) => e);
      expect(run).toBe(check.error);
      expect(
        t.audit.events
          .slice(records)
          .map((e) => e.kind === 'outcome' && [e.outcome.status, e.outcome.errorCode]),
      ).toEqual([['replayed', 'WRIT_POLICY_DENIED']]);
    });
    expect(f.ran).toEqual([]);
    expect(t.policy.requests).toHaveLength(1);
    expect(t.audit.ofKind('decision')).toHaveLength(1);
    expect(t.audit.ofKind('outcome').map((o) => o.outcome.status)).toEqual(['refused', 'replayed']);
    expect(tracing.toolSpans().map((s) => s.attributes['writ.policy.effect'])).toEqual(['deny']);
  });

  it('reject records the human declining: approval event, refused decision, outcome; the tool never runs', async () => {
    const t = setup();
    const f = frameworkTools(t);
    const maria = { kind: 'human' as const, id: 'maria@example.com', assurance: 'verified' as const };
    await t.writ.task(task, async () => {
      expect(await f.refund.reject({ orderId: '42' }, { toolCallId: 'call-4' })).toBeUndefined(); // nothing pending
      expect(await f.refund.awaitsApproval({ orderId: '42' }, { toolCallId: 'call-4' })).toBe(false);
      await f.refund.check({ orderId: '42' }, { toolCallId: 'call-4' });
      // pending now, for this call only; asking decides and records nothing
      const records = t.audit.events.length;
      expect(await f.refund.awaitsApproval({ orderId: '42' }, { toolCallId: 'call-4' })).toBe(true);
      expect(await f.refund.awaitsApproval({ orderId: '43' }, { toolCallId: 'call-4' })).toBe(false);
      expect(await f.refund.awaitsApproval({ orderId: '42' }, { toolCallId: 'call-5' })).toBe(false);
      expect(t.audit.events.length).toBe(records);
      expect(t.policy.requests).toHaveLength(1);
      const refusal = await f.refund.reject(
        { orderId: '42' },
        { toolCallId: 'call-4', approver: maria, reason: 'not this one' },
      );
      expect(refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
      expect(refusal?.message).toContain('not this one');
      // the framework then runs it anyway: same refusal, nothing new
      await expect(f.refund.run({ orderId: '42' }, { toolCallId: 'call-4' })).rejects.toBe(refusal);
      expect(await f.refund.awaitsApproval({ orderId: '42' }, { toolCallId: 'call-4' })).toBe(false); // answered
    });
    // another task never sees it
    await t.writ.task(task, async () => {
      expect(await f.refund.awaitsApproval({ orderId: '42' }, { toolCallId: 'call-4' })).toBe(false);
    });
    expect(f.ran).toEqual([]);
    expect(t.audit.ofKind('approval')[0]?.approval).toMatchObject({
      approved: false,
      approver: { id: 'maria@example.com' },
      reason: 'not this one',
    });
    expect(t.audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
  });

  it('without a tool call id, run is the plain pipeline (configured approval handler asked)', async () => {
    const t = setup();
    const f = frameworkTools(t);
    await t.writ.task(task, () => f.refund.run({ orderId: '42' }));
    expect(t.approvals.requests).toHaveLength(1);
    expect(f.ran).toEqual(['refund_order:42']);
    await expect(f.refund.check({ orderId: '42' }, {} as never)).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
  });

  it('a framework pause inside the tool is recorded as suspended, not settled: the resumed call runs, same decision', async () => {
    const t = setup();
    class Pause extends Error {
      override name = 'Pause';
    }
    let answer: string | undefined;
    const ask = adaptTool(
      'test-framework',
      { name: 'lookup_order', input: z.object({ orderId: z.string() }) },
      async () => {
        if (answer === undefined) throw new Pause('waiting for the customer');
        return answer;
      },
      { writ: t.writ, defaults: { risk: 'low' } },
      { isSuspension: (e) => e instanceof Pause },
    );
    await t.writ.task(task, async () => {
      await ask.check({ orderId: '42' }, { toolCallId: 'call-p' });
      await expect(ask.run({ orderId: '42' }, { toolCallId: 'call-p' })).rejects.toBeInstanceOf(Pause);
      answer = 'yes';
      await expect(ask.run({ orderId: '42' }, { toolCallId: 'call-p' })).resolves.toBe('yes');
      // and now it is settled: a further re-run replays
      answer = 'changed';
      await expect(ask.run({ orderId: '42' }, { toolCallId: 'call-p' })).resolves.toBe('yes');
    });
    expect(t.policy.requests).toHaveLength(1);
    expect(t.audit.ofKind('outcome').map((o) => [o.outcome.status, o.outcome.errorCode])).toEqual([
      ['suspended', 'Pause'],
      ['ok', undefined],
      ['replayed', undefined],
    ]);
  });

  it('refuses bad adapter hints with the offending key', () => {
    const t = setup();
    expect(() =>
      adaptTool('test-framework', { name: 'x' }, () => 1, {
        writ: t.writ,
        tools: { x: { risk: 'extreme' as never } },
      }),
    ).toThrow(/risk/);
  });
});

describe('writ.task({ inbound }): continuing a caller’s task from its verified token', () => {
  const inbound = {
    taskId: 'task-from-client',
    subject: 'alice@example.com',
    actors: ['spiffe://client.test/agent/support'],
    autonomous: false,
    scope: ['orders:*'],
    issuer: 'spiffe://client.test',
    jti: 'jti-1',
    expiresAt: Date.now() + 60_000,
    correlationId: 'corr-1',
  };

  it('keeps the caller’s task id, correlation id, requester and chain; appends this service’s agent', async () => {
    const t = setup();
    const attribution = await t.writ.task({ agent: 'orders-server', inbound }, (h) => h.attribution);
    expect(attribution).toMatchObject({
      taskId: 'task-from-client',
      correlationId: 'corr-1',
      requester: {
        kind: 'human',
        id: 'alice@example.com',
        assurance: 'verified',
        issuer: 'spiffe://client.test',
      },
      scope: ['orders:*'],
    });
    expect(attribution.chain.map((p) => [p.id, p.assurance])).toEqual([
      ['spiffe://client.test/agent/support', 'verified'],
      ['spiffe://writ.test/agent/orders-server', 'verified'],
    ]);
    expect(t.audit.ofKind('task-start')[0]).toMatchObject({
      taskId: 'task-from-client',
      inbound: { jti: 'jti-1', issuer: 'spiffe://client.test' },
    });
  });

  it('only narrows the token’s scope, refuses expired tokens and requester + inbound together', async () => {
    const t = setup();
    await expect(
      t.writ.task({ agent: 'orders-server', inbound, scope: ['customers:*'] }, () => 1),
    ).rejects.toMatchObject({ code: 'WRIT_SCOPE_EXCEEDED' });
    await expect(
      t.writ.task({ agent: 'orders-server', inbound: { ...inbound, expiresAt: Date.now() - 1 } }, () => 1),
    ).rejects.toMatchObject({ code: 'WRIT_TOKEN_EXPIRED' });
    await expect(
      t.writ.task({ agent: 'orders-server', inbound, requester: ALICE }, () => 1),
    ).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    // every refusal is recorded, the options one too (issue 18 item 13)
    expect(t.audit.ofKind('task-start').map((e) => [e.status, e.refusal?.code])).toEqual([
      ['refused', 'WRIT_SCOPE_EXCEEDED'],
      ['refused', 'WRIT_TOKEN_EXPIRED'],
      ['refused', 'WRIT_OPTIONS_INVALID'],
    ]);
  });

  it("records a framework's call ids in canonical key order, so its decision record takes the native encoder", async () => {
    // the events as the pipeline hands them to the sink (the in-memory sink keeps re-parsed copies)
    const appended: AuditEvent[] = [];
    const t = setup({
      writ: {
        audit: {
          name: 'raw',
          async append(event) {
            appended.push(event);
            return { log: 'raw', index: appended.length - 1, leafHash: `sha256:${appended.length}` };
          },
        },
      },
    });
    const f = frameworkTools(t);
    await t.writ.task(task, async () => {
      // keys out of order, as adapters build them (an MCP request id, then its session id)
      const frameworkIds = { sessionId: 'session-1', requestId: '7' };
      await f.lookup.check({ orderId: '42' }, { toolCallId: 'call-9', frameworkIds });
      await f.lookup.run({ orderId: '42' }, { toolCallId: 'call-9', frameworkIds });
      expect(Object.keys(frameworkIds)).toEqual(['sessionId', 'requestId']); // the caller's, unchanged
    });
    const decision = appended.find((e) => e.kind === 'decision');
    if (decision?.kind !== 'decision') throw new Error('no decision record');
    expect(decision.call.framework).toEqual({
      ids: { requestId: '7', sessionId: 'session-1' },
      name: 'test-framework',
    });
    // canonicalJson writes a record already in canonical order with JSON.stringify: the same bytes
    expect(JSON.stringify(decision)).toBe(canonicalJson(decision));
  });

  it('run with a per-call invoke runs it (and only once allowed) in place of the tool given to adaptTool; a non-function is refused', async () => {
    const t = setup();
    const f = frameworkTools(t);
    const perCall: unknown[] = [];
    await t.writ.task(task, async () => {
      const result = await f.lookup.run(
        { orderId: '42' },
        {
          toolCallId: 'call-1',
          invoke: (args, ctx) => {
            perCall.push([args, ctx.attribution.requester?.id]);
            return 'from the call';
          },
        },
      );
      expect(result).toBe('from the call');
      const refused = await f.remove
        .run({ orderId: '42' }, { toolCallId: 'call-2', invoke: () => perCall.push('deleted') })
        .catch((e: unknown) => e);
      expect(WritError.isInstance(refused, 'WRIT_POLICY_DENIED')).toBe(true);
      const invalid = await f.lookup
        .run({ orderId: '42' }, { invoke: 'nope' as never })
        .catch((e: unknown) => e);
      expect(WritError.isInstance(invalid, 'WRIT_OPTIONS_INVALID')).toBe(true);
    });
    expect(perCall).toEqual([[{ orderId: '42' }, 'alice@example.com']]);
    expect(f.ran).toEqual([]);
  });
});
