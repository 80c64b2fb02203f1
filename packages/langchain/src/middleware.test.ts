import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { Command, interrupt, MemorySaver } from '@langchain/langgraph';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { createCallbackApprovals } from '@writ/policy';
import { createAgent, createMiddleware, toolErrorMiddleware } from 'langchain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AuditRecord, hints, hintsFor, of, orderTools, startWrit } from './__support__/orders.js';
import { isWritApprovalRequest, type WritApprovalRequest, writMiddleware } from './index.js';

let tracing: TestTracing;
let writ: Awaited<ReturnType<typeof startWrit>>;
beforeEach(async () => {
  tracing = startTestTracing();
  writ = await startWrit();
});
afterEach(async () => {
  await tracing.shutdown();
  await writ.cleanup();
});

const maria = { id: 'maria@example.com', name: 'Maria (support lead)' };

/** A middleware outside Writ's that notes every time the tools node hands it a call. */
function seenCalls() {
  const seen: string[] = [];
  const middleware = createMiddleware({
    name: 'SeenCalls',
    wrapToolCall: (request, handler) => {
      seen.push(request.toolCall.id ?? '');
      return handler(request);
    },
  });
  return { seen, middleware };
}

/** The tool message the model received for a tool call, in the prompt of a given step. */
function toolMessage(prompt: BaseMessage[] | undefined, toolCallId: string): ToolMessage {
  const found = prompt?.find(
    (m): m is ToolMessage => ToolMessage.isInstance(m) && m.tool_call_id === toolCallId,
  );
  if (found === undefined) throw new Error(`no ToolMessage for ${toolCallId} in the prompt`);
  return found;
}

function approvalRequests(result: { __interrupt__?: { value?: unknown }[] }): WritApprovalRequest[] {
  return (result.__interrupt__ ?? []).map((i) => i.value).filter(isWritApprovalRequest);
}

describe('writMiddleware in a createAgent loop (scripted fake model, MemorySaver)', () => {
  it('runs the allowed call, shows the model the refusal and goes on, pauses for approval and resumes once approved', async () => {
    const { executed, lookupOrder, refundOrder, deleteCustomer } = orderTools();
    const model = fakeModel()
      .respondWithTools([
        { name: 'lookup_order', args: { orderId: '42' }, id: 'call_lookup' },
        { name: 'delete_customer', args: { customerId: 'cus_7' }, id: 'call_delete' },
      ])
      .respondWithTools([{ name: 'refund_order', args: { orderId: '42', amount: 30 }, id: 'call_refund' }])
      .respond(new AIMessage('Refunded 30 on order 42. I may not delete customers.'));
    const { seen, middleware } = seenCalls();
    const agent = createAgent({
      model,
      tools: [lookupOrder, refundOrder, deleteCustomer],
      middleware: [middleware, writMiddleware({ writ: writ.writ, tools: hints })],
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: 'ticket-1' } };

    // 1. alice's request: lookup allowed, delete denied (the run goes on), refund pauses for approval
    const first = await tracing.tracer.startActiveSpan('invoke_agent support-bot', async (span) => {
      try {
        return await writ.task(() =>
          agent.invoke(
            { messages: [{ role: 'user', content: 'Refund 30 on order 42, then delete customer cus_7' }] },
            { ...config, metadata: { run_id: 'run-1' } },
          ),
        );
      } finally {
        span.end();
      }
    });
    expect(executed).toEqual(['lookup_order']);
    const denied = toolMessage(model.calls[1]?.messages, 'call_delete');
    expect(denied.status).toBe('error');
    expect(denied.content).toBe(
      'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): ' +
        'destructive tools outside the task scope are denied. The tool was not run.',
    );
    expect(denied.artifact).toEqual({ writ: { code: 'WRIT_POLICY_DENIED', decisionId: expect.any(String) } });
    expect(toolMessage(model.calls[1]?.messages, 'call_lookup')).toMatchObject({
      status: 'success',
      content: '{"orderId":"42","status":"delivered","total":480}',
    });
    const [request, ...more] = approvalRequests(first);
    expect(more).toEqual([]);
    expect(request).toEqual({
      type: 'writ.approval',
      toolCallId: 'call_refund',
      taskId: expect.any(String),
      tool: 'refund_order',
      args: { orderId: '42', amount: 30 },
      risk: 'high',
      message: expect.stringMatching(/^refund_order needs human approval \(cedar\)/),
      bindingHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      decisionId: expect.any(String),
      expiresAt: expect.any(Number),
    });
    expect(model.callCount).toBe(2);

    // 2. Maria approves, in a request that continues alice's task; the tools node runs again and the
    // refund runs, once
    const second = await tracing.tracer.startActiveSpan('invoke_agent support-bot (resume)', async (span) => {
      try {
        return await writ.resume(request?.taskId ?? '', () =>
          agent.invoke(new Command({ resume: { approved: true, approver: maria } }), {
            ...config,
            metadata: { run_id: 'run-2' },
          }),
        );
      } finally {
        span.end();
      }
    });
    expect(executed).toEqual(['lookup_order', 'refund_order']);
    expect(toolMessage(model.calls[2]?.messages, 'call_refund')).toMatchObject({
      status: 'success',
      content: '{"orderId":"42","refunded":30}',
    });
    expect(second.messages.at(-1)?.content).toBe('Refunded 30 on order 42. I may not delete customers.');
    expect(approvalRequests(second)).toEqual([]);

    // one policy decision per call, although the tools node ran twice for the refund
    expect(seen.filter((id) => id === 'call_refund')).toHaveLength(2);
    expect([...writ.decided].sort()).toEqual(['call_delete', 'call_lookup', 'call_refund']);

    // spans: each call once, under the agent invocation it ran in; the payment call under the refund
    const spans = tracing.toolSpans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'execute_tool delete_customer',
      'execute_tool lookup_order',
      'execute_tool refund_order',
    ]);
    const byName = (name: string) => tracing.spans().find((s) => s.name === name);
    for (const [tool, parent] of [
      ['lookup_order', 'invoke_agent support-bot'],
      ['delete_customer', 'invoke_agent support-bot'],
      ['refund_order', 'invoke_agent support-bot (resume)'],
    ] as const) {
      const span = byName(`execute_tool ${tool}`);
      expect(span && tracing.parentOf(span)?.name).toBe(parent);
    }
    const payment = byName('payments.refund');
    expect(payment && tracing.parentOf(payment)?.name).toBe('execute_tool refund_order');
    expect(byName('execute_tool refund_order')?.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call_refund',
      'writ.policy.effect': 'approval_required',
      'writ.approval.approver': 'maria@example.com',
    });
    expect(byName('execute_tool delete_customer')?.attributes).toMatchObject({
      'writ.policy.effect': 'deny',
      'error.type': 'WRIT_POLICY_DENIED',
    });

    // audit: one decision, one outcome per call; the approval bound to what Maria saw
    const verdict = await writ.close();
    expect(verdict).toMatchObject({ ok: true });
    const records = await writ.records();
    for (const id of ['call_lookup', 'call_delete', 'call_refund']) {
      expect(of(records, 'decision', id)).toHaveLength(1);
      expect(of(records, 'outcome', id)).toHaveLength(1);
      // all in alice's one task, the one the approval request named
      expect(of(records, 'decision', id)[0]?.taskId).toBe(request?.taskId);
    }
    expect(of(records, 'decision', 'call_lookup')[0]?.decision?.effect).toBe('allow');
    expect(of(records, 'decision', 'call_delete')[0]).toMatchObject({
      decision: { effect: 'deny' },
      refusal: { code: 'WRIT_POLICY_DENIED' },
    });
    expect(of(records, 'decision', 'call_refund')[0]).toMatchObject({
      decision: { effect: 'approval_required', decisionId: request?.decisionId },
      approval: { approved: true, bindingHash: request?.bindingHash },
    });
    const approvals = records.filter((r) => r.kind === 'approval');
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({
      call: { id: 'call_refund', name: 'refund_order' },
      approval: {
        approved: true,
        approver: { kind: 'human', id: 'maria@example.com', assurance: 'asserted' },
        bindingHash: request?.bindingHash,
      },
    });
    expect(of(records, 'outcome', 'call_lookup')[0]?.outcome?.status).toBe('ok');
    expect(of(records, 'outcome', 'call_delete')[0]?.outcome).toMatchObject({
      status: 'refused',
      errorCode: 'WRIT_POLICY_DENIED',
    });
    expect(of(records, 'outcome', 'call_refund')[0]?.outcome?.status).toBe('ok');
    // the LangGraph ids of each call, with the adapter's name
    for (const [id, run] of [
      ['call_lookup', 'run-1'],
      ['call_delete', 'run-1'],
      ['call_refund', 'run-2'],
    ]) {
      expect(of(records, 'decision', id ?? '')[0]?.call?.framework).toEqual({
        name: 'langchain',
        ids: {
          thread_id: 'ticket-1',
          run_id: run,
          checkpoint_ns: expect.stringMatching(/^tools:/),
          checkpoint_id: expect.any(String),
          task_id: expect.any(String),
          node: 'tools',
        },
      });
    }
    // the refund was decided in the first request and recorded in the second, where it ran: the
    // second request continued alice's task (task-start `resumed`), it did not open another one
    const starts = records.flatMap((r, i) => (r.kind === 'task-start' ? [{ ...r, i }] : []));
    expect(starts.map((r) => [r.taskId, r.resumed])).toEqual([
      [request?.taskId, undefined],
      [request?.taskId, true],
    ]);
    const refundIndex = records.indexOf(of(records, 'decision', 'call_refund')[0] as AuditRecord);
    expect(refundIndex).toBeGreaterThan(starts[1]?.i ?? Number.POSITIVE_INFINITY);
    expect(records.indexOf(of(records, 'decision', 'call_lookup')[0] as AuditRecord)).toBeLessThan(
      starts[1]?.i ?? 0,
    );
  });

  it('records a rejection, a malformed answer and an answer meant for another call as refusals the model sees', async () => {
    const { executed, refundOrder } = orderTools();
    const refund = (id: string) => [{ name: 'refund_order', args: { orderId: '42', amount: 30 }, id }];
    const model = fakeModel()
      .respondWithTools(refund('call_r1'))
      .respondWithTools(refund('call_r2'))
      .respondWithTools(refund('call_r3'))
      .respond(new AIMessage('I could not refund order 42.'));
    const agent = createAgent({
      model,
      tools: [refundOrder],
      middleware: [writMiddleware({ writ: writ.writ, tools: hintsFor('refund_order') })],
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: 'ticket-2' } };
    const result = await writ.task(async () => {
      const started = await agent.invoke(
        { messages: [{ role: 'user', content: 'Refund 30 on 42' }] },
        config,
      );
      expect(approvalRequests(started).map((r) => r.toolCallId)).toEqual(['call_r1']);
      const afterReject = await agent.invoke(
        new Command({
          resume: { approved: false, approver: maria, reason: 'Refunds above 20 need a receipt' },
        }),
        config,
      );
      expect(approvalRequests(afterReject).map((r) => r.toolCallId)).toEqual(['call_r2']);
      const afterMalformed = await agent.invoke(new Command({ resume: { approved: 'yes' } }), config);
      expect(approvalRequests(afterMalformed).map((r) => r.toolCallId)).toEqual(['call_r3']);
      return agent.invoke(new Command({ resume: { approved: true, toolCallId: 'call_r1' } }), config);
    });
    expect(result.messages.at(-1)?.content).toBe('I could not refund order 42.');
    expect(executed).toEqual([]);
    const seen = (step: number, id: string) => toolMessage(model.calls[step]?.messages, id);
    expect(seen(1, 'call_r1')).toMatchObject({
      status: 'error',
      content:
        'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: Refunds above 20 need a receipt. ' +
        'The tool was not run.',
    });
    expect(seen(2, 'call_r2')).toMatchObject({
      status: 'error',
      content:
        'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the resume value is not an ' +
        'approval answer (resume.approved: Invalid input: expected boolean, received string). The tool was not run.',
    });
    expect(seen(3, 'call_r3')).toMatchObject({
      status: 'error',
      content:
        'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the answer is for tool call ' +
        'call_r1, not call_r3. The tool was not run.',
    });

    expect(writ.decided).toEqual(['call_r1', 'call_r2', 'call_r3']);
    expect(tracing.toolSpans().map((s) => s.attributes['error.type'])).toEqual([
      'WRIT_APPROVAL_REJECTED',
      'WRIT_APPROVAL_REJECTED',
      'WRIT_APPROVAL_REJECTED',
    ]);
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    const approvals = records.filter((r) => r.kind === 'approval');
    expect(
      approvals.map((r) => [r.call?.id, r.approval?.approved, r.approval?.approver?.id ?? null]),
    ).toEqual([
      ['call_r1', false, 'maria@example.com'],
      ['call_r2', false, null],
      ['call_r3', false, null],
    ]);
    expect(approvals[0]?.approval?.reason).toBe('Refunds above 20 need a receipt');
    for (const id of ['call_r1', 'call_r2', 'call_r3']) {
      expect(of(records, 'decision', id)).toEqual([
        expect.objectContaining({
          decision: expect.objectContaining({ effect: 'approval_required' }),
          refusal: expect.objectContaining({ code: 'WRIT_APPROVAL_REJECTED' }),
        }),
      ]);
      expect(of(records, 'outcome', id).map((r) => r.outcome)).toEqual([
        expect.objectContaining({ status: 'refused', errorCode: 'WRIT_APPROVAL_REJECTED' }),
      ]);
    }
  });

  it('refuses an answer that arrives after the approval expired', async () => {
    let now = Date.now();
    await writ.cleanup();
    writ = await startWrit({ clock: () => now, timeouts: { approvalMs: 60_000 } });
    const { executed, refundOrder } = orderTools();
    const model = fakeModel()
      .respondWithTools([{ name: 'refund_order', args: { orderId: '42', amount: 30 }, id: 'call_late' }])
      .respond(new AIMessage('The approval came too late.'));
    const agent = createAgent({
      model,
      tools: [refundOrder],
      middleware: [writMiddleware({ writ: writ.writ, tools: hintsFor('refund_order') })],
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: 'ticket-3' } };
    const started = await writ.task(() =>
      agent.invoke({ messages: [{ role: 'user', content: 'Refund 30 on 42' }] }, config),
    );
    const [request] = approvalRequests(started);
    expect(request?.expiresAt).toBe(now + 60_000);
    now += 90_000;
    await writ.resume(request?.taskId ?? '', () =>
      agent.invoke(new Command({ resume: { approved: true, approver: maria } }), config),
    );
    expect(executed).toEqual([]);
    expect(toolMessage(model.calls[1]?.messages, 'call_late').content).toBe(
      'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the answer came for an approval ' +
        'request that is not pending in this task (it expired, or it belongs to ' +
        'another task or requester). The tool was not run.',
    );
    // the expired decision was forgotten and the call decided again before the answer was refused
    expect(writ.decided).toEqual(['call_late', 'call_late']);
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    expect(of(records, 'approval', 'call_late').map((r) => r.approval?.approved)).toEqual([false]);
    expect(of(records, 'decision', 'call_late')).toHaveLength(1);
    expect(of(records, 'decision', 'call_late')[0]?.decision?.decisionId).not.toBe(request?.decisionId);
  });

  it('lets a tool pause the graph with its own interrupt(): not recorded as settled, so it runs again on resume', async () => {
    const ran: string[] = [];
    const confirmAddress = tool(
      async ({ orderId }) => {
        ran.push(orderId);
        const answer = interrupt<{ question: string }, string>({
          question: `Ship order ${orderId} to the new address?`,
        });
        return `order ${orderId}: ${answer}`;
      },
      { name: 'confirm_address', description: 'Ask the customer', schema: z.object({ orderId: z.string() }) },
    );
    const model = fakeModel()
      .respondWithTools([{ name: 'confirm_address', args: { orderId: '42' }, id: 'call_confirm' }])
      .respond(new AIMessage('Confirmed.'));
    const agent = createAgent({
      model,
      tools: [confirmAddress],
      middleware: [
        writMiddleware({
          writ: writ.writ,
          tools: { confirm_address: { permission: 'orders:read', annotations: { readOnly: true } } },
        }),
      ],
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: 'ticket-4' } };
    const { first, taskId } = await writ.task(async (task) => ({
      first: await agent.invoke({ messages: [{ role: 'user', content: 'Ship it' }] }, config),
      taskId: task.attribution.taskId, // kept with the thread: the answer continues this task
    }));
    expect(first.__interrupt__?.map((i) => i.value)).toEqual([
      { question: 'Ship order 42 to the new address?' },
    ]);
    const second = await writ.resume(taskId, () => agent.invoke(new Command({ resume: 'yes' }), config));
    expect(toolMessage(second.messages, 'call_confirm').content).toBe('order 42: yes');
    expect(ran).toEqual(['42', '42']); // LangGraph runs a node again from its start on resume
    expect(writ.decided).toEqual(['call_confirm']);
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    expect(of(records, 'outcome', 'call_confirm').map((r) => r.outcome)).toEqual([
      expect.objectContaining({ status: 'suspended', errorCode: 'GraphInterrupt' }),
      expect.objectContaining({ status: 'ok' }),
    ]);
  });

  it("hands the tool's own errors to LangChain unchanged, recorded as the call's outcome", async () => {
    const failing = tool(
      async () => {
        throw new TypeError('orders database is down');
      },
      { name: 'lookup_order', description: 'Read an order', schema: z.object({ orderId: z.string() }) },
    );
    const script = (id: string) =>
      fakeModel()
        .respondWithTools([{ name: 'lookup_order', args: { orderId: '42' }, id }])
        .respond(new AIMessage('The orders database is down.'));
    const governed = writMiddleware({ writ: writ.writ, tools: hintsFor('lookup_order') });
    const bare = createAgent({ model: script('call_fail'), tools: [failing], middleware: [governed] });
    await expect(
      writ.task(() => bare.invoke({ messages: [{ role: 'user', content: 'Where is 42?' }] })),
    ).rejects.toThrow('orders database is down');
    // LangChain's own toolErrorMiddleware (outside Writ's) turns it into a message for the model
    const model = script('call_handled');
    const handled = createAgent({
      model,
      tools: [failing],
      middleware: [
        toolErrorMiddleware({ onError: (error) => `lookup failed: ${(error as Error).name}` }),
        writMiddleware({ writ: writ.writ, tools: hintsFor('lookup_order') }),
      ],
    });
    await writ.task(() => handled.invoke({ messages: [{ role: 'user', content: 'Where is 42?' }] }));
    expect(toolMessage(model.calls[1]?.messages, 'call_handled')).toMatchObject({
      status: 'error',
      content: 'lookup failed: TypeError',
    });
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    for (const id of ['call_fail', 'call_handled']) {
      expect(of(records, 'outcome', id).map((r) => r.outcome)).toEqual([
        expect.objectContaining({ status: 'error', errorCode: 'TypeError' }),
      ]);
    }
  });

  it('records a tool that answers with an error ToolMessage as failed, and passes the message on', async () => {
    const outOfStock = tool(
      async ({ orderId }, config) =>
        new ToolMessage({
          content: `order ${orderId} cannot be refunded: already refunded`,
          tool_call_id: config.toolCall?.id ?? '',
          status: 'error',
        }),
      { name: 'lookup_order', description: 'Read an order', schema: z.object({ orderId: z.string() }) },
    );
    const model = fakeModel()
      .respondWithTools([{ name: 'lookup_order', args: { orderId: '42' }, id: 'call_error_message' }])
      .respond(new AIMessage('Already refunded.'));
    const agent = createAgent({
      model,
      tools: [outOfStock],
      middleware: [writMiddleware({ writ: writ.writ, tools: hintsFor('lookup_order') })],
    });
    await writ.task(() => agent.invoke({ messages: [{ role: 'user', content: 'Refund 42' }] }));
    expect(toolMessage(model.calls[1]?.messages, 'call_error_message')).toMatchObject({
      status: 'error',
      content: 'order 42 cannot be refunded: already refunded',
    });
    expect(await writ.close()).toMatchObject({ ok: true });
    expect(of(await writ.records(), 'outcome', 'call_error_message').map((r) => r.outcome)).toEqual([
      expect.objectContaining({ status: 'error', errorCode: 'ToolMessageError' }),
    ]);
  });

  it('asks the Writ approval handler instead with approvals: "writ" (no checkpointer needed)', async () => {
    await writ.cleanup();
    writ = await startWrit({
      approvals: createCallbackApprovals(() => ({
        approved: true,
        approver: { kind: 'human', id: 'maria@example.com', assurance: 'verified' },
      })),
    });
    const { executed, refundOrder } = orderTools();
    const model = fakeModel()
      .respondWithTools([{ name: 'refund_order', args: { orderId: '42', amount: 30 }, id: 'call_handler' }])
      .respond(new AIMessage('Refunded.'));
    const agent = createAgent({
      model,
      tools: [refundOrder],
      middleware: [writMiddleware({ writ: writ.writ, tools: hintsFor('refund_order'), approvals: 'writ' })],
    });
    const result = await writ.task(() =>
      agent.invoke({ messages: [{ role: 'user', content: 'Refund 30 on 42' }] }),
    );
    expect(result.__interrupt__).toBeUndefined();
    expect(executed).toEqual(['refund_order']);
    expect(toolMessage(result.messages, 'call_handler').content).toBe('{"orderId":"42","refunded":30}');
    expect(await writ.close()).toMatchObject({ ok: true });
    expect(of(await writ.records(), 'approval', 'call_handler')[0]?.approval).toMatchObject({
      approved: true,
      approver: { id: 'maria@example.com', assurance: 'verified' },
    });
  });

  it('validates its options up front, naming the bad one', () => {
    const invalid = (fn: () => unknown, pattern: RegExp) =>
      expect(fn).toThrow(
        expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringMatching(pattern) }),
      );
    invalid(
      () => writMiddleware({ colour: 'blue' } as never),
      /writMiddleware: .*unknown option\(s\) "colour"/,
    );
    invalid(() => writMiddleware({ approvals: 'email' } as never), /writMiddleware: options\.approvals/);
    invalid(
      () => writMiddleware({ tools: { refund_order: { risk: 'extreme' } } } as never),
      /refund_order.*risk/,
    );
    invalid(() => writMiddleware({ writ: 'mine' } as never), /options\.writ/);
  });
});
