import { digest } from '@writ/core/plugin';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { isStepCount, streamText, tool } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DENIED_DELETE,
  HINTS,
  scriptedModel,
  supportTools,
  text,
  toolCalls,
  toolResultsIn,
  zeroConfigWrit,
} from './__support__/fixtures.js';
import { writToolApproval, writTools } from './index.js';

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

describe('streamText', () => {
  it('streams a generator tool’s preliminary results live, records the outcome when it finishes, and refuses as in generateText', async () => {
    const { tools: support } = supportTools();
    let finished = false;
    // the generator yields its second value only after the consumer saw the first: proof it is forwarded live
    let sawFirst: () => void = () => {};
    const firstSeen = new Promise<void>((resolve) => {
      sawFirst = resolve;
    });
    const tools = writTools(
      {
        delete_customer: support.delete_customer,
        track_shipment: tool({
          inputSchema: z.object({ orderId: z.string() }),
          async *execute({ orderId }) {
            yield { orderId, status: 'in transit' };
            await firstSeen;
            yield { orderId, status: 'delivered' };
            finished = true;
          },
        }),
      },
      {
        writ: env.writ,
        tools: {
          delete_customer: HINTS.delete_customer,
          track_shipment: { permission: 'orders:read', annotations: { readOnly: true } },
        },
      },
    );
    const { model, prompts } = scriptedModel([
      toolCalls(
        ['call-1', 'track_shipment', { orderId: '42' }],
        ['call-2', 'delete_customer', { customerId: 'cus_7' }],
      ),
      text('Delivered.'),
    ]);

    const parts = await env.writ.task(
      { requester: env.aliceToken, agent: 'support-bot', scope: ['orders:*'] },
      async () => {
        const result = streamText({
          model,
          tools,
          toolApproval: writToolApproval(),
          prompt: 'Where is order 42? Also delete me.',
          stopWhen: isStepCount(3),
        });
        const parts: Array<{ type: string; toolCallId?: string; output?: unknown; preliminary?: boolean }> =
          [];
        for await (const part of result.fullStream) {
          parts.push(part as (typeof parts)[number]);
          if (part.type === 'tool-result' && part.preliminary === true) sawFirst();
        }
        return parts;
      },
    );

    expect(finished).toBe(true);
    expect(
      parts
        .filter((p) => p.type === 'tool-result' && p.toolCallId === 'call-1')
        .map((p) => [p.preliminary === true, p.output]),
    ).toEqual([
      [true, { orderId: '42', status: 'in transit' }],
      [true, { orderId: '42', status: 'delivered' }],
      [false, { orderId: '42', status: 'delivered' }],
    ]);
    expect(toolResultsIn(prompts[1])).toEqual({
      'call-1': { type: 'json', value: { orderId: '42', status: 'delivered' } },
      'call-2': { type: 'execution-denied', reason: DENIED_DELETE },
    });

    const outcomes = (await env.records()).filter((r) => r.kind === 'outcome');
    expect(outcomes.map((o) => [o.call.id, o.outcome.status])).toEqual([
      ['call-2', 'refused'],
      ['call-1', 'ok'],
    ]);
    // the outcome is the tool's final value, recorded once the generator was done
    expect(outcomes[1]?.outcome.resultDigest).toBe(digest({ orderId: '42', status: 'delivered' }));
    expect(
      tracing
        .toolSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['execute_tool delete_customer', 'execute_tool track_shipment']);
  });
});
