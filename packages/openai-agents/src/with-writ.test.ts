import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Agent,
  type CallToolResultContent,
  type MCPServer,
  type ModelRequest,
  RunState,
  run,
  type Span,
  type SpanData,
  setTraceProcessors,
  setTracingDisabled,
  type Trace,
  type TracingProcessor,
  tool,
} from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { verifyLog } from '@writ/audit';
import type { Principal, ToolContext } from '@writ/core';
import { tryGetToolContext } from '@writ/core';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import {
  approvalsOf,
  DENIED_DELETE,
  decisionsOf,
  expectSupportDeskEvidence,
  outcomesOf,
  readRecords,
  SUPPORT_DESK_HINTS,
} from '../../../test/adapters/support-desk-e2e.js';
import {
  approveCall,
  rejectCall,
  withWrit,
  writMcpToolMeta,
  writToolErrorFormatter,
  writTools,
} from './index.js';

/** Collects the Agents SDK's own traces and spans in memory (instead of exporting them to OpenAI). */
class SdkTraces implements TracingProcessor {
  readonly traces: Trace[] = [];
  readonly spans: Span<SpanData>[] = [];
  async onTraceStart(trace: Trace) {
    this.traces.push(trace);
  }
  async onTraceEnd() {}
  async onSpanStart() {}
  async onSpanEnd(span: Span<SpanData>) {
    this.spans.push(span);
  }
  async shutdown() {}
  async forceFlush() {}
  functionSpan(name: string) {
    return this.spans.find((s) => s.spanData.type === 'function' && s.spanData.name === name);
  }
}

const maria: Principal = { kind: 'human', id: 'maria@example.com', name: 'Maria', assurance: 'asserted' };
const hints = SUPPORT_DESK_HINTS;

/** The text the model received as the output of `callId` in a request. */
function toolOutputSeen(request: Readonly<ModelRequest>, callId: string): string | undefined {
  const items = typeof request.input === 'string' ? [] : request.input;
  for (const item of items) {
    if (item.type === 'function_call_result' && item.callId === callId) {
      const output = item.output;
      if (typeof output === 'string') return output;
      if (!Array.isArray(output) && output.type === 'text') return output.text;
    }
  }
  return undefined;
}

const sdk = new SdkTraces();
beforeAll(() => {
  // the SDK disables its tracing under NODE_ENV=test; turn it on, kept in memory
  setTracingDisabled(false);
  setTraceProcessors([sdk]);
});
afterAll(() => {
  setTraceProcessors([]);
  setTracingDisabled(true);
});

let dir: string;
let writ: WritRuntime;
let tracing: TestTracing;
let alice: string | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-openai-agents-'));
  tracing = startTestTracing();
  writ = createWrit({ dir, service: 'support-desk' });
  alice = await (await writ.ready()).localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
});
afterEach(async () => {
  await tracing.shutdown();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `fn` in an active `invoke_agent` span, as an instrumented agent host would. */
const inAgentSpan = <T>(fn: () => Promise<T>) =>
  tracing.tracer.startActiveSpan('invoke_agent support-bot', async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });

function supportTools(executed: string[], seen: ToolContext[] = []) {
  const lookupOrder = tool({
    name: 'lookup_order',
    description: 'Read an order',
    parameters: z.object({ orderId: z.string() }),
    execute: async ({ orderId }) => {
      executed.push(`lookup_order ${orderId}`);
      return { orderId, status: 'delivered, damaged', total: 480 };
    },
  });
  const refundOrder = tool({
    name: 'refund_order',
    description: 'Refund part of an order',
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    execute: async ({ orderId, amount }) => {
      executed.push(`refund_order ${orderId} ${amount}`);
      const ctx = tryGetToolContext();
      if (ctx !== undefined) seen.push(ctx);
      return `refunded ${amount} on order ${orderId}`;
    },
  });
  const deleteCustomer = tool({
    name: 'delete_customer',
    description: 'Delete a customer account',
    parameters: z.object({ customerId: z.string() }),
    execute: async ({ customerId }) => {
      executed.push(`delete_customer ${customerId}`);
      return 'deleted';
    },
  });
  return [lookupOrder, refundOrder, deleteCustomer];
}

describe('withWrit on the real Agents SDK run loop (ScriptedModel, no network)', () => {
  it('allows, denies (the model reads the refusal and the run goes on), and interrupts for approval; the approved call runs after a serialised resume', async () => {
    const executed: string[] = [];
    const seen: ToolContext[] = [];
    const tracesBefore = sdk.traces.length;
    const model = new ScriptedModel([
      [functionCall('lookup_order', { orderId: '42' }, { callId: 'call_lookup_1' })],
      [functionCall('delete_customer', { customerId: 'cus_7' }, { callId: 'call_delete_1' })],
      [functionCall('refund_order', { orderId: '42', amount: 250 }, { callId: 'call_refund_1' })],
      [assistantMessage('Refunded 250 on order 42.')],
    ]);
    const agent = withWrit(
      new Agent({ name: 'support-bot', instructions: 'Help.', model, tools: supportTools(executed, seen) }),
      { writ, tools: hints },
    );

    // request 1: the run stops; the state and the task id are stored beside each other
    const ticket = { requester: alice, agent: 'support-bot', scope: ['orders:*'] };
    const { saved, taskId } = await writ.task(ticket, async (task) => {
      const first = await inAgentSpan(() => run(agent, 'The item in order 42 arrived damaged.'));
      // the run stopped at the SDK's own interruption for the high-risk refund
      expect(first.interruptions.map((i) => [i.name, i.arguments])).toEqual([
        ['refund_order', JSON.stringify({ orderId: '42', amount: 250 })],
      ]);
      expect(executed).toEqual(['lookup_order 42']);
      return { saved: first.state.toString(), taskId: task.attribution.taskId };
    });

    // request 2: a human answers later, in a request that continues the task that asked; the state goes
    // through its string form and back
    await writ.task({ ...ticket, resume: taskId }, async () => {
      const state = await RunState.fromString(agent, saved);
      const [item] = state.getInterruptions();
      if (item === undefined) throw new Error('no interruption');
      approveCall(state, item, { approver: maria });
      const resumed = await inAgentSpan(() => run(agent, state));
      expect(resumed.finalOutput).toBe('Refunded 250 on order 42.');
      expect(executed).toEqual(['lookup_order 42', 'refund_order 42 250']);
    });

    // request 3: the same approval submitted twice (a retried request): the refund does not run again
    await writ.task({ ...ticket, resume: taskId }, async () => {
      model.enqueue([assistantMessage('Refunded 250 on order 42.')]);
      const again = await RunState.fromString(agent, saved);
      const [retried] = again.getInterruptions();
      if (retried === undefined) throw new Error('no interruption');
      approveCall(again, retried, { approver: maria });
      await inAgentSpan(() => run(agent, again));
      expect(executed).toEqual(['lookup_order 42', 'refund_order 42 250']);
      expect(toolOutputSeen((model.lastCall as { request: ModelRequest }).request, 'call_refund_1')).toBe(
        'refunded 250 on order 42',
      );
    });

    // the denied call: the model's next request carries Writ's refusal, word for word, as the tool output
    const afterDeny = model.calls[2]?.request;
    if (afterDeny === undefined) throw new Error('the model was not called after the deny');
    expect(toolOutputSeen(afterDeny, 'call_delete_1')).toBe(DENIED_DELETE);
    expect(executed).not.toContain('delete_customer cus_7');

    // the deny is decided once at needsApproval, then the SDK calls invoke, which replays it (recorded as
    // such); the retried approval was answered from the call ledger: a replay in the task that asked.
    // The SDK's trace ids travel into the records (one trace across the interruption and the resume);
    // Writ's execute_tool spans sit under the host's invoke_agent spans, and the replay adds none.
    const traceId = sdk.traces[tracesBefore]?.traceId;
    expect(traceId).toMatch(/^trace_[0-9a-f]{32}$/);
    const { refund, approval } = await expectSupportDeskEvidence({
      writ,
      dir,
      tracing,
      taskId,
      seen,
      framework: (tool) =>
        tool === 'delete_customer'
          ? { name: 'openai-agents', ids: expect.objectContaining({ traceId }) }
          : { name: 'openai-agents', ids: { traceId, spanId: sdk.functionSpan(tool)?.spanId } },
      outcomes: {
        delete_customer: [
          ['refused', 'WRIT_POLICY_DENIED'],
          ['replayed', 'WRIT_POLICY_DENIED'],
        ],
        refund_order: [
          ['ok', taskId],
          ['replayed', taskId],
        ],
      },
      tree: [
        'invoke_agent support-bot',
        '  execute_tool lookup_order',
        '  execute_tool delete_customer',
        'invoke_agent support-bot',
        '  execute_tool refund_order',
        'invoke_agent support-bot',
      ],
      toolSpanParent: /^invoke_agent support-bot$/,
    });
    expect(approval?.decisionId).toBe(refund?.decision.decisionId);
  });

  it('refuses to name an approver outside any task (it could not say whose approval it names), without approving', async () => {
    const executed: string[] = [];
    const model = new ScriptedModel([
      [functionCall('refund_order', { orderId: '42', amount: 90 }, { callId: 'call_refund_4' })],
    ]);
    const agent = withWrit(
      new Agent({ name: 'support-bot', instructions: 'Help.', model, tools: supportTools(executed) }),
      { writ, tools: hints },
    );
    const saved = await writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'] }, async () =>
      (await run(agent, 'Refund 90 on order 42.')).state.toString(),
    );
    const state = await RunState.fromString(agent, saved);
    const [item] = state.getInterruptions();
    if (item === undefined) throw new Error('no interruption');
    expect(() => approveCall(state, item, { approver: maria })).toThrow(
      expect.objectContaining({ code: 'WRIT_NO_TASK', message: expect.stringContaining('resume') }),
    );
    // the item was not approved: resumed as is, the run stops at the same interruption again
    const again = await writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'] }, () =>
      run(agent, state),
    );
    expect(again.interruptions.map((i) => i.name)).toEqual(['refund_order']);
    expect(executed).toEqual([]);
  });

  it('records a rejected approval (rejectCall, or a plain state.reject() with writToolErrorFormatter) and the model reads the refusal', async () => {
    const executed: string[] = [];
    const model = new ScriptedModel([
      [functionCall('refund_order', { orderId: '42', amount: 900 }, { callId: 'call_refund_2' })],
      [assistantMessage('A manager has to approve that refund.')],
      [functionCall('refund_order', { orderId: '43', amount: 600 }, { callId: 'call_refund_3' })],
      [assistantMessage('That refund was not approved.')],
    ]);
    const agent = withWrit(
      new Agent({ name: 'support-bot', instructions: 'Help.', model, tools: supportTools(executed) }),
      { writ, tools: hints },
    );

    const ticket = { requester: alice, agent: 'support-bot', scope: ['orders:*'] };
    /** One request that stops for approval: the stored state and the task that asked. */
    const asks = (prompt: string) =>
      writ.task(ticket, async (task) => ({
        saved: (await run(agent, prompt)).state.toString(),
        taskId: task.attribution.taskId,
      }));
    // the answers come in later requests, each continuing the task that asked
    const first = await asks('Refund 900 on order 42.');
    const rejected = await writ.task({ ...ticket, resume: first.taskId }, async () => {
      const state = await RunState.fromString(agent, first.saved);
      const [item] = state.getInterruptions();
      if (item === undefined) throw new Error('no interruption');
      const rejected = await rejectCall(state, item, {
        approver: maria,
        reason: 'refunds over 500 need a manager',
      });
      expect((await run(agent, state)).finalOutput).toBe('A manager has to approve that refund.');
      return rejected;
    });
    const second = await asks('Refund 600 on order 43.');
    await writ.task({ ...ticket, resume: second.taskId }, async () => {
      const state = await RunState.fromString(agent, second.saved);
      const [other] = state.getInterruptions();
      if (other === undefined) throw new Error('no interruption');
      state.reject(other); // the SDK's own API, no message: the formatter is asked for one
      const resumed = await run(agent, state, { toolErrorFormatter: writToolErrorFormatter() });
      expect(resumed.finalOutput).toBe('That refund was not approved.');
    });
    await writ.close();
    expect(executed).toEqual([]);

    expect(rejected).toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
    expect(toolOutputSeen((model.calls[1] as { request: ModelRequest }).request, 'call_refund_2')).toBe(
      'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: refunds over 500 need a manager. The tool was not run.',
    );
    expect(toolOutputSeen((model.calls[3] as { request: ModelRequest }).request, 'call_refund_3')).toBe(
      'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved. The tool was not run.',
    );

    const records = await readRecords(dir);
    expect(approvalsOf(records, 'refund_order').map((a) => [a.call.id, a.approval])).toEqual([
      [
        'call_refund_2',
        expect.objectContaining({
          approved: false,
          approver: expect.objectContaining({ id: 'maria@example.com' }),
          reason: 'refunds over 500 need a manager',
          bindingHash: expect.stringMatching(/^sha256:/),
        }),
      ],
      ['call_refund_3', expect.objectContaining({ approved: false, approver: null })],
    ]);
    expect(
      decisionsOf(records, 'refund_order').map((d) => [d.call.id, d.decision.effect, d.refusal?.code]),
    ).toEqual([
      ['call_refund_2', 'approval_required', 'WRIT_APPROVAL_REJECTED'],
      ['call_refund_3', 'approval_required', 'WRIT_APPROVAL_REJECTED'],
    ]);
    expect(outcomesOf(records, 'refund_order').map((o) => [o.call.id, o.outcome.status])).toEqual([
      ['call_refund_2', 'refused'],
      ['call_refund_3', 'refused'],
    ]);
    expect(
      await verifyLog(join(dir, 'audit'), {
        verifierKey: (await writ.ready()).fileAudit?.verifierKey,
        deep: true,
      }),
    ).toMatchObject({ ok: true });
  });

  it("answers a refusal with the tool's errorFunction when the tool has an output schema", async () => {
    const model = new ScriptedModel([
      [functionCall('delete_customer', { customerId: 'cus_7' }, { callId: 'call_delete_2' })],
      [assistantMessage('I cannot delete customers.')],
    ]);
    const deleteCustomer = tool({
      name: 'delete_customer',
      description: 'Delete a customer account',
      parameters: z.object({ customerId: z.string() }),
      outputSchema: z.object({ deleted: z.boolean(), note: z.string() }),
      errorFunction: (_ctx, error) => ({ deleted: false, note: (error as Error).message }),
      execute: async () => ({ deleted: true, note: 'gone' }),
    });
    const agent = withWrit(
      new Agent({ name: 'support-bot', instructions: 'Help.', model, tools: [deleteCustomer] }),
      {
        writ,
        tools: { delete_customer: hints.delete_customer },
      },
    );
    await writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'] }, () =>
      run(agent, 'Delete customer cus_7.'),
    );
    await writ.close();
    const [denied] = decisionsOf(await readRecords(dir), 'delete_customer');
    expect(denied?.refusal?.code).toBe('WRIT_POLICY_DENIED');
    expect(toolOutputSeen((model.calls[1] as { request: ModelRequest }).request, 'call_delete_2')).toBe(
      JSON.stringify({ deleted: false, note: denied?.refusal?.message }),
    );
  });

  it('resumes a sub-agent interrupted inside an agent tool (agent.asTool): the nested approval and the resumed step are recorded', async () => {
    const executed: string[] = [];
    const billing = withWrit(
      new Agent({
        name: 'billing-bot',
        instructions: 'Settle billing.',
        model: new ScriptedModel([
          [functionCall('refund_order', { orderId: '42', amount: 80 }, { callId: 'call_sub_refund' })],
          [assistantMessage('Refund booked.')],
        ]),
        tools: supportTools(executed),
      }),
      { writ, tools: hints },
    );
    const model = new ScriptedModel([
      [functionCall('billing', { input: 'Refund 80 on order 42' }, { callId: 'call_billing' })],
      [assistantMessage('Billing refunded 80.')],
    ]);
    const agent = withWrit(
      new Agent({
        name: 'support-bot',
        instructions: 'Help.',
        model,
        tools: [billing.asTool({ toolName: 'billing', toolDescription: 'Ask billing' })],
      }),
      { writ, tools: { billing: { permission: 'orders:billing', risk: 'low' } } },
    );
    const ticket = { requester: alice, agent: 'support-bot', scope: ['orders:*'] };
    const { saved, taskId } = await writ.task(ticket, async (task) => {
      const first = await run(agent, 'Refund 80 on order 42.');
      expect(first.interruptions.map((i) => [i.name, i.agent.name])).toEqual([
        ['refund_order', 'billing-bot'],
      ]);
      return { saved: first.state.toString(), taskId: task.attribution.taskId };
    });
    await writ.task({ ...ticket, resume: taskId }, async () => {
      const state = await RunState.fromString(agent, saved);
      for (const item of state.getInterruptions()) approveCall(state, item, { approver: maria });
      expect((await run(agent, state)).finalOutput).toBe('Billing refunded 80.');
    });
    await writ.close();
    expect(executed).toEqual(['refund_order 42 80']);

    const records = await readRecords(dir);
    const billingCalls = decisionsOf(records, 'billing');
    expect(billingCalls.map((d) => [d.call.id, d.decision.effect])).toEqual([
      ['call_billing', 'allow'],
      [expect.stringMatching(/^call_billing#resume-[0-9a-f]{16}$/), 'allow'],
    ]);
    expect(billingCalls[1]?.call.framework?.ids?.callId).toBe('call_billing');
    expect(
      approvalsOf(records, 'refund_order').map((a) => [
        a.call.id,
        a.approval.approved,
        a.approval.approver?.id,
      ]),
    ).toEqual([['call_sub_refund', true, 'maria@example.com']]);
    expect(outcomesOf(records, 'refund_order').map((o) => o.outcome.status)).toEqual(['ok']);
    expect(
      await verifyLog(join(dir, 'audit'), {
        verifierKey: (await writ.ready()).fileAudit?.verifierKey,
        deep: true,
      }),
    ).toMatchObject({ ok: true });
  });

  it("governs an MCP server's tools (listed per run) and carries the call's trace context and a credential for that server (never the task token) in _meta", async () => {
    const server = new OrdersMcpServer();
    const model = new ScriptedModel([
      [functionCall('order_status', { orderId: '42' }, { callId: 'call_status_1' })],
      [functionCall('purge_customer', { customerId: 'cus_7' }, { callId: 'call_purge_1' })],
      [assistantMessage('Order 42 was delivered.')],
    ]);
    const agent = withWrit(
      new Agent({ name: 'support-bot', instructions: 'Help.', model, mcpServers: [server] }),
      {
        writ,
        tools: {
          order_status: { permission: 'orders:read', annotations: { readOnly: true } },
          purge_customer: { permission: 'customers:purge' },
        },
      },
    );
    let taskToken: string | undefined;
    await writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'] }, async (task) => {
      taskToken = task.credential?.token;
      const result = await inAgentSpan(() => run(agent, 'Where is order 42?'));
      expect(result.finalOutput).toBe('Order 42 was delivered.');
    });
    await writ.close();

    // only the allowed tool reached the server, with the Writ call's context in _meta
    expect(server.calls.map((c) => [c.name, c.args])).toEqual([['order_status', { orderId: '42' }]]);
    const meta = server.calls[0]?.meta ?? {};
    const statusSpan = tracing.toolSpans().find((s) => s.name === 'execute_tool order_status');
    expect(meta.traceparent).toBe(
      `00-${statusSpan?.spanContext().traceId}-${statusSpan?.spanContext().spanId}-01`,
    );
    const sent = meta['io.writ/txn-token'];
    expect(typeof sent).toBe('string');
    expect(typeof taskToken).toBe('string');
    expect(sent).not.toBe(taskToken);
    const claims = JSON.parse(Buffer.from(String(sent).split('.')[1] ?? '', 'base64url').toString());
    expect(claims.aud).toBe(ORDERS_MCP);

    const records = await readRecords(dir);
    const [status] = decisionsOf(records, 'order_status');
    const [purge] = decisionsOf(records, 'purge_customer');
    expect(status?.call).toMatchObject({ type: 'extension', framework: { name: 'openai-agents' } });
    expect(status?.decision.effect).toBe('allow');
    expect(purge?.decision.effect).toBe('deny');
    expect(toolOutputSeen((model.calls[2] as { request: ModelRequest }).request, 'call_purge_1')).toBe(
      `Refused by Writ (WRIT_POLICY_DENIED): ${purge?.refusal?.message}. The tool was not run.`,
    );
    expect(tracing.tree()).toBe(
      ['invoke_agent support-bot', '  execute_tool order_status', '  execute_tool purge_customer'].join('\n'),
    );
  });
});

describe('options and what Writ cannot govern', () => {
  const hosted = { type: 'hosted_tool' as const, name: 'web_search', providerData: { type: 'web_search' } };

  it('refuses tools that never run through invoke unless told to keep them, and names bad options', () => {
    const [lookup] = supportTools([]);
    if (lookup === undefined) throw new Error('no tool');
    expect(() => writTools([lookup, hosted], { writ })).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: expect.stringContaining('web_search (hosted_tool)'),
      }),
    );
    const kept = writTools([lookup, hosted], { writ, ungoverned: 'keep' });
    expect(kept[1]).toBe(hosted);
    expect(kept[0]).not.toBe(lookup);
    expect(kept[0]?.name).toBe('lookup_order');
    expect(writTools(kept, { writ, ungoverned: 'keep' })[0]).toBe(kept[0]); // already governed: not wrapped twice
    expect(() => writTools([lookup], { writ, colour: 'blue' } as never)).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('"colour"') }),
    );
    expect(() => withWrit(new Agent({ name: 'a' }), { ungoverned: 'maybe' } as never)).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: expect.stringContaining('ungoverned'),
      }),
    );
  });

  it('refuses hints that name none of the tools, naming the closest (MCP tools: when listed)', async () => {
    const tools = supportTools([]);
    const typo = { refund_ordr: { risk: 'high' as const } };
    const refused = (where: string) =>
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: `${where}: options.tools.refund_ordr: no tool is named "refund_ordr" (did you mean "refund_order"?)`,
      });
    expect(() => writTools(tools, { writ, tools: typo })).toThrow(refused('writTools'));
    expect(() => withWrit(new Agent({ name: 'support-bot', tools }), { writ, tools: typo })).toThrow(
      refused('withWrit: agent "support-bot"'),
    );
    // with MCP servers, a hint may name one of their tools: known once the SDK lists them
    const server = new OrdersMcpServer();
    const agent = withWrit(new Agent({ name: 'support-bot', tools, mcpServers: [server] }), {
      writ,
      tools: { purge_customer: { risk: 'high' }, ...typo },
    });
    await expect(agent.getMcpTools(undefined as never)).rejects.toThrow(
      refused('withWrit: agent "support-bot"'),
    );
    const listed = withWrit(new Agent({ name: 'support-bot', tools, mcpServers: [server] }), {
      writ,
      tools: { order_status: { risk: 'low' }, refund_order: { risk: 'high' } },
    });
    expect((await listed.getMcpTools(undefined as never)).map((t) => t.name)).toEqual([
      'order_status',
      'purge_customer',
    ]);
  });

  it('refuses handoffs to agents that hold tools but are not governed, and wrapping twice', () => {
    const billing = new Agent({ name: 'billing-bot', tools: supportTools([]) });
    const support = new Agent({ name: 'support-bot', handoffs: [billing] });
    expect(() => withWrit(support, { writ })).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: expect.stringContaining('billing-bot'),
      }),
    );
    const governedBilling = withWrit(billing, { writ });
    const governed = withWrit(new Agent({ name: 'support-bot', handoffs: [governedBilling] }), { writ });
    expect(governed.handoffs).toEqual([governedBilling]);
    expect(() => withWrit(governed, { writ })).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID' }),
    );
    expect(billing.tools.map((t) => t.type === 'function' && t.invoke)).not.toEqual(
      governedBilling.tools.map((t) => t.type === 'function' && t.invoke),
    );
  });
});

const ORDERS_MCP = 'https://orders.example.com/mcp';

/** A real MCP server implementation of the SDK's `MCPServer` interface, in process (no transport). */
class OrdersMcpServer implements MCPServer {
  readonly name = 'orders-mcp';
  cacheToolsList = true;
  readonly toolMetaResolver = writMcpToolMeta({ audience: ORDERS_MCP });
  readonly calls: { name: string; args: Record<string, unknown> | null; meta: Record<string, unknown> }[] =
    [];
  async connect() {}
  async close() {}
  async invalidateToolsCache() {}
  async listTools() {
    const object = (properties: Record<string, { type: 'string' }>) => ({
      type: 'object' as const,
      properties,
      required: Object.keys(properties),
      additionalProperties: false,
    });
    return [
      {
        name: 'order_status',
        description: 'Status of an order',
        inputSchema: object({ orderId: { type: 'string' } }),
      },
      {
        name: 'purge_customer',
        description: 'Erase a customer',
        inputSchema: object({ customerId: { type: 'string' } }),
      },
    ];
  }
  async callTool(
    name: string,
    args: Record<string, unknown> | null,
    meta?: Record<string, unknown> | null,
  ): Promise<CallToolResultContent> {
    this.calls.push({ name, args, meta: meta ?? {} });
    return [{ type: 'text', text: JSON.stringify({ orderId: args?.orderId, status: 'delivered' }) }];
  }
}
