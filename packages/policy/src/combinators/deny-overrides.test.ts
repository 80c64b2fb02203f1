import { fc, test } from '@fast-check/vitest';
import { createWrit, WritError } from '@writ/core';
import type { DecisionEffect } from '@writ/core/plugin';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authorizationRequest, NO_ABORT } from './__support__/requests.js';
import { type StubBehaviour, stubEngine } from './__support__/stub-engines.js';
import { DENY_OVERRIDES_DEFAULTS, denyOverrides } from './deny-overrides.js';

const RANK: Record<DecisionEffect, number> = { deny: 0, approval_required: 1, allow: 2 };
const effectOf = (b: StubBehaviour): DecisionEffect =>
  b === 'allow' || b === 'approval_required' ? b : 'deny';

describe('denyOverrides', () => {
  it('allows only when every engine allows, merging prefixed policy ids and reasons', async () => {
    const policy = denyOverrides([stubEngine('cedar', 'allow'), stubEngine('opa', 'allow')], {
      generateId: () => 'combined-1',
    });
    const request = authorizationRequest();
    const decision = await policy.decide(request, NO_ABORT);
    expect(decision).toEqual({
      effect: 'allow',
      policyIds: ['cedar:cedar-policy', 'opa:opa-policy'],
      reasons: [
        'cedar:cedar says allow',
        'opa:opa says allow',
        'cedar:decision:allow:cedar-1',
        'opa:decision:allow:opa-1',
      ],
      decisionId: 'combined-1',
      engine: DENY_OVERRIDES_DEFAULTS.name,
      evaluatedContext: request,
    });
  });

  it('denies when one engine denies, naming only the denying policies but keeping every sub-decision id', async () => {
    const policy = denyOverrides([stubEngine('cedar', 'allow'), stubEngine('opa', 'deny')]);
    const decision = await policy.decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('deny');
    expect(decision.policyIds).toEqual(['opa:opa-policy']);
    expect(decision.reasons).toEqual([
      'opa:opa says deny',
      'cedar:decision:allow:cedar-1',
      'opa:decision:deny:opa-1',
    ]);
    expect(decision.errors).toBeUndefined();
  });

  it('asks for approval when none denies and one asks for approval, keeping every obligation', async () => {
    const policy = denyOverrides([
      stubEngine('cedar', 'approval_required', { obligations: [{ id: 'notify' }] }),
      stubEngine('opa', 'allow', { obligations: [{ id: 'log', attributes: { level: 'info' } }] }),
    ]);
    const decision = await policy.decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('approval_required');
    expect(decision.obligations).toEqual([{ id: 'notify' }, { id: 'log', attributes: { level: 'info' } }]);
  });

  it.each([
    ['throws', 'throw'],
    ['throws synchronously', 'throw-sync'],
    ['answers with errors', 'errors'],
    ['answers garbage', 'malformed'],
  ] as const)('denies when an engine %s, collecting the error', async (_label, behaviour) => {
    const policy = denyOverrides([stubEngine('cedar', 'allow'), stubEngine('flaky', behaviour)]);
    const decision = await policy.decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('deny');
    expect(decision.errors?.length).toBeGreaterThan(0);
    expect(decision.errors?.every((e) => e.startsWith('flaky: '))).toBe(true);
  });

  it("records an engine's answer carrying errors as the deny it is", async () => {
    const policy = denyOverrides([stubEngine('cedar', 'allow'), stubEngine('flaky', 'errors')]);
    const decision = await policy.decide(authorizationRequest(), NO_ABORT);
    expect(decision.reasons).toContain('flaky:decision:deny:flaky-1');
    expect(decision.reasons).toContain('flaky:the policy engine reported evaluation errors');
    expect(decision.errors).toEqual(['flaky: flaky could not evaluate a condition']);
  });

  it('asks every engine in parallel with the caller signal', async () => {
    const a = stubEngine('a', 'allow');
    const b = stubEngine('b', 'hang');
    const controller = new AbortController();
    const pending = denyOverrides([a, b]).decide(authorizationRequest(), { signal: controller.signal });
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(1);
    controller.abort(new Error('user left'));
    const error = await pending.catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_ABORTED')).toBe(true);
    expect(b.signals[0]?.aborted).toBe(true);
  });

  it('tells apart engines sharing a name and is deterministic only when all are', async () => {
    const both = denyOverrides([stubEngine('opa', 'allow'), stubEngine('opa', 'deny')]);
    const decision = await both.decide(authorizationRequest(), NO_ABORT);
    expect(decision.policyIds).toEqual(['opa#2:opa-policy']);
    expect(both.deterministic).toBe(false);
    const pure = denyOverrides([
      stubEngine('a', 'allow', { deterministic: true }),
      stubEngine('b', 'allow', { deterministic: true }),
    ]);
    expect(pure.deterministic).toBe(true);
  });

  it('refuses no engines, non-engines and unknown options', () => {
    expect(() => denyOverrides([])).toThrow(/denyOverrides: engines must be a non-empty array/);
    expect(() => denyOverrides([{ name: 'x' } as never])).toThrow(/PolicyEngine/);
    expect(() => denyOverrides([stubEngine('a', 'allow')], { colour: 'red' } as never)).toThrow(
      /denyOverrides: .*unknown option\(s\) "colour"/,
    );
  });

  it('lets a denying engine stop a tool through createWrit; the record names both engines', async () => {
    const audit = createInMemoryAuditSink();
    const reads = createInMemoryPolicy({
      rules: [{ id: 'reads', effect: 'allow', risk: ['low'] }],
      name: 'reads',
    });
    const noOrders = createInMemoryPolicy({
      rules: [{ id: 'no-orders', effect: 'deny', tool: 'lookup_order', reason: 'orders are frozen' }],
      fallback: 'allow',
      name: 'freeze',
    });
    const writ = createWrit({ policy: denyOverrides([reads, noOrders]), audit });
    let runs = 0;
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      risk: 'low',
      execute: async () => ++runs,
    });
    const error = await writ
      .task({ agent: 'support' }, () => lookup.execute({ orderId: '1' }))
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(runs).toBe(0);
    const decision = audit.ofKind('decision')[0]?.decision;
    expect(decision).toMatchObject({
      effect: 'deny',
      engine: 'deny-overrides',
      policyIds: ['freeze:no-orders'],
    });
    expect(decision?.reasons).toContain('freeze:orders are frozen');
    expect(decision?.reasons).toContain('reads:decision:allow:reads-1');
  });
});

const behaviour = fc.constantFrom<StubBehaviour>(
  'allow',
  'deny',
  'approval_required',
  'throw',
  'throw-sync',
  'errors',
  'malformed',
);

describe('denyOverrides (property)', () => {
  test.prop([fc.array(behaviour, { minLength: 1, maxLength: 8 })], { numRuns: 300 })(
    'any engine denying or failing ⇒ deny; never more permissive than the least permissive engine',
    async (behaviours) => {
      const engines = behaviours.map((b, i) => stubEngine(`e${i}`, b));
      const decision = await denyOverrides(engines).decide(authorizationRequest(), NO_ABORT);
      const least = Math.min(...behaviours.map((b) => RANK[effectOf(b)]));
      expect(RANK[decision.effect]).toBeLessThanOrEqual(least);
      expect(RANK[decision.effect]).toBe(least);
      if (behaviours.some((b) => effectOf(b) === 'deny')) expect(decision.effect).toBe('deny');
      const failing = behaviours.filter(
        (b) => b !== 'allow' && b !== 'deny' && b !== 'approval_required',
      ).length;
      expect(decision.errors?.length ?? 0).toBe(failing);
      expect(decision.reasons.filter((r) => /^e\d+:(decision|failed):/.test(r))).toHaveLength(
        behaviours.length,
      );
      for (const engine of engines) expect(engine.calls).toHaveLength(1);
    },
  );
});
