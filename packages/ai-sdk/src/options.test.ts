import { tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { createWrit, WritError } from 'writ';
import { z } from 'zod';
import { HINTS, supportTools, zeroConfigWrit } from './__support__/fixtures.js';
import { writToolApproval, writTools } from './index.js';

const writ = createWrit({ dir: '/nonexistent/never-started' }); // options are checked before anything starts

const invalid = (fn: () => unknown, ...fragments: string[]) => {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')).toBe(true);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
};

describe('writTools options and ToolSet handling', () => {
  it('names the bad option', () => {
    const { tools } = supportTools();
    invalid(() => writTools(tools, { writ, colour: 'blue' } as never), 'writTools', '"colour"');
    invalid(
      () => writTools(tools, { writ, approver: { id: 'maria' } } as never),
      'writTools',
      'options.approver',
    );
    invalid(() => writTools(tools, { writ, frameworkIds: { chatId: 'c' } } as never), 'options.frameworkIds');
    invalid(
      () => writTools(tools, { writ, tools: { lookup_order: 'low' } } as never),
      'options.tools.lookup_order',
    );
    invalid(
      () => writTools(tools, { writ, tools: { lookup_order: { risk: 'extreme' } } } as never),
      'lookup_order',
      'risk',
    );
    invalid(() => writTools(null as never), 'tools must be an AI SDK ToolSet');
  });

  it('refuses hints for a tool the ToolSet does not have, naming the closest one', () => {
    const { tools } = supportTools();
    invalid(
      () => writTools(tools, { writ, tools: { refund_ordr: { risk: 'high' } } as never }),
      'writTools: options.tools.refund_ordr: no tool is named "refund_ordr" (did you mean "refund_order"?)',
    );
    // a tool without execute passed through is still a tool of the set: hints may name it
    const ask_user = tool({ inputSchema: z.object({ question: z.string() }) });
    expect(() => writTools({ ...tools, ask_user }, { writ, tools: { ask_user: {} } })).not.toThrow();
  });

  it('returns a new ToolSet, leaves the caller’s untouched, and passes tools without execute through', () => {
    const { tools } = supportTools();
    const clientSide = tool({ inputSchema: z.object({ question: z.string() }) }); // answered by the UI
    const input = { ...tools, ask_user: clientSide };
    const originalExecute = input.lookup_order.execute;
    const wrapped = writTools(input, { writ });
    expect(wrapped).not.toBe(input);
    expect(input.lookup_order.execute).toBe(originalExecute);
    expect(wrapped.lookup_order.execute).not.toBe(originalExecute);
    expect(wrapped.lookup_order.inputSchema).toBe(input.lookup_order.inputSchema);
    expect(wrapped.lookup_order.description).toBe('Read an order');
    expect(wrapped.ask_user).toBe(clientSide);
  });

  it('refuses to wrap a tool twice (its calls would be decided twice), also when copied with a spread', () => {
    const once = writTools(supportTools().tools, { writ });
    invalid(() => writTools(once, { writ }), 'lookup_order', 'already wrapped');
    invalid(() => writTools({ lookup: { ...once.lookup_order } }, { writ }), 'already wrapped');
  });

  it('runs through Writ when execute is called by hand, outside the AI SDK loop', async () => {
    const env = await zeroConfigWrit();
    try {
      const tools = writTools(supportTools().tools, { writ: env.writ, tools: HINTS });
      const order = await env.writ.task({ requester: env.aliceToken, agent: 'support-bot' }, () =>
        tools.lookup_order.execute({ orderId: '42' }, { toolCallId: 'by-hand-1', messages: [], context: {} }),
      );
      expect(order).toEqual({ orderId: '42', status: 'delivered', total: 480 });
      await env.close();
      const decisions = (await env.records()).filter((r) => r.kind === 'decision');
      expect(decisions).toEqual([
        expect.objectContaining({
          call: expect.objectContaining({ name: 'lookup_order', framework: { name: 'ai-sdk' } }),
        }),
      ]);
    } finally {
      await env.close();
      await env.cleanup();
    }
  });

  it('refuses tool names Writ cannot record', () => {
    const { tools } = supportTools();
    invalid(() => writTools({ 'look up': tools.lookup_order }, { writ }), 'look up', 'must match');
  });
});

describe('writToolApproval options', () => {
  it('names the bad option', () => {
    invalid(() => writToolApproval({ toolAproval: {} } as never), 'writToolApproval', '"toolAproval"');
    invalid(() => writToolApproval({ toolApproval: 'user-approval' } as never), 'options.toolApproval');
  });
});
