import { createWrit, WritError } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authorizationRequest, NO_ABORT } from './__support__/requests.js';
import { stubEngine } from './__support__/stub-engines.js';
import { type ShadowReport, shadow, shadowOnly } from './shadow.js';

function collector() {
  const reports: ShadowReport[] = [];
  return { reports, onReport: (report: ShadowReport) => void reports.push(report) };
}

describe('shadow', () => {
  it("returns the enforced engine's decision, marked with the candidate's answer, and reports agreement", async () => {
    const { reports, onReport } = collector();
    const enforced = stubEngine('cedar', 'allow');
    const candidate = stubEngine('opa', 'allow');
    const policy = shadow(enforced, candidate, { onReport });
    const request = authorizationRequest();
    const decision = await policy.decide(request, NO_ABORT);
    expect(decision).toMatchObject({
      effect: 'allow',
      engine: 'cedar',
      decisionId: 'cedar-1',
      policyIds: ['cedar-policy'],
      reasons: ['cedar says allow', 'shadow:opa:allow:opa-1'],
    });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ request, agreed: true, enforced: { decisionId: 'cedar-1' } });
    expect(reports[0]?.candidate).toMatchObject({ effect: 'allow', decisionId: 'opa-1' });
    expect(candidate.calls).toEqual([request]);
  });

  it('enforces the enforced deny even when the candidate allows, and the other way round', async () => {
    const { reports, onReport } = collector();
    const strict = await shadow(stubEngine('cedar', 'deny'), stubEngine('opa', 'allow'), { onReport }).decide(
      authorizationRequest(),
      NO_ABORT,
    );
    expect(strict.effect).toBe('deny');
    expect(strict.reasons).toContain('shadow:opa:allow:opa-1');
    const lax = await shadow(stubEngine('cedar', 'allow'), stubEngine('opa', 'deny'), { onReport }).decide(
      authorizationRequest(),
      NO_ABORT,
    );
    expect(lax.effect).toBe('allow');
    expect(reports.map((r) => r.agreed)).toEqual([false, false]);
  });

  it.each(['throw', 'throw-sync', 'malformed'] as const)(
    'catches a candidate that fails (%s): the call gets the enforced decision, the report the failure',
    async (behaviour) => {
      const { reports, onReport } = collector();
      const decision = await shadow(stubEngine('cedar', 'allow'), stubEngine('opa', behaviour), {
        onReport,
      }).decide(authorizationRequest(), NO_ABORT);
      expect(decision.effect).toBe('allow');
      expect(decision.reasons).toContain('shadow:opa:error');
      const [report] = reports;
      expect(report?.agreed).toBe(false);
      expect(report?.candidate).toMatchObject({ effect: 'deny', engine: 'opa' });
      expect(report?.candidate.errors?.length).toBe(1);
      expect(WritError.isInstance(report?.candidateError)).toBe(true);
    },
  );

  it('stops waiting for a candidate after candidateTimeoutMs and aborts its signal', async () => {
    const { reports, onReport } = collector();
    const candidate = stubEngine('opa', 'hang');
    const decision = await shadow(stubEngine('cedar', 'deny'), candidate, {
      onReport,
      candidateTimeoutMs: 20,
    }).decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('deny');
    expect(decision.reasons).toContain('shadow:opa:error');
    expect(reports[0]?.candidateError?.details).toMatchObject({ reason: 'timeout' });
    expect(reports[0]?.agreed).toBe(true);
    expect(candidate.signals[0]?.aborted).toBe(true);
  });

  it('counts a candidate decision carrying errors as a deny', async () => {
    const { reports, onReport } = collector();
    const decision = await shadow(stubEngine('cedar', 'deny'), stubEngine('opa', 'errors'), {
      onReport,
    }).decide(authorizationRequest(), NO_ABORT);
    expect(decision.reasons).toContain('shadow:opa:deny:opa-1');
    expect(reports[0]?.agreed).toBe(true);
  });

  it('returns an enforced answer carrying errors as a deny (checked as the pipeline checks it)', async () => {
    const { reports, onReport } = collector();
    const decision = await shadow(stubEngine('cedar', 'errors'), stubEngine('opa', 'allow'), {
      onReport,
    }).decide(authorizationRequest(), NO_ABORT);
    expect(decision.effect).toBe('deny');
    expect(decision.errors).toEqual(['cedar could not evaluate a condition']);
    expect(decision.reasons).toEqual([
      'the policy engine reported evaluation errors',
      'shadow:opa:allow:opa-1',
    ]);
    expect(reports[0]).toMatchObject({ agreed: false, enforced: { effect: 'deny' } });
  });

  it('lets the enforced failure through (the pipeline fails closed) and still reports it', async () => {
    const { reports, onReport } = collector();
    const error = await shadow(stubEngine('cedar', 'throw'), stubEngine('opa', 'allow'), { onReport })
      .decide(authorizationRequest(), NO_ABORT)
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_PDP_UNAVAILABLE')).toBe(true);
    expect(reports[0]).toMatchObject({
      agreed: false,
      enforced: { effect: 'deny' },
      candidate: { effect: 'allow' },
    });
    expect(reports[0]?.enforcedError).toBe(error);
  });

  it('never lets onReport throw or reject into the call; failures go to onError', async () => {
    const failures: WritError[] = [];
    const throwing = shadow(stubEngine('cedar', 'allow'), stubEngine('opa', 'deny'), {
      onReport: () => {
        throw new Error('metrics backend down');
      },
      onError: (e) => failures.push(e),
    });
    expect((await throwing.decide(authorizationRequest(), NO_ABORT)).effect).toBe('allow');
    let rejected!: () => void;
    const settled = new Promise<void>((resolve) => {
      rejected = resolve;
    });
    const rejecting = shadow(stubEngine('cedar', 'allow'), stubEngine('opa', 'deny'), {
      onReport: async () => {
        throw new Error('queue full');
      },
      onError: (e) => {
        failures.push(e);
        rejected();
      },
    });
    expect((await rejecting.decide(authorizationRequest(), NO_ABORT)).effect).toBe('allow');
    await settled;
    expect(failures.map((f) => f.message)).toEqual([
      expect.stringContaining('metrics backend down'),
      expect.stringContaining('queue full'),
    ]);
    const loud = shadow(stubEngine('cedar', 'allow'), stubEngine('opa', 'deny'), {
      onReport: () => {
        throw new Error('x');
      },
      onError: () => {
        throw new Error('y');
      },
    });
    expect((await loud.decide(authorizationRequest(), NO_ABORT)).effect).toBe('allow');
  });

  it("stops with WRIT_ABORTED when the caller's signal fires", async () => {
    const controller = new AbortController();
    const pending = shadow(stubEngine('cedar', 'hang'), stubEngine('opa', 'hang'), {
      onReport: () => {},
    }).decide(authorizationRequest(), { signal: controller.signal });
    controller.abort();
    expect(WritError.isInstance(await pending.catch((e: unknown) => e), 'WRIT_ABORTED')).toBe(true);
  });

  it('validates its arguments and options', () => {
    const a = stubEngine('a', 'allow');
    expect(() => shadow(a, {} as never, { onReport: () => {} })).toThrow(
      /shadow: candidate must be a PolicyEngine/,
    );
    expect(() => shadow(a, a, {} as never)).toThrow(/shadow: options.onReport/);
    expect(() => shadow(a, a, { onReport: () => {}, candidateTimeoutMs: -1 })).toThrow(
      /options.candidateTimeoutMs/,
    );
    expect(shadow(a, a, { onReport: () => {} }).name).toBe('shadow(a,a)');
  });

  it('records the shadow evaluation through createWrit without changing what runs', async () => {
    const { reports, onReport } = collector();
    const audit = createInMemoryAuditSink();
    const current = createInMemoryPolicy({
      rules: [{ id: 'reads', effect: 'allow', risk: ['low'] }],
      name: 'current',
    });
    const next = createInMemoryPolicy({ rules: [], name: 'next' });
    const writ = createWrit({ policy: shadow(current, next, { onReport }), audit });
    let runs = 0;
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({}),
      risk: 'low',
      execute: async () => ++runs,
    });
    await writ.task({ agent: 'support' }, () => lookup.execute({}));
    expect(runs).toBe(1);
    expect(audit.ofKind('decision')[0]?.decision.reasons).toContain('shadow:next:deny:next-1');
    expect(reports[0]?.agreed).toBe(false);
  });
});

describe('shadowOnly (enforcement disabled)', () => {
  it('always allows, marking the decision and reporting what the engine said', async () => {
    const { reports, onReport } = collector();
    const engine = stubEngine('opa', 'deny');
    const policy = shadowOnly(engine, { onReport, generateId: () => 'allow-1' });
    const request = authorizationRequest();
    const decision = await policy.decide(request, NO_ABORT);
    expect(policy.name).toBe('opa:shadow-only');
    expect(decision).toEqual({
      effect: 'allow',
      policyIds: ['writ:shadow-only'],
      reasons: ['shadow-only:opa:deny:opa-1', 'enforcement disabled: shadow-only mode allows every call'],
      decisionId: 'allow-1',
      engine: 'opa:shadow-only',
      evaluatedContext: request,
    });
    expect(reports[0]).toMatchObject({ agreed: false, enforced: decision, candidate: { effect: 'deny' } });
  });

  it('allows even when the engine fails or hangs', async () => {
    const { reports, onReport } = collector();
    const failing = await shadowOnly(stubEngine('opa', 'throw'), { onReport }).decide(
      authorizationRequest(),
      NO_ABORT,
    );
    expect(failing.effect).toBe('allow');
    expect(failing.reasons[0]).toBe('shadow-only:opa:error');
    const hanging = await shadowOnly(stubEngine('opa', 'hang'), { onReport, timeoutMs: 20 }).decide(
      authorizationRequest(),
      NO_ABORT,
    );
    expect(hanging.effect).toBe('allow');
    expect(reports.map((r) => r.candidateError?.code)).toEqual([
      'WRIT_PDP_UNAVAILABLE',
      'WRIT_PDP_UNAVAILABLE',
    ]);
  });

  it('runs a tool the engine would deny through createWrit, and the record says so', async () => {
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      policy: shadowOnly(createInMemoryPolicy({ rules: [], name: 'draft' }), { onReport: () => {} }),
      audit,
    });
    let runs = 0;
    const erase = writ.tool({
      name: 'erase',
      input: z.object({}),
      risk: 'high',
      execute: async () => ++runs,
    });
    await writ.task({ agent: 'support' }, () => erase.execute({}));
    expect(runs).toBe(1);
    const decision = audit.ofKind('decision')[0]?.decision;
    expect(decision).toMatchObject({
      effect: 'allow',
      engine: 'draft:shadow-only',
      policyIds: ['writ:shadow-only'],
    });
    expect(decision?.reasons).toContain('shadow-only:draft:deny:draft-1');
  });
});
