import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALICE, setup } from './__support__/fixtures.js';
import { type ApprovalHandler, createWrit, type WritError, WritError as WritErrorClass } from './index.js';
import type { ApprovalResponse, PolicyEngine } from './plugin.js';
import {
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryPolicy,
} from './testing/index.js';

const never = () => new Promise<never>(() => {});

function withPolicy(policy: PolicyEngine, extra: Parameters<typeof createWrit>[0] = {}) {
  const audit = createInMemoryAuditSink();
  const writ = createWrit({
    policy,
    audit,
    timeouts: { policyMs: 50, approvalMs: 50, credentialMs: 50 },
    ...extra,
  });
  let runs = 0;
  const tool = writ.tool({ name: 'act', input: z.object({ n: z.number() }), execute: async () => ++runs });
  const call = (n = 1) =>
    writ
      .task({ agent: 'agent' }, () => tool.execute({ n }))
      .then(
        () => 'ran',
        (e: unknown) => e as WritError,
      );
  return { writ, audit, tool, call, runs: () => runs };
}

describe('policy engine faults fail closed', () => {
  it('an engine that throws: deny with WRIT_PDP_UNAVAILABLE, the fault recorded', async () => {
    const t = withPolicy({
      name: 'flaky',
      decide: async () => Promise.reject(new Error('connection refused')),
    });
    const error = await t.call();
    expect(WritErrorClass.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect(t.runs()).toBe(0);
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision).toMatchObject({ effect: 'deny', engine: 'flaky' });
    expect(decision?.decision.errors?.[0]).toContain('connection refused');
    expect(decision?.refusal?.code).toBe('WRIT_PDP_UNAVAILABLE');
  });

  it('an engine that never answers: deny once the policy timeout passes', async () => {
    const seen: AbortSignal[] = [];
    const t = withPolicy({
      name: 'slow',
      decide: (_r, { signal }) => {
        seen.push(signal);
        return never();
      },
    });
    const error = await t.call();
    expect(WritErrorClass.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect((error as WritError).message).toContain('did not answer within 50 ms');
    expect(seen[0]?.aborted).toBe(true);
    expect(t.runs()).toBe(0);
  });

  it('an engine that answers garbage or allow-with-errors: deny', async () => {
    const garbage = withPolicy({ name: 'garbage', decide: async () => ({ effect: 'allow' }) as never });
    expect(WritErrorClass.isInstance(await garbage.call(), 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    const erroring = withPolicy({
      name: 'erroring',
      decide: async (request) => ({
        effect: 'allow',
        policyIds: ['p1'],
        reasons: [],
        decisionId: 'd1',
        engine: 'erroring',
        evaluatedContext: request,
        errors: ['policy p2 failed: attribute missing'],
      }),
    });
    expect(WritErrorClass.isInstance(await erroring.call(), 'WRIT_POLICY_DENIED')).toBe(true);
    expect(erroring.runs()).toBe(0);
    expect(erroring.audit.ofKind('decision')[0]?.decision.errors).toEqual([
      'policy p2 failed: attribute missing',
    ]);
  });
});

describe('approvals are bound to one call', () => {
  const requireApproval = createInMemoryPolicy({ rules: [{ effect: 'approval_required' }] });

  it('an approval given for call A is refused when replayed for call B (different args)', async () => {
    let first: ApprovalResponse | undefined;
    const replaying: ApprovalHandler = {
      name: 'replaying',
      requestApproval: async (request) => {
        first ??= {
          approved: true,
          approver: { kind: 'human', id: 'boss', assurance: 'verified' },
          bindingHash: request.bindingHash,
        };
        return first;
      },
    };
    const t = withPolicy(requireApproval, { approvals: replaying });
    expect(await t.call(1)).toBe('ran');
    const error = await t.call(2);
    expect(WritErrorClass.isInstance(error, 'WRIT_APPROVAL_REJECTED')).toBe(true);
    expect((error as WritError).details.why).toBe('the answer is bound to another call');
    expect(t.runs()).toBe(1);
    expect(t.audit.ofKind('decision')[1]?.refusal?.code).toBe('WRIT_APPROVAL_REJECTED');
  });

  it('an approval without an approver, a hung approver and a missing handler are all refusals', async () => {
    const anonymous = withPolicy(requireApproval, {
      approvals: {
        name: 'anon',
        requestApproval: async (r) => ({ approved: true, bindingHash: r.bindingHash }),
      },
    });
    expect((await anonymous.call()) as WritError).toMatchObject({
      code: 'WRIT_APPROVAL_REJECTED',
      details: { why: 'an approval must name its approver' },
    });
    const hung = withPolicy(requireApproval, { approvals: { name: 'hung', requestApproval: never } });
    expect((await hung.call()) as WritError).toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
    const none = withPolicy(requireApproval);
    expect((await none.call()) as WritError).toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
    expect(anonymous.runs() + hung.runs() + none.runs()).toBe(0);
  });

  it('an answer that arrives after the approval expired is refused', async () => {
    let now = 1_000_000;
    const late = withPolicy(requireApproval, {
      clock: () => now,
      timeouts: { approvalMs: 60_000 },
      approvals: {
        name: 'late',
        requestApproval: async (r) => {
          now += 120_000; // the approver took two minutes
          return {
            approved: true,
            approver: { kind: 'human', id: 'boss', assurance: 'verified' },
            bindingHash: r.bindingHash,
          };
        },
      },
    });
    expect((await late.call()) as WritError).toMatchObject({
      details: { why: 'the answer arrived after the approval expired' },
    });
    expect(late.runs()).toBe(0);
  });
});

describe('credentials, identity and task faults', () => {
  it('a broker that cannot issue the call credential: WRIT_CREDENTIAL_UNAVAILABLE, tool not run', async () => {
    const audit = createInMemoryAuditSink();
    const broker = createInMemoryCredentialBroker();
    const writ = createWrit({
      audit,
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      credentials: { ...broker, credentialFor: async () => Promise.reject(new Error('token endpoint 503')) },
    });
    let ran = false;
    const tool = writ.tool({
      name: 'pay',
      input: z.object({}),
      audience: 'https://pay',
      execute: () => (ran = true),
    });
    await expect(writ.task({ agent: 'a' }, () => tool.execute({}))).rejects.toMatchObject({
      code: 'WRIT_CREDENTIAL_UNAVAILABLE',
    });
    expect(ran).toBe(false);
    expect(audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_CREDENTIAL_UNAVAILABLE');
  });

  it('an aborted call does not run', async () => {
    const t = setup();
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    await expect(
      t.writ.task({ requester: ALICE, agent: 'support' }, () =>
        t.lookup.execute({ orderId: '1' }, { signal: controller.signal }),
      ),
    ).rejects.toMatchObject({ code: 'WRIT_ABORTED' });
    expect(t.executed).toEqual([]);
    expect(t.audit.ofKind('outcome')[0]?.outcome.status).toBe('refused');
  });

  it('a requester token that does not verify: the task never starts, the refusal is recorded', async () => {
    const t = setup();
    let ran = false;
    const error = await t.writ
      .task({ requester: 'forged-token', agent: 'support' }, () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(WritErrorClass.isInstance(error, 'WRIT_IDENTITY_INVALID')).toBe(true);
    expect(ran).toBe(false);
    const [start] = t.audit.ofKind('task-start');
    expect(start).toMatchObject({
      status: 'refused',
      refusal: { code: 'WRIT_IDENTITY_INVALID' },
      requester: null,
    });
    expect(t.audit.lines.join('')).not.toContain('forged-token');
  });

  it('a requester passed as an object is recorded as asserted, never verified', async () => {
    const t = setup();
    await t.writ.task(
      { requester: { kind: 'human', id: 'dave', assurance: 'verified' } as never, agent: 'support' },
      () => t.lookup.execute({ orderId: '1' }),
    );
    expect(t.audit.ofKind('decision')[0]?.requester).toEqual({
      kind: 'human',
      id: 'dave',
      assurance: 'asserted',
    });
  });

  it('calls outside a task run as recorded autonomous tasks, or are refused with requireTask', async () => {
    const t = setup();
    await t.lookup.execute({ orderId: '9' });
    const [decision] = t.audit.ofKind('decision');
    expect(decision).toMatchObject({ autonomous: true, requester: null });
    expect(decision?.chain[0]?.name).toBe('autonomous');
    expect(decision?.decision.evaluatedContext?.context.autonomous).toBe(true);

    const strict = setup({ writ: { requireTask: true } });
    await expect(strict.lookup.execute({ orderId: '9' })).rejects.toMatchObject({ code: 'WRIT_NO_TASK' });
    expect(strict.executed).toEqual([]);
    expect(strict.audit.ofKind('decision')[0]?.refusal?.code).toBe('WRIT_NO_TASK');
    expect(strict.audit.ofKind('outcome')[0]?.outcome.status).toBe('refused');
    await expect(strict.writ.delegate({ agent: 'x' }, () => 1)).rejects.toMatchObject({
      code: 'WRIT_NO_TASK',
    });
  });

  it('credentials die with the task: refused afterwards, and the revocation is recorded on the task-end record', async () => {
    const t = setup();
    const tokens = await t.writ.task({ requester: ALICE, agent: 'support' }, async (task) => {
      const refund = await t.refund.execute({ orderId: '1', amount: 5 });
      const live = t.credentials.verify(task.credential?.token as string);
      expect(live.jti).toBe(task.credential?.jti);
      return { task: task.credential?.token as string, call: refund.jti as string };
    });
    expect(() => t.credentials.verify(tokens.task)).toThrow(
      expect.objectContaining({ code: 'WRIT_TOKEN_REVOKED' }),
    );
    expect(t.audit.ofKind('revocation')).toEqual([]);
    const [end] = t.audit.ofKind('task-end');
    expect(end?.revoked?.map((c) => c.jti)).toContain(tokens.call);
    expect(end?.revoked).toHaveLength(2);
    // tokens never reach the records, only their jti
    for (const c of t.credentials.issued) expect(t.audit.lines.join('')).not.toContain(c.token);
  });

  it('a lost outcome record is reported through onError, not thrown into the call', async () => {
    const errors: WritError[] = [];
    const t = setup({ writ: { onError: (e) => errors.push(e) } });
    const lookupThenFail = t.writ.tool({
      name: 'lookup_then_fail_sink',
      input: z.object({}),
      risk: 'low',
      execute: async () => {
        t.audit.setFailure(new Error('disk full'));
        return 'done';
      },
    });
    await expect(
      t.writ.task({ requester: ALICE, agent: 'support' }, () => lookupThenFail.execute({})),
    ).resolves.toBe('done');
    expect(errors.map((e) => e.code)).toContain('WRIT_AUDIT_UNAVAILABLE');
  });
});

describe('options are validated eagerly and name the bad option', () => {
  it.each([
    [{ durability: 'sometimes' }, 'options.durability'],
    [{ polcy: {} }, 'unknown option(s) "polcy"'],
    [{ policy: { name: 'x' } }, 'options.policy: must implement PolicyEngine'],
    [{ timeouts: { policyMs: -1 } }, 'options.timeouts.policyMs'],
    [{ redact: ['a..b'] }, 'options.redact'],
  ])('createWrit(%j)', (options, message) => {
    expect(() => createWrit(options as never)).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining(message) }),
    );
  });

  it('tool and task options too', async () => {
    const writ = createWrit();
    expect(() => writ.tool({ name: 'bad name!', input: z.object({}), execute: () => 1 })).toThrow(
      /options.name/,
    );
    expect(() =>
      writ.tool({ name: 'ok', input: z.object({}), risk: 'extreme' as never, execute: () => 1 }),
    ).toThrow(/options.risk/);
    await expect(writ.task({ agent: '' }, () => 1)).rejects.toThrow(/options.agent/);
    await expect(writ.task({ agent: 'a', scope: ['orders:*:x'] }, () => 1)).rejects.toThrow(
      /options.scope.0/,
    );
  });
});
