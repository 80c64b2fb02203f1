// Issue 23 item 3: Cedar in worker threads decides exactly as Cedar in the calling thread: same effect,
// policy ids, reasons, errors, obligations, policy-set digest and evaluated context, on a corpus that
// reaches every effect and an evaluation error.
import type { AuthorizationRequest } from '@writ/core';
import { digest } from '@writ/core/plugin';
import { autoCedarWorkers, createCedarEngine } from '@writ/policy';
import { describe, expect, it } from 'vitest';

const signal = new AbortController().signal;

function request(
  tool: string,
  risk: 'low' | 'medium' | 'high',
  readOnly: boolean,
  inScope: boolean,
  chainDepth: number,
): AuthorizationRequest {
  const agent = {
    kind: 'agent' as const,
    id: 'spiffe://writ.test/agent/support',
    name: 'support',
    assurance: 'verified' as const,
  };
  return {
    subject: {
      type: 'Agent',
      id: agent.id,
      properties: {
        name: 'support',
        assurance: 'verified',
        requester: { kind: 'human', id: 'alice', assurance: 'verified' },
        chain: [agent],
        chainDepth,
        autonomous: false,
      },
    },
    action: {
      name: tool,
      properties: {
        risk,
        toolType: 'function',
        permission: tool,
        readOnly,
        destructive: !readOnly,
        idempotent: false,
        openWorld: true,
      },
    },
    resource: { type: 'Order', id: '42' },
    context: {
      taskId: 't',
      correlationId: 'c',
      scope: ['*'],
      inScope,
      risk,
      environment: 'test',
      chainDepth,
      autonomous: false,
      argsDigest: 'sha256:00',
    },
  };
}

function corpus(): AuthorizationRequest[] {
  const out: AuthorizationRequest[] = [];
  for (const tool of ['lookup_order', 'refund_order', 'delete_customer'])
    for (const risk of ['low', 'medium', 'high'] as const)
      for (const readOnly of [true, false])
        for (const inScope of [true, false])
          for (const chainDepth of [1, 3]) out.push(request(tool, risk, readOnly, inScope, chainDepth));
  // a request Cedar refuses (a context attribute of the wrong type under the schema): a deny with errors
  const bad = request('lookup_order', 'low', true, true, 1);
  out.push({ ...bad, context: { ...bad.context, chainDepth: 'deep' as unknown as number } });
  return out;
}

/** A decision without its per-call id, and its evaluated context as a digest. */
const comparable = ({ decisionId: _, evaluatedContext, ...rest }: Record<string, unknown>) => ({
  ...rest,
  evaluatedContextDigest: digest(evaluatedContext),
});

describe('Cedar worker pool', () => {
  it('decides every request of a corpus exactly as in-thread Cedar, with calls in flight at once', async () => {
    const inThread = await createCedarEngine();
    const pooled = await createCedarEngine({ workers: 2 });
    try {
      const requests = corpus();
      const expected = await Promise.all(requests.map((r) => inThread.decide(r, { signal })));
      const actual = await Promise.all(requests.map((r) => pooled.decide(r, { signal })));
      expect(actual.map((d) => comparable(d as never))).toEqual(expected.map((d) => comparable(d as never)));
      // the corpus reaches every effect, and the evaluation error
      expect(new Set(expected.map((d) => d.effect))).toEqual(new Set(['allow', 'deny', 'approval_required']));
      expect(expected.at(-1)?.errors?.length).toBeGreaterThan(0);
      console.log(
        `pool: ${requests.length} requests decided alike (${[...new Set(expected.map((d) => d.effect))].join(', ')})`,
      );
    } finally {
      inThread.close();
      pooled.close();
    }
  });

  it('decides alike on context values JSON reads its own way (toJSON, undefined) or cannot carry (BigInt)', async () => {
    // the pool sends each call as the JSON text cedar-wasm would make of it in this thread
    const extendContext = (r: AuthorizationRequest): Record<string, unknown> =>
      r.context.taskId === 'odd-json'
        ? { when: new Date(0), gone: undefined }
        : r.context.taskId === 'odd-bigint'
          ? { big: 10n }
          : {};
    const inThread = await createCedarEngine({ extendContext: extendContext as never });
    const pooled = await createCedarEngine({ extendContext: extendContext as never, workers: 1 });
    try {
      const base = request('lookup_order', 'low', true, true, 1);
      const requests = ['odd-json', 'odd-bigint', 't'].map((taskId) => ({
        ...base,
        context: { ...base.context, taskId },
      }));
      for (const r of requests) {
        const expected = comparable((await inThread.decide(r, { signal })) as never);
        expect(comparable((await pooled.decide(r, { signal })) as never)).toEqual(expected);
      }
      const effects = await Promise.all(requests.map((r) => pooled.decide(r, { signal })));
      // the unknown context attributes fail the schema, the BigInt fails to serialise: both deny
      expect(effects.map((d) => d.effect)).toEqual(['deny', 'deny', 'allow']);
    } finally {
      inThread.close();
      pooled.close();
    }
  });

  it("decides with a set without a schema, carrying the set's digest", async () => {
    const sources = { 'p.cedar': '@id("all") permit(principal, action, resource);' };
    const engine = await createCedarEngine({ sources, schema: false, workers: 1 });
    try {
      const r = request('lookup_order', 'low', true, true, 1);
      const before = await engine.decide(r, { signal });
      expect(before).toMatchObject({ effect: 'allow', policySetDigest: engine.policySetDigest });
      expect(autoCedarWorkers()).toBeGreaterThanOrEqual(0);
    } finally {
      engine.close();
    }
  });

  it('fails closed when the pool is closed: a deny with the error, never an allow', async () => {
    const engine = await createCedarEngine({ workers: 1 });
    engine.close();
    const decision = await engine.decide(request('lookup_order', 'low', true, true, 1), { signal });
    expect(decision).toMatchObject({
      effect: 'deny',
      reasons: ['the policy evaluation failed; failing closed'],
    });
    expect(decision.errors?.[0]).toMatch(/closed/);
  });
});
