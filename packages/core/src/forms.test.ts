import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALICE, setup } from './__support__/fixtures.js';
import { setupTracing, type Tracing } from './__support__/otel.js';
import {
  attributed,
  getToolContext,
  setGlobalWrit,
  type ToolContext,
  WritError,
  withAttribution,
} from './index.js';

let tracing: Tracing;
beforeEach(() => {
  tracing = setupTracing();
});
afterEach(async () => {
  setGlobalWrit(undefined);
  await tracing.shutdown();
});

const input = z.object({ orderId: z.string(), amount: z.number().positive() });
const options = {
  name: 'refund_order',
  input,
  risk: 'high' as const,
  audience: 'https://payments.example.com',
  resource: (args: { orderId: string }) => ({ type: 'Order', id: args.orderId }),
};

const VARYING = new Set(
  [
    'id',
    'time',
    'taskId',
    'correlationId',
    'traceId',
    'spanId',
    'decisionId',
    'jti',
    'durationMs',
    'expiresAt',
    'bindingHash',
  ].concat([
    'gen_ai.tool.call.id',
    'writ.call.id',
    'writ.task.id',
    'writ.correlation_id',
    'writ.policy.decision_id',
    'writ.credential.jti',
  ]),
);

// strips what legitimately differs between two runs (ids, times, trace ids, durations, tokens)
function shape(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v) =>
      VARYING.has(key)
        ? '*'
        : key === 'evaluatedContext'
          ? { ...v, context: { ...v.context, taskId: '*', correlationId: '*', toolCallId: '*' } }
          : v,
    ),
  );
}

async function run(form: 'tool' | 'hof' | 'decorator', args: unknown) {
  const t = setup({ approve: true, writ: { telemetry: { tracer: tracing.tracer } } });
  const seen: { args: unknown; jti: string | undefined }[] = [];
  const impl = async (a: z.infer<typeof input>, ctx: ToolContext) => {
    seen.push({ args: a, jti: ctx.credential?.jti });
    return { refunded: a.amount };
  };
  let call: (a: unknown) => Promise<unknown>;
  if (form === 'tool') {
    const tool = t.writ.tool({ ...options, execute: impl });
    call = (a) => tool.execute(a as never);
  } else if (form === 'hof') {
    call = withAttribution(impl, options) as (a: unknown) => Promise<unknown>;
  } else {
    class Payments {
      @attributed(options)
      async refund(a: z.infer<typeof input>): Promise<{ refunded: number }> {
        return impl(a, getToolContext());
      }
    }
    const payments = new Payments();
    call = (a) => payments.refund(a as never);
  }
  const outcome = await t.writ
    .task({ requester: ALICE, agent: 'support' }, () => call(args))
    .then(
      (value) => ({ value }),
      (error: unknown) => ({ error: WritError.isInstance(error) ? error.code : String(error) }),
    );
  const spans = tracing
    .toolSpans()
    .map((s) => ({ name: s.name, status: s.status.code, attributes: s.attributes }));
  tracing.exporter.reset();
  return { outcome, seen: shape(seen), events: shape(t.audit.events), spans: shape(spans) };
}

describe('writ.tool, withAttribution and @attributed', () => {
  for (const args of [{ orderId: '42', amount: 30 }, { orderId: '42', amount: -1 }, { nope: true }]) {
    it(`behave identically for ${JSON.stringify(args)}`, async () => {
      const viaTool = await run('tool', args);
      const viaHof = await run('hof', args);
      const viaDecorator = await run('decorator', args);
      expect(viaHof).toEqual(viaTool);
      expect(viaDecorator).toEqual(viaTool);
    });
  }

  it('the allowed run actually ran the tool with the validated args and an audience-bound credential', async () => {
    const result = await run('decorator', { orderId: '42', amount: 30 });
    expect(result.outcome).toEqual({ value: { refunded: 30 } });
    expect(result.seen).toEqual([{ args: { orderId: '42', amount: 30 }, jti: '*' }]);
  });

  it('free forms find their instance from the task, then the global one, else refuse with WRIT_NOT_CONFIGURED', async () => {
    const fn = withAttribution(async (a: { n: number }) => a.n * 2, { name: 'double', risk: 'low' });
    await expect(fn({ n: 2 })).rejects.toMatchObject({ code: 'WRIT_NOT_CONFIGURED' });
    const t = setup();
    setGlobalWrit(t.writ);
    await expect(fn({ n: 2 })).resolves.toBe(4);
    expect(t.audit.ofKind('decision')[0]?.autonomous).toBe(true);
  });

  it('@attributed rejects non-method targets and keeps `this`', async () => {
    const t = setup();
    setGlobalWrit(t.writ);
    class Counter {
      count = 0;
      @attributed({ risk: 'low' })
      async bump(by: number): Promise<number> {
        this.count += by;
        return this.count;
      }
    }
    const c = new Counter();
    await expect(c.bump(2)).resolves.toBe(2);
    expect(t.audit.ofKind('decision')[0]?.call.name).toBe('bump');
    const decorate = attributed() as unknown as (v: unknown, c: { kind: string; name: string }) => unknown;
    expect(() => decorate(() => {}, { kind: 'field', name: 'x' })).toThrow(TypeError);
  });
});
