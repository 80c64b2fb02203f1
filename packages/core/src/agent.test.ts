import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createWrit, defineAgent, WritError } from './index.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from './testing/index.js';

function setup() {
  const audit = createInMemoryAuditSink();
  const support = defineAgent({
    id: 'support-bot',
    owner: 'support-platform@example.com',
    purpose: 'Answer customer tickets',
    tools: ['lookup_order'],
    scope: ['orders:*'],
  });
  const billing = defineAgent({
    id: 'billing-bot',
    owner: 'finance@example.com',
    purpose: 'Refunds',
    scope: ['orders:refund'],
  });
  const writ = createWrit({
    audit,
    agents: [support, billing],
    policy: createInMemoryPolicy({ fallback: 'allow' }),
  });
  const lookup = writ.tool({
    name: 'lookup_order',
    permission: 'orders:read',
    input: z.object({}),
    execute: async () => 'order',
  });
  const refund = writ.tool({
    name: 'refund_order',
    permission: 'orders:refund',
    input: z.object({}),
    execute: async () => 'refunded',
  });
  return { writ, audit, lookup, refund };
}

describe('agent registry', () => {
  it('puts owner and purpose into every record and the policy request', async () => {
    const t = setup();
    await t.writ.task({ agent: 'support-bot' }, () => t.lookup.execute({}));
    for (const event of t.audit.events) {
      expect(event.chain[0]).toMatchObject({
        owner: 'support-platform@example.com',
        purpose: 'Answer customer tickets',
      });
    }
    const decision = t.audit.ofKind('decision')[0];
    expect(decision?.decision.evaluatedContext?.subject.properties).toMatchObject({
      owner: 'support-platform@example.com',
    });
    // the registered scope is the default task scope
    expect(t.audit.ofKind('task-start')[0]?.scope).toEqual(['orders:*']);
  });

  it('refuses tools the agent is not registered for, recorded as a registry deny', async () => {
    const t = setup();
    const error = await t.writ
      .task({ agent: 'support-bot' }, () => t.refund.execute({}))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(t.audit.ofKind('decision')[0]?.decision).toMatchObject({
      effect: 'deny',
      engine: 'writ:registry',
      policyIds: ['writ:agent-registry'],
    });
  });

  it('refuses unregistered agents and scope beyond the registration, before anything runs', async () => {
    const t = setup();
    await expect(t.writ.task({ agent: 'rogue-bot' }, () => 1)).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
    });
    await expect(
      t.writ.task({ agent: 'support-bot', scope: ['customers:*'] }, () => 1),
    ).rejects.toMatchObject({ code: 'WRIT_SCOPE_EXCEEDED' });
    // a delegation is bounded by the sub-agent's registration too
    await expect(
      t.writ.task({ agent: 'support-bot', scope: ['orders:*'] }, () =>
        t.writ.delegate({ agent: 'billing-bot', scope: ['orders:read'] }, () => 1),
      ),
    ).rejects.toMatchObject({ code: 'WRIT_SCOPE_EXCEEDED' });
    const refused = t.audit.ofKind('task-start').filter((e) => e.status === 'refused');
    expect(refused.map((e) => e.refusal?.code)).toEqual([
      'WRIT_IDENTITY_INVALID',
      'WRIT_SCOPE_EXCEEDED',
      'WRIT_SCOPE_EXCEEDED',
    ]);
  });

  it('validates definitions', () => {
    expect(() => defineAgent({ id: 'bad id', owner: 'o', purpose: 'p' })).toThrow(/options.id/);
    expect(() => defineAgent({ id: 'a', owner: '', purpose: 'p' })).toThrow(/options.owner/);
  });
});
