import { OpenTelemetry } from '@ai-sdk/otel';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { generateText, isStepCount, type ModelMessage } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  answerApproval,
  HINTS,
  scriptedModel,
  supportTools,
  text,
  toolCalls,
  zeroConfigWrit,
} from './__support__/fixtures.js';
import { recordApprovalDenials, writToolApproval, writTools } from './index.js';

let tracing: TestTracing;
let env: Awaited<ReturnType<typeof zeroConfigWrit>>;
beforeEach(async () => {
  tracing = startTestTracing();
  env = await zeroConfigWrit();
});
afterEach(async () => {
  await env.close();
  await tracing.shutdown();
  await env.cleanup();
});

const spanOf = (id: string): ReadableSpan[] =>
  tracing.toolSpans().filter((s) => s.attributes['gen_ai.tool.call.id'] === id);

describe('with @ai-sdk/otel active', () => {
  it("enriches the AI SDK's own execute_tool span (exactly one per call) and links the records to it", async () => {
    const { tools: raw } = supportTools();
    const tools = writTools(raw, { writ: env.writ, tools: HINTS });
    const { model } = scriptedModel([
      toolCalls(
        ['call-1', 'lookup_order', { orderId: '42' }],
        ['call-2', 'delete_customer', { customerId: 'cus_7' }],
      ),
      toolCalls(['call-3', 'refund_order', { orderId: '42', amount: 250 }]),
      text('Refunded.'),
    ]);
    const settings = {
      model,
      tools,
      toolApproval: writToolApproval(),
      stopWhen: isStepCount(5),
      onStart: recordApprovalDenials,
      // the AI SDK's OpenTelemetry integration (registerTelemetry(new OpenTelemetry()) does the same globally)
      telemetry: { integrations: [new OpenTelemetry()] },
    };
    const user: ModelMessage[] = [{ role: 'user', content: 'Refund 250 on order 42 and close my account' }];

    await tracing.tracer.startActiveSpan('POST /chat', async (request) => {
      await env.writ.task(
        { requester: env.aliceToken, agent: 'support-bot', scope: ['orders:*'] },
        async () => {
          const first = await generateText({ ...settings, messages: user });
          await generateText({ ...settings, messages: answerApproval(user, first, true).messages });
        },
      );
      request.end();
    });

    expect(tracing.tree()).toBe(
      [
        'POST /chat',
        '  invoke_agent mock-model-id',
        '    step 1',
        '      chat mock-model-id',
        '      execute_tool lookup_order',
        '    step 2',
        '      chat mock-model-id',
        // denied in toolApproval: the AI SDK never executes it and opens no span; Writ's own records the refusal
        '  execute_tool delete_customer',
        '  invoke_agent mock-model-id',
        '    execute_tool refund_order',
        '    step 1',
        '      chat mock-model-id',
      ].join('\n'),
    );
    for (const id of ['call-1', 'call-2', 'call-3']) expect(spanOf(id)).toHaveLength(1);

    // the AI SDK's span (its own attributes) carries Writ's attributes too
    const lookup = spanOf('call-1')[0] as ReadableSpan;
    expect(tracing.parentOf(lookup)?.name).toBe('step 1');
    expect(lookup.attributes).toMatchObject({
      'gen_ai.tool.call.arguments': '{"orderId":"42"}', // set by @ai-sdk/otel
      'gen_ai.tool.call.result': '{"orderId":"42","status":"delivered","total":480}', // set by @ai-sdk/otel
      'writ.policy.effect': 'allow',
      'writ.policy.ids': ['default.cedar#in-scope-writes', 'default.cedar#read-only-tools'],
      'writ.agent.id': 'spiffe://writ.local/agent/support-bot',
      'enduser.id': 'alice@example.com',
    });
    expect(lookup.attributes['gen_ai.execute_tool.duration']).toEqual(expect.any(Number));
    const refund = spanOf('call-3')[0] as ReadableSpan;
    expect(tracing.parentOf(refund)?.name).toBe('invoke_agent mock-model-id');
    expect(refund.attributes).toMatchObject({
      'writ.policy.effect': 'approval_required',
      'writ.approval.approver': 'alice@example.com',
      'gen_ai.tool.call.result': '{"orderId":"42","refunded":250}',
    });
    expect(spanOf('call-2')[0]?.attributes).toMatchObject({ 'writ.policy.effect': 'deny' });

    // decision records name the span they were made in: the AI SDK's, for the calls it ran
    const decisions = (await env.records()).filter((r) => r.kind === 'decision');
    const recordOf = (id: string) => decisions.find((d) => d.call.id === id) as AuditRecord;
    for (const id of ['call-1', 'call-3']) {
      const span = spanOf(id)[0] as ReadableSpan;
      expect(recordOf(id)).toMatchObject({
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
      });
    }
    await env.close();
    expect(await env.verify()).toMatchObject({ ok: true });
  });
});
