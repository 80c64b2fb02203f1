import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALICE, setup } from './__support__/fixtures.js';
import { setupTracing, type Tracing } from './__support__/otel.js';
import { ATTR } from './adapter-kit.js';
import { createWrit } from './index.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from './testing/index.js';

let tracing: Tracing;
beforeEach(() => {
  tracing = setupTracing();
});
afterEach(async () => {
  await tracing.shutdown();
});

describe('execute_tool spans', () => {
  it('carry the GenAI semconv and writ.* attributes of an allowed call', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
    const { taskId, correlationId } = await t.writ.task(
      { requester: ALICE, agent: 'support', conversationId: 'conv-1' },
      async (task) => {
        await t.lookup.execute({ orderId: '42' }, { toolCallId: 'call_1' });
        return task.attribution;
      },
    );
    const [span] = tracing.toolSpans();
    expect(span?.name).toBe('execute_tool lookup_order');
    expect(span?.kind).toBe(SpanKind.INTERNAL);
    // success leaves the status unset (OpenTelemetry Recording Errors: instrumentations do not set OK)
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    const decision = t.audit.ofKind('decision')[0];
    expect(span?.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call_1',
      'writ.call.id': 'call_1',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.description': 'Look up an order',
      'gen_ai.agent.name': 'support',
      'gen_ai.conversation.id': 'conv-1',
      'enduser.id': 'alice@example.com',
      'writ.task.id': taskId,
      'writ.correlation_id': correlationId,
      'writ.agent.id': 'spiffe://writ.test/agent/support',
      'writ.chain': ['alice@example.com', 'spiffe://writ.test/agent/support'],
      'writ.autonomous': false,
      'writ.scope.in_scope': true,
      'writ.policy.effect': 'allow',
      'writ.policy.decision_id': decision?.decision.decisionId,
      'writ.policy.ids': ['reads'],
      'writ.policy.engine': 'in-memory',
      'writ.credential.jti': decision?.credential?.jti,
      'writ.audit.index': 1,
    });
    // the audit record points back at the span
    expect(decision?.traceId).toBe(span?.spanContext().traceId);
    expect(decision?.spanId).toBe(span?.spanContext().spanId);
  });

  it('mark a refused call as an error with error.type = the WritError code', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
    await t.writ
      .task({ requester: ALICE, agent: 'support' }, () => t.deleteCustomer.execute({ customerId: 'c' }))
      .catch(() => {});
    const [span] = tracing.toolSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes[ATTR.ERROR_TYPE]).toBe('WRIT_POLICY_DENIED');
    expect(span?.attributes[ATTR.WRIT_POLICY_EFFECT]).toBe('deny');
  });

  it('leave arguments and results off spans and records unless opted in', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer, recordEndUser: false } } });
    const notify = t.writ.tool({
      name: 'notify',
      input: z.object({ to: z.string(), body: z.string() }),
      risk: 'low',
      execute: async ({ body }) => ({ echoed: body }),
    });
    const result = await t.writ.task({ requester: ALICE, agent: 'support' }, () =>
      notify.execute({ to: 'carol@example.com', body: 'your one-time code is 981-114' }),
    );
    expect(result.echoed).toContain('981-114');
    const [span] = tracing.toolSpans();
    const emitted = JSON.stringify(span?.attributes) + t.audit.lines.join('\n');
    expect(emitted).not.toContain('981-114');
    expect(emitted).not.toContain('carol@example.com');
    expect(span?.attributes[ATTR.ENDUSER_ID]).toBeUndefined();
  });

  it('record redacted arguments and results when opted in', async () => {
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit,
      redact: ['card.number', '*.cvc'],
      capture: { args: true, results: true },
      telemetry: { tracer: tracing.tracer, recordInputs: true, recordOutputs: true },
    });
    const pay = writ.tool({
      name: 'pay',
      input: z.object({ card: z.object({ number: z.string(), cvc: z.string() }), amount: z.number() }),
      execute: async (args) => ({ ok: true, amount: args.amount }),
    });
    await writ.task({ agent: 'a' }, () =>
      pay.execute({ card: { number: '4111111111111111', cvc: '123' }, amount: 5 }),
    );
    const [span] = tracing.toolSpans();
    expect(JSON.parse(String(span?.attributes[ATTR.GEN_AI_TOOL_CALL_ARGUMENTS]))).toEqual({
      amount: 5,
      card: { cvc: '[REDACTED]', number: '[REDACTED]' },
    });
    expect(span?.attributes[ATTR.GEN_AI_TOOL_CALL_RESULT]).toBe('{"amount":5,"ok":true}');
    expect(audit.ofKind('decision')[0]?.call.args).toEqual({
      amount: 5,
      card: { cvc: '[REDACTED]', number: '[REDACTED]' },
    });
    expect(audit.ofKind('outcome')[0]?.outcome.result).toEqual({ amount: 5, ok: true });
    expect(audit.lines.join('')).not.toContain('4111111111111111');
  });

  it('enrich an active framework execute_tool span for the same call instead of nesting a duplicate', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
    const framework = tracing.provider.getTracer('some-agent-framework');
    await t.writ.task({ requester: ALICE, agent: 'support' }, () =>
      framework.startActiveSpan(
        'execute_tool lookup_order',
        {
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'lookup_order',
            'gen_ai.tool.call.id': 'fw_1',
          },
        },
        async (span) => {
          await t.lookup.execute({ orderId: '1' });
          span.end();
        },
      ),
    );
    const spans = tracing.toolSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.instrumentationScope.name).toBe('some-agent-framework');
    expect(spans[0]?.attributes[ATTR.WRIT_POLICY_EFFECT]).toBe('allow');
    // the framework's call id is adopted for the records
    expect(t.audit.ofKind('decision')[0]?.call.id).toBe('fw_1');
  });

  it('nest under a framework span that belongs to a different call', async () => {
    const t = setup({ writ: { telemetry: { tracer: tracing.tracer } } });
    const framework = tracing.provider.getTracer('fw');
    await t.writ.task({ requester: ALICE, agent: 'support' }, () =>
      framework.startActiveSpan(
        'execute_tool lookup_order',
        { attributes: { 'gen_ai.tool.call.id': 'fw_other' } },
        async (span) => {
          await t.lookup.execute({ orderId: '1' }, { toolCallId: 'mine' });
          span.end();
        },
      ),
    );
    const spans = tracing.toolSpans();
    expect(spans).toHaveLength(2);
    const mine = spans.find((s) => s.instrumentationScope.name === 'writ-test');
    const parent = spans.find((s) => s.instrumentationScope.name === 'fw');
    expect(mine?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
  });

  it('make spans the tool starts children of execute_tool', async () => {
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit,
      telemetry: { tracer: tracing.tracer },
    });
    const tool = writ.tool({
      name: 'outer',
      input: z.object({}),
      execute: async () => tracing.tracer.startActiveSpan('db.query', (s) => s.end()),
    });
    await writ.task({ agent: 'a' }, () => tool.execute({}));
    const toolSpan = tracing.toolSpans()[0];
    const child = tracing.spans().find((s) => s.name === 'db.query');
    expect(child?.parentSpanContext?.spanId).toBe(toolSpan?.spanContext().spanId);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
