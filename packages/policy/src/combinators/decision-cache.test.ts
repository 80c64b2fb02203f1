import { fc, test } from '@fast-check/vitest';
import { type AuthorizationRequest, createWrit, type Decision, WritError } from '@writ/core';
import { type CallOptions, digest, type PolicyEngine } from '@writ/core/plugin';
import { createInMemoryAuditSink } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authorizationRequest, NO_ABORT } from './__support__/requests.js';
import { decidingEngine, type StubBehaviour, stubEngine } from './__support__/stub-engines.js';
import {
  cacheDecisions,
  DECISION_CACHE_DEFAULTS,
  DECISION_CACHE_IGNORED_CONTEXT,
  decisionCacheKey,
} from './decision-cache.js';

function ids(prefix: string) {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

describe('cacheDecisions', () => {
  it('answers a repeated request from the cache: fresh id, cached:<original> reason, current request', async () => {
    const engine = stubEngine('cedar', 'allow', { deterministic: true });
    const cached = cacheDecisions(engine, { generateId: ids('hit'), clock: () => 0 });
    const first = authorizationRequest({ toolCallId: 'call-1', taskId: 'task-1', correlationId: 'c-1' });
    const second = authorizationRequest({ toolCallId: 'call-2', taskId: 'task-2', correlationId: 'c-2' });
    const miss = await cached.decide(first, NO_ABORT);
    expect(miss.decisionId).toBe('cedar-1');
    const hit = await cached.decide(second, NO_ABORT);
    expect(engine.calls).toHaveLength(1);
    expect(hit).toEqual({
      effect: 'allow',
      policyIds: ['cedar-policy'],
      reasons: ['cedar says allow', 'cached:cedar-1'],
      decisionId: 'hit-1',
      engine: 'cedar',
      evaluatedContext: second,
    });
    expect(cached.deterministic).toBe(true);
    expect(cached.name).toBe('cedar');
  });

  it('asks the engine again for a request differing in anything but the correlation ids', async () => {
    const engine = stubEngine('cedar', 'deny', { deterministic: true });
    const cached = cacheDecisions(engine, { clock: () => 0 });
    const variants: AuthorizationRequest[] = [
      authorizationRequest(),
      authorizationRequest({ argsDigest: 'sha256:01' }),
      authorizationRequest({ tool: 'refund_order' }),
      authorizationRequest({ risk: 'high' }),
      authorizationRequest({ inScope: false }),
      authorizationRequest({ agent: 'billing' }),
      authorizationRequest({ resourceId: '43' }),
      authorizationRequest({ environment: 'production' }),
    ];
    const base = authorizationRequest();
    variants.push(
      { ...base, context: { ...base.context, intent: 'something else' } },
      { ...base, context: { ...base.context, tenant: 'acme' } },
      { ...base, subject: { ...base.subject, properties: { ...base.subject.properties, requester: null } } },
      { ...base, resource: { ...base.resource, properties: { classification: 'secret' } } },
    );
    for (const request of variants) await cached.decide(request, NO_ABORT);
    expect(engine.calls).toHaveLength(variants.length);
    expect(new Set(variants.map((r) => decisionCacheKey(r))).size).toBe(variants.length);
    expect(DECISION_CACHE_IGNORED_CONTEXT).toEqual(['toolCallId', 'taskId', 'correlationId']);
  });

  it('never caches approval_required, decisions with errors, malformed decisions or failures', async () => {
    for (const behaviour of ['approval_required', 'errors', 'malformed', 'throw'] as const) {
      const engine = stubEngine('cedar', behaviour, { deterministic: true });
      const cached = cacheDecisions(engine, { clock: () => 0 });
      await cached.decide(authorizationRequest(), NO_ABORT).catch(() => undefined);
      await cached.decide(authorizationRequest(), NO_ABORT).catch(() => undefined);
      expect(engine.calls, behaviour).toHaveLength(2);
      expect(cached.size).toBe(0);
    }
  });

  it('checks answers as the pipeline does: errors make a deny (fail closed), malformed ones throw', async () => {
    const flaky = cacheDecisions(stubEngine('cedar', 'errors', { deterministic: true }), { clock: () => 0 });
    const decision = await flaky.decide(authorizationRequest(), NO_ABORT);
    expect(decision).toMatchObject({
      effect: 'deny',
      errors: ['cedar could not evaluate a condition'],
      reasons: ['the policy engine reported evaluation errors'],
    });
    const garbage = cacheDecisions(stubEngine('cedar', 'malformed', { deterministic: true }));
    const error = await garbage.decide(authorizationRequest(), NO_ABORT).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WRIT_PDP_UNAVAILABLE', details: { reason: 'malformed_decision' } });
  });

  it("fills in a missing decision id, engine and context of an engine's answer", async () => {
    const bare: PolicyEngine = {
      name: 'bare',
      deterministic: true,
      decide: async () => ({ effect: 'allow', policyIds: [], reasons: [] }) as unknown as Decision,
    };
    const request = authorizationRequest();
    const cached = cacheDecisions(bare, { generateId: ids('id'), clock: () => 0 });
    expect(await cached.decide(request, NO_ABORT)).toEqual({
      effect: 'allow',
      policyIds: [],
      reasons: [],
      decisionId: 'id-1',
      engine: 'bare',
      evaluatedContext: request,
    });
    expect((await cached.decide(request, NO_ABORT)).reasons).toEqual(['cached:id-1']);
  });

  it("passes the engine's failures through unchanged", async () => {
    const cached = cacheDecisions(stubEngine('cedar', 'throw', { deterministic: true }));
    await expect(cached.decide(authorizationRequest(), NO_ABORT)).rejects.toThrow('cedar is down');
  });

  it('expires entries after ttlMs', async () => {
    let now = 1_000;
    const engine = stubEngine('cedar', 'allow', { deterministic: true });
    const cached = cacheDecisions(engine, { ttlMs: 100, clock: () => now });
    await cached.decide(authorizationRequest(), NO_ABORT);
    now += 99;
    await cached.decide(authorizationRequest(), NO_ABORT);
    expect(engine.calls).toHaveLength(1);
    now += 1;
    await cached.decide(authorizationRequest(), NO_ABORT);
    expect(engine.calls).toHaveLength(2);
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    const engine = stubEngine('cedar', 'allow', { deterministic: true });
    const cached = cacheDecisions(engine, { maxEntries: 2, clock: () => 0 });
    const a = authorizationRequest({ resourceId: 'a' });
    const b = authorizationRequest({ resourceId: 'b' });
    const c = authorizationRequest({ resourceId: 'c' });
    await cached.decide(a, NO_ABORT);
    await cached.decide(b, NO_ABORT);
    await cached.decide(a, NO_ABORT); // a is now the most recently used
    await cached.decide(c, NO_ABORT); // evicts b
    expect(cached.size).toBe(2);
    const before = engine.calls.length;
    await cached.decide(a, NO_ABORT);
    expect(engine.calls.length).toBe(before);
    await cached.decide(b, NO_ABORT);
    expect(engine.calls.length).toBe(before + 1);
  });

  it('forgets everything on clear(), including an answer still in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: PolicyEngine & { calls: number } = {
      name: 'slow',
      deterministic: true,
      calls: 0,
      async decide(request: AuthorizationRequest, _options: CallOptions): Promise<Decision> {
        slow.calls++;
        await gate;
        return {
          effect: 'allow',
          policyIds: [],
          reasons: [],
          decisionId: `slow-${slow.calls}`,
          engine: 'slow',
          evaluatedContext: request,
        };
      },
    };
    const cached = cacheDecisions(slow, { clock: () => 0 });
    const pending = cached.decide(authorizationRequest(), NO_ABORT);
    cached.clear();
    release();
    await pending;
    expect(cached.size).toBe(0);
    await cached.decide(authorizationRequest(), NO_ABORT);
    await cached.decide(authorizationRequest(), NO_ABORT);
    expect(slow.calls).toBe(2);
  });

  it('hands out copies: changing a served decision does not change the cache', async () => {
    const engine = stubEngine('cedar', 'allow', {
      deterministic: true,
      obligations: [{ id: 'log', attributes: { level: 'info' } }],
    });
    const cached = cacheDecisions(engine, { clock: () => 0 });
    await cached.decide(authorizationRequest(), NO_ABORT);
    const hit = await cached.decide(authorizationRequest(), NO_ABORT);
    (hit.reasons as string[]).push('tampered');
    (hit.obligations?.[0]?.attributes as Record<string, unknown>).level = 'none';
    const again = await cached.decide(authorizationRequest(), NO_ABORT);
    expect(again.reasons).toEqual(['cedar says allow', 'cached:cedar-1']);
    expect(again.obligations).toEqual([{ id: 'log', attributes: { level: 'info' } }]);
  });

  it('does not cache a request without a JSON form', async () => {
    const engine = stubEngine('cedar', 'allow', { deterministic: true });
    const cached = cacheDecisions(engine);
    const base = authorizationRequest();
    const odd = { ...base, context: { ...base.context, big: 1n } };
    expect(decisionCacheKey(odd)).toBeUndefined();
    await cached.decide(odd, NO_ABORT);
    await cached.decide(odd, NO_ABORT);
    expect(engine.calls).toHaveLength(2);
  });

  it('refuses engines that do not declare deterministic: true, and bad options', () => {
    expect(() => cacheDecisions(stubEngine('opa', 'allow'))).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: expect.stringContaining('"opa" does not declare deterministic'),
      }),
    );
    const pure = stubEngine('cedar', 'allow', { deterministic: true });
    expect(() => cacheDecisions(pure, { ttlMs: 0 })).toThrow(/cacheDecisions: options.ttlMs/);
    expect(() => cacheDecisions(pure, { maxEntries: 1.5 })).toThrow(/options.maxEntries/);
    expect(() => cacheDecisions({} as never)).toThrow(/cacheDecisions: engine must be a PolicyEngine/);
    expect(DECISION_CACHE_DEFAULTS).toEqual({ ttlMs: 1_000, maxEntries: 10_000 });
  });

  it("refuses with WRIT_ABORTED when the caller's signal has fired", async () => {
    const cached = cacheDecisions(stubEngine('cedar', 'allow', { deterministic: true }));
    const error = await cached
      .decide(authorizationRequest(), { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_ABORTED')).toBe(true);
  });

  it('records the cached decision through createWrit, keyed on the arguments digest', async () => {
    const audit = createInMemoryAuditSink();
    const engine = stubEngine('cedar', 'allow', { deterministic: true });
    const writ = createWrit({ policy: cacheDecisions(engine), audit });
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ orderId: z.string() }),
      risk: 'low',
      execute: async () => 'ok',
    });
    await writ.task({ agent: 'support' }, async () => {
      await lookup.execute({ orderId: '1' });
      await lookup.execute({ orderId: '1' });
      await lookup.execute({ orderId: '2' });
    });
    expect(engine.calls).toHaveLength(2);
    const records = audit.ofKind('decision').map((e) => e.decision);
    expect(records[1]?.reasons).toContain(`cached:${records[0]?.decisionId}`);
    expect(records[1]?.decisionId).not.toBe(records[0]?.decisionId);
    expect(records[1]?.evaluatedContext?.context.toolCallId).not.toBe(
      records[0]?.evaluatedContext?.context.toolCallId,
    );
    expect(records[2]?.reasons.some((r) => r.startsWith('cached:'))).toBe(false);
  });
});

/** A deterministic engine whose answer depends on everything in the request but the correlation ids. */
function fingerprintEngine(): PolicyEngine & { calls: number } {
  const engine = {
    name: 'fingerprint',
    deterministic: true as const,
    calls: 0,
    async decide(request: AuthorizationRequest): Promise<Decision> {
      engine.calls++;
      const { toolCallId: _a, taskId: _b, correlationId: _c, ...rest } = request.context;
      const print = digest({ ...request, context: rest });
      const nibble = Number.parseInt(print.slice(-1), 16);
      return {
        effect: nibble % 3 === 0 ? 'approval_required' : nibble % 2 === 0 ? 'allow' : 'deny',
        policyIds: [`p-${print.slice(7, 15)}`],
        reasons: [print],
        decisionId: `fp-${engine.calls}`,
        engine: 'fingerprint',
        evaluatedContext: request,
      };
    },
  };
  return engine;
}

/** Shapes of requests; steps draw from a small pool of them so that some are repeated. */
const shapeArb = fc.record({
  tool: fc.constantFrom('lookup_order', 'refund_order'),
  risk: fc.constantFrom('low' as const, 'high' as const),
  inScope: fc.boolean(),
  agent: fc.constantFrom('support', 'billing'),
  argsDigest: fc.constantFrom('sha256:00', 'sha256:01'),
});
const stepArb = fc.record({
  pick: fc.nat(),
  wait: fc.nat({ max: 200 }),
  toolCallId: fc.string({ maxLength: 4 }),
  taskId: fc.string({ maxLength: 4 }),
  correlationId: fc.string({ maxLength: 4 }),
});

describe('cacheDecisions (property)', () => {
  test.prop(
    [
      fc.array(shapeArb, { minLength: 1, maxLength: 6 }),
      fc.array(stepArb, { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 8 }),
    ],
    { numRuns: 200 },
  )(
    'a cached answer equals what the engine would answer for that request',
    async (pool, steps, maxEntries) => {
      let now = 0;
      const reference = fingerprintEngine();
      const cached = cacheDecisions(fingerprintEngine(), { ttlMs: 300, maxEntries, clock: () => now });
      for (const { pick, wait, ...ids } of steps) {
        now += wait;
        const request = authorizationRequest({ ...(pool[pick % pool.length] ?? {}), ...ids });
        const got = await cached.decide(request, NO_ABORT);
        const expected = await reference.decide(request, NO_ABORT);
        expect(got.effect).toBe(expected.effect);
        expect(got.policyIds).toEqual(expected.policyIds);
        expect(got.reasons.filter((r) => !r.startsWith('cached:'))).toEqual(expected.reasons);
        expect(got.evaluatedContext).toBe(request);
        expect(got.effect === 'approval_required' && got.reasons.some((r) => r.startsWith('cached:'))).toBe(
          false,
        );
        expect(cached.size).toBeLessThanOrEqual(maxEntries);
      }
    },
  );

  test.prop([
    fc.array(fc.constantFrom<StubBehaviour>('allow', 'deny', 'approval_required', 'errors'), {
      minLength: 1,
      maxLength: 20,
    }),
  ])('only clean allow and deny answers are ever served from the cache', async (answers) => {
    let i = 0;
    const engine = decidingEngine('seq', () => answers[i++ % answers.length] as StubBehaviour, {
      deterministic: true,
    });
    const cached = cacheDecisions(engine, { clock: () => 0 });
    const served: Decision[] = [];
    for (let n = 0; n < answers.length; n++)
      served.push(await cached.decide(authorizationRequest(), NO_ABORT));
    const first = answers.findIndex((a) => a === 'allow' || a === 'deny');
    expect(engine.calls).toHaveLength(first === -1 ? answers.length : first + 1);
    for (const decision of served) {
      if (decision.reasons.some((r) => r.startsWith('cached:'))) {
        expect(['allow', 'deny']).toContain(decision.effect);
        expect(decision.errors).toBeUndefined();
      }
    }
  });
});
