import { createWrit } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CALL_ID_META_KEY } from './approval-suspend.js';
import { instrumentCallTool } from './client.js';

describe('instrumentClient: the caller names its call', () => {
  it('sends the id of the Writ tool call it is made from in _meta["io.writ/call-id"], and nothing outside one', async () => {
    const writ = createWrit({
      policy: createInMemoryPolicy({ fallback: 'allow' }),
      audit: createInMemoryAuditSink(),
    });
    const sent: Record<string, unknown>[] = [];
    const client = instrumentCallTool(
      {
        callTool: async (params: { name: string; _meta?: Record<string, unknown> }) =>
          sent.push(params._meta ?? {}),
      },
      { taskToken: false },
    );
    const ask = writ.tool({
      name: 'ask_orders',
      input: z.object({}),
      execute: async (_args, ctx) => {
        await client.callTool({ name: 'refund_order' });
        // a call id the caller set itself is kept
        await client.callTool({ name: 'refund_order', _meta: { [CALL_ID_META_KEY]: 'mine' } });
        return ctx.call.id;
      },
    });
    const callId = await writ.task({ agent: 'support-bot' }, () =>
      ask.execute({}, { toolCallId: 'call_7f3a' }),
    );
    await client.callTool({ name: 'refund_order' });
    expect(callId).toBe('call_7f3a');
    expect(sent.map((m) => m[CALL_ID_META_KEY])).toEqual(['call_7f3a', 'mine', undefined]);
  });
});
