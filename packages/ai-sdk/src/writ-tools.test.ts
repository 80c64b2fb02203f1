import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { approvalBindingHash } from '@writ/core/plugin';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { createCallbackApprovals } from '@writ/policy';
import { generateText, isStepCount, type ModelMessage, ToolLoopAgent, tool } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getToolContext, WritError } from 'writ';
import { z } from 'zod';
import {
  type AuditRecord,
  answerApproval,
  DENIED_DELETE,
  HINTS,
  REFUND_NEEDS_APPROVAL,
  scriptedModel,
  supportTools,
  text,
  toolCalls,
  toolResultsIn,
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

const SCOPE = ['orders:*'];
const byKind = (records: AuditRecord[], kind: string) => records.filter((r) => r.kind === kind);
const callRecords = (records: AuditRecord[]) =>
  records.filter((r) => r.kind === 'decision' || r.kind === 'approval' || r.kind === 'outcome');
const forCall = (records: AuditRecord[], id: string) => records.filter((r) => r.call?.id === id);
/** Runs `fn` inside a request span, as an HTTP server instrumentation would. */
const inRequest = <T>(fn: () => Promise<T>) =>
  tracing.tracer.startActiveSpan('POST /chat', async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
const spanOf = (id: string): ReadableSpan[] =>
  tracing.toolSpans().filter((s) => s.attributes['gen_ai.tool.call.id'] === id);

describe('writTools + writToolApproval in a real generateText loop (AI SDK mock model, no network)', () => {
  it('runs the allowed call, tells the model about the denied one and goes on, and runs the high-risk call once a human approves it', async () => {
    const { tools: raw, executions } = supportTools();
    const tools = writTools(raw, {
      writ: env.writ,
      tools: HINTS,
      frameworkIds: () => ({ chatId: 'chat-1' }),
    });
    const { model, prompts } = scriptedModel([
      toolCalls(
        ['call-1', 'lookup_order', { orderId: '42' }],
        ['call-2', 'delete_customer', { customerId: 'cus_7' }],
      ),
      toolCalls(['call-3', 'refund_order', { orderId: '42', amount: 250 }]),
      text('Refunded 250 on order 42. I cannot close the account.'),
    ]);
    const toolApproval = writToolApproval();
    const user: ModelMessage[] = [{ role: 'user', content: 'Refund 250 on order 42 and close my account' }];
    const ticket = { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE };

    // request 1: the run stops at the approval request; the application keeps the task id with the chat
    const { first, taskId } = await inRequest(() =>
      env.writ.task(ticket, async (task) => ({
        first: await generateText({
          model,
          tools,
          toolApproval,
          messages: user,
          stopWhen: isStepCount(5),
        }),
        taskId: task.attribution.taskId,
      })),
    );
    // request 2: the human approves through the AI SDK's own flow (a tool-approval-response, then call
    // again), in a request that continues the task that asked
    const { messages, approvalId } = answerApproval(user, first, true);
    const second = await inRequest(() =>
      env.writ.task({ ...ticket, resume: taskId }, () =>
        generateText({
          model,
          tools,
          toolApproval,
          messages,
          stopWhen: isStepCount(5),
          onStart: recordApprovalDenials,
        }),
      ),
    );

    // step 2's prompt: the lookup result, and the refusal as the AI SDK's execution-denied tool result
    expect(toolResultsIn(prompts[1])).toEqual({
      'call-1': { type: 'json', value: { orderId: '42', status: 'delivered', total: 480 } },
      'call-2': { type: 'execution-denied', reason: DENIED_DELETE },
    });
    // the run went on after the denial, then stopped on the approval request for the refund
    expect(first.steps).toHaveLength(2);
    expect(first.content).toContainEqual(
      expect.objectContaining({
        type: 'tool-approval-request',
        approvalId,
        reason: REFUND_NEEDS_APPROVAL,
        toolCall: expect.objectContaining({ toolCallId: 'call-3', toolName: 'refund_order' }),
      }),
    );
    // resumed: the approved refund ran once, before the model's next turn, which saw its result
    expect(executions).toEqual({ lookup_order: 1, refund_order: 1, delete_customer: 0 });
    expect(toolResultsIn(prompts[2])['call-3']).toEqual({
      type: 'json',
      value: { orderId: '42', refunded: 250 },
    });
    expect(second.text).toBe('Refunded 250 on order 42. I cannot close the account.');

    const records = await env.records();
    const decisions = byKind(records, 'decision');
    expect(decisions.map((d) => [d.call.name, d.decision.effect, d.refusal?.code])).toEqual([
      ['delete_customer', 'deny', 'WRIT_POLICY_DENIED'],
      ['lookup_order', 'allow', undefined],
      ['refund_order', 'approval_required', undefined],
    ]);
    expect(forCall(decisions, 'call-2')[0]?.decision.policyIds).toEqual([
      'default.cedar#destructive-out-of-scope',
    ]);
    for (const d of decisions) expect(d.call.framework.name).toBe('ai-sdk');
    expect(forCall(decisions, 'call-1')[0]?.call.framework.ids).toEqual({ chatId: 'chat-1' });
    expect(forCall(decisions, 'call-3')[0]?.call.framework.ids).toEqual({ chatId: 'chat-1', approvalId });

    const [approval] = byKind(records, 'approval');
    const refund = forCall(decisions, 'call-3')[0] as AuditRecord;
    expect(approval).toMatchObject({
      call: { id: 'call-3', name: 'refund_order' },
      decisionId: refund.decision.decisionId,
      approval: {
        approved: true,
        approver: { id: 'alice@example.com', kind: 'human', assurance: 'verified' },
      },
    });
    // the approval is bound to this call of this task of this requester, this agent and this decision
    expect(refund.taskId).toBe(taskId);
    expect(refund.requester).toMatchObject({ id: 'alice@example.com', issuer: expect.any(String) });
    expect(approval?.approval.bindingHash).toBe(
      approvalBindingHash({
        tool: 'refund_order',
        argsDigest: refund.call.argsDigest,
        agent: 'spiffe://writ.local/agent/support-bot',
        decisionId: refund.decision.decisionId,
        taskId,
        requester: { id: 'alice@example.com', issuer: refund.requester.issuer },
        callId: 'call-3',
      }),
    );
    // one task, continued: two task-starts with its id, the second `resumed`
    expect(byKind(records, 'task-start').map((r) => [r.taskId, r.resumed])).toEqual([
      [taskId, undefined],
      [taskId, true],
    ]);
    expect(refund.approval.bindingHash).toBe(approval?.approval.bindingHash);
    expect(
      byKind(records, 'outcome').map((o) => [o.call.name, o.outcome.status, o.outcome.errorCode]),
    ).toEqual([
      ['delete_customer', 'refused', 'WRIT_POLICY_DENIED'],
      ['lookup_order', 'ok', undefined],
      ['refund_order', 'ok', undefined],
    ]);

    // one execute_tool span per call, Writ's own (no AI SDK telemetry here), under the request span
    for (const id of ['call-1', 'call-2', 'call-3']) expect(spanOf(id)).toHaveLength(1);
    expect(tracing.toolSpans()).toHaveLength(3);
    for (const span of tracing.toolSpans()) expect(tracing.parentOf(span)?.name).toBe('POST /chat');
    expect(spanOf('call-2')[0]?.attributes).toMatchObject({
      'writ.policy.effect': 'deny',
      'error.type': 'WRIT_POLICY_DENIED',
    });
    expect(spanOf('call-3')[0]?.attributes).toMatchObject({
      'writ.policy.effect': 'approval_required',
      'writ.approval.approver': 'alice@example.com',
    });
    // each decision record points at its span
    expect(refund.spanId).toBe(spanOf('call-3')[0]?.spanContext().spanId);

    await env.close();
    expect(await env.verify()).toMatchObject({ ok: true });
  });

  it('records a human denial (approver, reason) and the model sees it; recording again adds nothing', async () => {
    const maria = { kind: 'human' as const, id: 'maria@example.com', assurance: 'asserted' as const };
    const { tools: raw, executions } = supportTools();
    const tools = writTools(raw, { writ: env.writ, tools: HINTS, approver: () => maria });
    const { model, prompts } = scriptedModel([
      toolCalls(['call-1', 'refund_order', { orderId: '42', amount: 900 }]),
      text('The refund was declined.'),
    ]);
    const user: ModelMessage[] = [{ role: 'user', content: 'Refund 900 on order 42' }];

    const ticket = { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE };
    const { first, taskId } = await inRequest(() =>
      env.writ.task(ticket, async (task) => ({
        first: await generateText({ model, tools, toolApproval: writToolApproval(), messages: user }),
        taskId: task.attribution.taskId,
      })),
    );
    const { messages, approvalId } = answerApproval(user, first, false, 'Refunds over 500 need a manager');
    // the answer comes with the next request, which continues the task that asked
    const recordsBefore = await inRequest(() =>
      env.writ.task({ ...ticket, resume: taskId }, async () => {
        await generateText({
          model,
          tools,
          toolApproval: writToolApproval(),
          messages,
          onStart: recordApprovalDenials,
        });
        const recordsBefore = callRecords(await env.records()).length;
        await recordApprovalDenials({ messages, tools }); // already recorded by onStart: nothing new
        return recordsBefore;
      }),
    );

    expect(executions.refund_order).toBe(0);
    // the AI SDK hands the model the human's denial as an execution-denied result
    expect(toolResultsIn(prompts[1])).toEqual({
      'call-1': { type: 'execution-denied', reason: 'Refunds over 500 need a manager' },
    });

    const records = await env.records();
    expect(callRecords(records)).toHaveLength(recordsBefore);
    expect(byKind(records, 'approval')).toEqual([
      expect.objectContaining({
        call: expect.objectContaining({ id: 'call-1', framework: { name: 'ai-sdk', ids: { approvalId } } }),
        approval: expect.objectContaining({
          approved: false,
          approver: { kind: 'human', id: 'maria@example.com', assurance: 'asserted' },
          reason: 'Refunds over 500 need a manager',
          bindingHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        }),
      }),
    ]);
    const [decision] = byKind(records, 'decision');
    expect(decision).toMatchObject({
      decision: { effect: 'approval_required' },
      refusal: { code: 'WRIT_APPROVAL_REJECTED' },
      approval: { approved: false },
    });
    expect(byKind(records, 'outcome')).toEqual([
      expect.objectContaining({
        outcome: expect.objectContaining({ status: 'refused', errorCode: 'WRIT_APPROVAL_REJECTED' }),
      }),
    ]);
    expect(spanOf('call-1')).toHaveLength(1);
    expect(tracing.parentOf(spanOf('call-1')[0] as ReadableSpan)?.name).toBe('POST /chat');

    await env.close();
    expect(await env.verify()).toMatchObject({ ok: true });
  });

  it('does not run an approved call twice when the client re-sends the approval (the AI SDK re-runs it)', async () => {
    const { tools: raw, executions } = supportTools();
    const tools = writTools(raw, { writ: env.writ, tools: HINTS });
    const { model, prompts } = scriptedModel([
      toolCalls(['call-1', 'refund_order', { orderId: '42', amount: 250 }]),
      text('Refunded.'),
      text('Refunded (retry).'),
    ]);
    const user: ModelMessage[] = [{ role: 'user', content: 'Refund 250 on order 42' }];
    const ticket = { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE };
    const { first, taskId } = await env.writ.task(ticket, async (task) => ({
      first: await generateText({ model, tools, toolApproval: writToolApproval(), messages: user }),
      taskId: task.attribution.taskId,
    }));
    const { messages } = answerApproval(user, first, true);
    const resume = (fn: () => Promise<unknown>) => env.writ.task({ ...ticket, resume: taskId }, fn);
    await resume(() => generateText({ model, tools, toolApproval: writToolApproval(), messages }));
    const before = callRecords(await env.records()).length;
    // a retried request carries the same history: the AI SDK executes the approved call again
    await resume(() => generateText({ model, tools, toolApproval: writToolApproval(), messages }));
    // no new decision or approval, and no execution: one record, the replay, in the task that asked
    const after = callRecords(await env.records());
    expect(after.slice(before)).toEqual([
      expect.objectContaining({
        kind: 'outcome',
        taskId,
        call: { id: 'call-1', name: 'refund_order' },
        outcome: expect.objectContaining({ status: 'replayed' }),
      }),
    ]);
    expect(executions.refund_order).toBe(1);
    expect(toolResultsIn(prompts[2])['call-1']).toEqual(toolResultsIn(prompts[1])['call-1']);
    expect(spanOf('call-1')).toHaveLength(1);
  });

  it('refuses an approval answered where Writ never asked (another process: no pending decision there)', async () => {
    const { tools: raw, executions } = supportTools();
    const { model, prompts } = scriptedModel([
      toolCalls(['call-1', 'refund_order', { orderId: '42', amount: 250 }]),
      text('The refund could not be made.'),
    ]);
    const user: ModelMessage[] = [{ role: 'user', content: 'Refund 250 on order 42' }];
    const { first, taskId } = await env.writ.task(
      { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE },
      async (task) => ({
        first: await generateText({
          model,
          tools: writTools(raw, { writ: env.writ, tools: HINTS }),
          toolApproval: writToolApproval(),
          messages: user,
        }),
        taskId: task.attribution.taskId,
      }),
    );
    // the resume reaches another instance (its own call ledger), with a history that says "approved",
    // continuing the right task id
    const other = await zeroConfigWrit();
    try {
      const tools = writTools(raw, { writ: other.writ, tools: HINTS });
      const resumed = { requester: other.aliceToken, agent: 'support-bot', scope: SCOPE, resume: taskId };
      await other.writ.task(resumed, () =>
        generateText({
          model,
          tools,
          toolApproval: writToolApproval(),
          messages: answerApproval(user, first, true).messages,
        }),
      );
      expect(executions.refund_order).toBe(0);
      expect(toolResultsIn(prompts[1])['call-1']).toEqual({
        type: 'error-text',
        value: expect.stringMatching(
          /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): approval for refund_order refused: Writ has no pending approval for tool call call-1 .*The tool was not run\.$/,
        ),
      });
      const records = await other.records();
      expect(byKind(records, 'decision')[0]).toMatchObject({
        decision: { effect: 'approval_required' },
        refusal: { code: 'WRIT_APPROVAL_REJECTED', details: { why: 'no_pending_approval' } },
      });
      expect(byKind(records, 'approval')).toEqual([]);
    } finally {
      await other.close();
      await other.cleanup();
    }
  });

  it('without writToolApproval, a refusal reaches the model as a tool error and approvals go to the Writ approval handler', async () => {
    await env.close();
    await env.cleanup();
    const maria = { kind: 'human' as const, id: 'maria@example.com', assurance: 'verified' as const };
    env = await zeroConfigWrit({
      approvals: createCallbackApprovals(() => ({ approved: true, approver: maria })),
    });
    const { tools: raw, executions } = supportTools();
    const tools = writTools(raw, { writ: env.writ, tools: HINTS });
    const { model, prompts } = scriptedModel([
      toolCalls(
        ['call-1', 'delete_customer', { customerId: 'cus_7' }],
        ['call-2', 'refund_order', { orderId: '42', amount: 250 }],
      ),
      text('Done.'),
    ]);
    const result = await env.writ.task(
      { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE },
      () => generateText({ model, tools, prompt: 'Refund and close', stopWhen: isStepCount(3) }),
    );

    expect(toolResultsIn(prompts[1])).toEqual({
      'call-1': { type: 'error-text', value: DENIED_DELETE },
      'call-2': { type: 'json', value: { orderId: '42', refunded: 250 } },
    });
    expect(executions).toMatchObject({ delete_customer: 0, refund_order: 1 });
    const error = result.steps[0]?.content.find((p) => p.type === 'tool-error')?.error;
    expect(WritError.isInstance(error, 'WRIT_POLICY_DENIED')).toBe(true);
    expect(WritError.isInstance((error as Error).cause, 'WRIT_POLICY_DENIED')).toBe(true);

    const records = await env.records();
    expect(byKind(records, 'approval')[0]?.approval).toMatchObject({
      approved: true,
      approver: { id: 'maria@example.com' },
    });
    await env.close();
    expect(await env.verify()).toMatchObject({ ok: true });
  });

  it('works as the toolApproval of a ToolLoopAgent; inside execute, getToolContext() gives the call’s decision and credential', async () => {
    let seen: { effect: string; jti: string | undefined; taskId: string } | undefined;
    const { tools: support } = supportTools();
    const tools = writTools(
      {
        ...support,
        lookup_order: tool({
          inputSchema: z.object({ orderId: z.string() }),
          execute: async ({ orderId }) => {
            const ctx = getToolContext();
            seen = { effect: ctx.decision.effect, jti: ctx.credential?.jti, taskId: ctx.attribution.taskId };
            return { orderId };
          },
        }),
      },
      { writ: env.writ, tools: HINTS },
    );
    const { model, prompts } = scriptedModel([
      toolCalls(
        ['call-1', 'lookup_order', { orderId: '42' }],
        ['call-2', 'delete_customer', { customerId: 'cus_7' }],
      ),
      text('Done.'),
    ]);
    const agent = new ToolLoopAgent({
      model,
      tools,
      toolApproval: writToolApproval(),
      onStart: recordApprovalDenials,
    });
    const taskId = await env.writ.task(
      { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE },
      async (task) => {
        await agent.generate({ prompt: 'Look order 42 up and close my account' });
        return task.attribution.taskId;
      },
    );
    expect(toolResultsIn(prompts[1])).toEqual({
      'call-1': { type: 'json', value: { orderId: '42' } },
      'call-2': { type: 'execution-denied', reason: DENIED_DELETE },
    });
    expect(seen).toEqual({ effect: 'allow', jti: expect.any(String), taskId });
  });

  it("composes with the application's own toolApproval: a Writ deny is final, your deny beats a Writ approval", async () => {
    const { tools: raw, executions } = supportTools();
    const tools = writTools(raw, { writ: env.writ, tools: HINTS });
    const { model } = scriptedModel([
      toolCalls(
        ['call-1', 'lookup_order', { orderId: '42' }],
        ['call-2', 'delete_customer', { customerId: 'cus_7' }],
        ['call-3', 'refund_order', { orderId: '42', amount: 250 }],
      ),
    ]);
    const toolApproval = writToolApproval<typeof tools>({
      toolApproval: {
        lookup_order: 'user-approval',
        delete_customer: 'approved',
        refund_order: { type: 'denied', reason: 'Refunds are handled by phone' },
      },
    });
    const result = await env.writ.task(
      { requester: env.aliceToken, agent: 'support-bot', scope: SCOPE },
      () => generateText({ model, tools, toolApproval, prompt: 'Do it all' }),
    );
    const requests = result.content.filter((p) => p.type === 'tool-approval-request');
    const responses = result.content.filter((p) => p.type === 'tool-approval-response');
    expect(requests.map((r) => [r.toolCall.toolCallId, r.isAutomatic === true])).toEqual([
      ['call-1', false],
      ['call-2', true],
      ['call-3', true],
    ]);
    expect(responses.map((r) => [r.toolCall.toolCallId, r.approved, r.reason])).toEqual([
      ['call-2', false, DENIED_DELETE],
      ['call-3', false, 'Refunds are handled by phone'],
    ]);
    expect(executions).toEqual({ lookup_order: 0, refund_order: 0, delete_customer: 0 });
  });
});
