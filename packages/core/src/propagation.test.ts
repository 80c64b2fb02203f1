import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALICE, setup } from './__support__/fixtures.js';
import { setupTracing, type Tracing } from './__support__/otel.js';
import {
  CORRELATION_BAGGAGE_KEY,
  correlationIdFromContext,
  extractTaskToken,
  hopCredential,
  runInContext,
  TASK_TOKEN_META_KEY,
} from './adapter-kit.js';
import { extractContext, getAttribution, injectContext } from './index.js';

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

for (const propagators of [false, true]) {
  describe(`context propagation (${propagators ? 'global OTel W3C propagators' : 'Writ built-in W3C, no global propagator'})`, () => {
    it('round-trips trace context and the correlation id through HTTP headers', async () => {
      tracing = setupTracing({ propagators });
      const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
      const headers: Record<string, string> = {};
      const sent = await t.writ.task({ requester: ALICE, agent: 'support' }, async () => {
        const probe = t.writ.tool({
          name: 'call_downstream',
          input: z.object({}),
          risk: 'low',
          execute: async () => {
            injectContext(headers);
            return trace.getActiveSpan()?.spanContext();
          },
        });
        const spanContext = await probe.execute({});
        return { spanContext, correlationId: getAttribution().correlationId };
      });
      expect(headers.traceparent).toBe(`00-${sent.spanContext?.traceId}-${sent.spanContext?.spanId}-01`);
      expect(headers.baggage).toContain(`${CORRELATION_BAGGAGE_KEY}=${sent.correlationId}`);
      expect(headers['txn-token']).toBeUndefined();

      // the receiving side: a new task continues the same correlation id and trace
      const received = extractContext(headers, { context: context.active() });
      expect(correlationIdFromContext(received)).toBe(sent.correlationId);
      expect(trace.getSpanContext(received)).toMatchObject({
        traceId: sent.spanContext?.traceId,
        spanId: sent.spanContext?.spanId,
        isRemote: true,
      });
      const downstream = await runInContext(received, () =>
        t.writ.task({ requester: ALICE, agent: 'billing' }, () => getAttribution().correlationId),
      );
      expect(downstream).toBe(sent.correlationId);
    });

    it('carries a hop credential only when given, under the MCP _meta vendor key; never the task token', async () => {
      tracing = setupTracing({ propagators });
      const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
      const meta: Record<string, unknown> = {};
      const plain: Record<string, unknown> = {};
      const { hop, taskToken } = await t.writ.task({ requester: ALICE, agent: 'support' }, async (task) => {
        injectContext(plain, { format: 'mcp' });
        const credential = await hopCredential('https://orders.example.com/mcp');
        injectContext(meta, { format: 'mcp', credential });
        // the task token itself is refused: it never leaves the process that minted it
        expect(() => injectContext({}, { credential: task.credential })).toThrow(/never leaves this process/);
        return { hop: credential?.token, taskToken: task.credential?.token };
      });
      expect(hop).toMatch(/^writ_test_/);
      expect(hop).not.toBe(taskToken);
      expect(plain).not.toHaveProperty(TASK_TOKEN_META_KEY);
      expect(meta[TASK_TOKEN_META_KEY]).toBe(hop);
      expect(meta.baggage).toContain(CORRELATION_BAGGAGE_KEY);
      expect(extractTaskToken(meta, { format: 'mcp' })).toBe(hop);
      expect(extractTaskToken({ 'Txn-Token': 'abc' })).toBe('abc');
    });
  });
}

describe('extractContext on hostile input', () => {
  it('ignores malformed traceparent and baggage values instead of throwing', () => {
    const cases: Record<string, unknown>[] = [
      { traceparent: '00-00000000000000000000000000000000-0000000000000000-01' },
      { traceparent: 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra' },
      { traceparent: 'garbage', baggage: '%%%=%%%,=novalue,key' },
      { baggage: 'a=b'.repeat(5000) },
      { traceparent: 42, baggage: { nested: true } },
    ];
    for (const carrier of cases) {
      const ctx = extractContext(carrier, { context: context.active() });
      expect(trace.getSpanContext(ctx)).toBeUndefined();
    }
    const ok = extractContext({
      Traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      baggage: 'writ.correlation_id=c%201,x=%E0%A4%A',
    });
    expect(trace.getSpanContext(ok)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(correlationIdFromContext(ok)).toBe('c 1');
    expect(propagation.getBaggage(ok)?.getEntry('x')).toBeUndefined();
  });

  it('works with a Fetch Headers carrier', () => {
    const headers = new Headers({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
    const ctx = extractContext(headers);
    const out = new Headers();
    injectContext(out, { context: ctx });
    expect(out.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
  });
});
