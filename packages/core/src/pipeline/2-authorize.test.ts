import { describe, expect, it } from 'vitest';
import { defineAgent } from '../agent.js';
import type { Attribution } from '../attribution.js';
import type { AuthorizationRequest, Decision } from '../decision.js';
import { WritError } from '../errors.js';
import { ALICE_ATTRIBUTION, callRun } from './__support__/call-run.js';
import { validate } from './1-validate.js';
import { authorize, buildRequest } from './2-authorize.js';

const policyOf = (decide: (r: AuthorizationRequest) => unknown) => ({
  name: 'scripted',
  decide: async (r: AuthorizationRequest) => decide(r) as Decision,
});

describe('stage 2: authorize', () => {
  it('asks the engine with the request built from the call, and keeps the decision', async () => {
    const seen: AuthorizationRequest[] = [];
    const { run } = callRun({
      writ: {
        policy: policyOf((r) => {
          seen.push(r);
          return { effect: 'allow', policyIds: ['p1'], reasons: [] };
        }),
      },
    });
    await validate(run);
    await authorize(run);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      subject: { id: 'spiffe://writ.local/agent/support', type: 'Agent' },
      action: { name: 'refund_order', properties: { risk: 'high' } },
      resource: { type: 'Order', id: '42' },
      context: { taskId: 'task-1', toolCallId: 'call-1', inScope: true, intent: 'refund order 42' },
    });
    expect(run.request).toBe(seen[0]);
    expect(run.decision).toMatchObject({ effect: 'allow', policyIds: ['p1'], engine: 'scripted' });
    expect(run.decision?.decisionId).toEqual(expect.any(String));
  });

  it('a deny refuses with WRIT_POLICY_DENIED naming the engine, policies and reasons', async () => {
    const { run } = callRun({
      writ: {
        policy: policyOf(() => ({ effect: 'deny', policyIds: ['no-refunds'], reasons: ['not today'] })),
      },
    });
    await validate(run);
    const error = await authorize(run).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect((error as WritError).details).toMatchObject({ policyIds: ['no-refunds'], reasons: ['not today'] });
    expect(run.decision?.effect).toBe('deny');
  });

  it('fails closed: an engine that throws, answers malformed, or reports errors denies', async () => {
    for (const [answer, code] of [
      [
        () => {
          throw new Error('boom');
        },
        'WRIT_PDP_UNAVAILABLE',
      ],
      [() => ({ effect: 'maybe', policyIds: [], reasons: [] }), 'WRIT_PDP_UNAVAILABLE'],
      [
        () => ({ effect: 'allow', policyIds: [], reasons: [], errors: ['policy p2 failed'] }),
        'WRIT_POLICY_DENIED',
      ],
    ] as const) {
      const { run } = callRun({ writ: { policy: policyOf(answer) } });
      await validate(run);
      const error = await authorize(run).catch((e: unknown) => e);
      expect(WritError.isInstance(error, code), code).toBe(true);
      expect(run.decision?.effect).toBe('deny');
    }
  });

  it('an engine that never answers is denied once timeouts.policyMs passes', async () => {
    const { run } = callRun({
      writ: {
        policy: { name: 'stuck', decide: () => new Promise<Decision>(() => {}) },
        timeouts: { policyMs: 20 },
      },
    });
    await validate(run);
    await expect(authorize(run)).rejects.toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE' });
  });

  it('reuses the decision remembered for this very call instead of deciding again (and its refusal)', async () => {
    let asked = 0;
    const { run } = callRun({
      writ: {
        policy: policyOf(() => {
          asked += 1;
          return { effect: 'allow', policyIds: [], reasons: [] };
        }),
      },
    });
    await validate(run);
    const remembered: Decision = {
      effect: 'approval_required',
      policyIds: ['p'],
      reasons: [],
      decisionId: 'd-1',
      engine: 'e',
      evaluatedContext: buildRequest(run),
    };
    run.remembered = {
      binding: 'b',
      request: undefined,
      decision: remembered,
      failure: undefined,
      expiresAt: Date.now() + 1000,
    };
    await authorize(run);
    expect(asked).toBe(0);
    expect(run.decision).toBe(remembered);
    expect(run.fromLedger).toBe(true);
    const failure = new WritError('WRIT_POLICY_DENIED', 'denied earlier');
    run.remembered = { ...run.remembered, failure };
    await expect(authorize(run)).rejects.toBe(failure);
  });

  it('an agent registry bounds the tools an agent may call, before any engine is asked', async () => {
    let asked = 0;
    const { run } = callRun({
      writ: {
        agents: [defineAgent({ id: 'support', owner: 'team', purpose: 'support', tools: ['lookup_order'] })],
        policy: policyOf(() => {
          asked += 1;
          return { effect: 'allow', policyIds: [], reasons: [] };
        }),
      },
    });
    await validate(run);
    await expect(authorize(run)).rejects.toMatchObject({ code: 'WRIT_POLICY_DENIED' });
    expect(run.decision).toMatchObject({ engine: 'writ:registry', policyIds: ['writ:agent-registry'] });
    expect(asked).toBe(0);
  });

  it('the request says when the permission is outside the agent scope (inScope: false)', async () => {
    const { run } = callRun({ attribution: { ...ALICE_ATTRIBUTION, scope: ['orders:read'] } });
    await validate(run);
    expect(buildRequest(run).context).toMatchObject({ inScope: false, scope: ['orders:read'] });
  });

  it('the subject is built once per attribution, frozen, with the fields and key order it always had', async () => {
    const first = callRun();
    const second = callRun({ args: { orderId: '43', amount: 5 } });
    await validate(first.run);
    await validate(second.run);
    const a = buildRequest(first.run).subject;
    // another call of the same task (attribution) shares the very object: its records refer to it by digest
    expect(buildRequest(second.run).subject).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.properties)).toBe(true);
    expect(JSON.stringify(a)).toBe(
      JSON.stringify({
        id: 'spiffe://writ.local/agent/support',
        properties: {
          assurance: 'verified',
          autonomous: false,
          chain: [
            {
              assurance: 'verified',
              id: 'spiffe://writ.local/agent/support',
              kind: 'agent',
              name: 'support',
            },
          ],
          chainDepth: 1,
          name: 'support',
          requester: { assurance: 'verified', id: 'alice@example.com', kind: 'human' },
        },
        type: 'Agent',
      }),
    );
    // what the subject covers is the attribution's: another attribution (a delegation, another task) gets its own
    const delegated: Attribution = Object.freeze({
      ...ALICE_ATTRIBUTION,
      chain: [
        ...ALICE_ATTRIBUTION.chain,
        {
          kind: 'service',
          id: 'spiffe://writ.local/svc/billing',
          name: 'billing',
          assurance: 'verified',
        } as const,
      ],
    });
    const other = callRun({ attribution: delegated });
    await validate(other.run);
    const b = buildRequest(other.run).subject;
    expect(b).not.toBe(a);
    expect(b).toMatchObject({
      id: 'spiffe://writ.local/svc/billing',
      type: 'Service',
      properties: { chainDepth: 2 },
    });
  });
});
