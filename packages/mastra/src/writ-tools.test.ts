// End to end through Mastra's real agent loop (Agent.generate / stream, resumeGenerate,
// approveToolCallGenerate / declineToolCallGenerate, snapshots in Mastra's InMemoryStore), driven by
// Mastra's own scripted model (MastraLanguageModelV2Mock), on a zero-config Writ (local authority,
// shipped Cedar policies, strict file audit log) and a real OpenTelemetry SDK tracer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { MastraLanguageModelV2Mock } from '@mastra/core/test-utils/llm-mock';
import { createTool } from '@mastra/core/tools';
import { trace } from '@opentelemetry/api';
import { readLines, verifyLog } from '@writ/audit';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, tryGetToolContext, type WritError, type WritRuntime } from 'writ';
import { z } from 'zod';
import { isWritApprovalRequest, type WritApprovalRequest, writTools } from './index.js';

// ---------------------------------------------------------------------------------------------
// Mastra's scripted model: one scripted answer per model call; every prompt is kept
type MockConfig = NonNullable<ConstructorParameters<typeof MastraLanguageModelV2Mock>[0]>;
type DoGenerate = Extract<NonNullable<MockConfig['doGenerate']>, (...args: never[]) => unknown>;
type DoStream = Extract<NonNullable<MockConfig['doStream']>, (...args: never[]) => unknown>;
type Step = Awaited<ReturnType<DoGenerate>>;
type StreamPart = Awaited<ReturnType<DoStream>>['stream'] extends ReadableStream<infer P> ? P : never;
type Prompt = Parameters<DoGenerate>[0]['prompt'];

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
const callTool = (toolCallId: string, toolName: string, input: unknown): Step => ({
  content: [{ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) }],
  finishReason: 'tool-calls',
  usage,
  warnings: [],
});
const say = (text: string): Step => ({
  content: [{ type: 'text', text }],
  finishReason: 'stop',
  usage,
  warnings: [],
});

function scriptedModel(script: Step[]) {
  const prompts: Prompt[] = [];
  const next = (prompt: Prompt): Step => {
    prompts.push(prompt);
    const step = script.shift();
    if (step === undefined) throw new Error('the scripted model ran out of answers');
    return step;
  };
  const model = new MastraLanguageModelV2Mock({
    doGenerate: async ({ prompt }) => next(prompt),
    doStream: async ({ prompt }) => {
      const step = next(prompt);
      const parts: StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      for (const part of step.content) {
        if (part.type === 'text')
          parts.push(
            { type: 'text-start', id: 't' },
            { type: 'text-delta', id: 't', delta: part.text },
            { type: 'text-end', id: 't' },
          );
        else if (part.type === 'tool-call') parts.push(part);
      }
      parts.push({ type: 'finish', finishReason: step.finishReason, usage: step.usage });
      const stream = new ReadableStream({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  });
  return { model, prompts, remaining: () => script.length };
}

/** What the model was shown as the result of one tool call, in a prompt. */
function toolOutput(prompt: Prompt | undefined, toolCallId: string): unknown {
  for (const message of prompt ?? []) {
    if (message.role !== 'tool') continue;
    for (const part of message.content)
      if (part.type === 'tool-result' && part.toolCallId === toolCallId) return part.output;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Writ records
interface Rec {
  kind: string;
  taskId?: string;
  /** task-start: the request continued a task opened earlier. */
  resumed?: true;
  traceId?: string;
  spanId?: string;
  call?: { id: string; name: string; framework?: { name: string; ids?: Record<string, string> } };
  decision?: { effect: string; decisionId: string; policyIds: string[] };
  refusal?: { code: string; message: string };
  approval?: { approved: boolean; approver: { id: string; assurance: string } | null; bindingHash: string };
  outcome?: { status: string; errorCode?: string };
}

async function records(dir: string): Promise<Rec[]> {
  const out: Rec[] = [];
  for await (const line of readLines(join(dir, 'audit'))) out.push(JSON.parse(line.bytes.toString()).r);
  return out;
}
function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
const forCall = (all: Rec[], id: string) => all.filter((r) => r.call?.id === id);

// ---------------------------------------------------------------------------------------------
// The support desk: three tools, one agent
const orderInput = z.object({ orderId: z.string() });

function supportDesk(writ: WritRuntime, script: Step[]) {
  const ran: string[] = [];
  const lookupOrder = createTool({
    id: 'lookup-order',
    description: 'Read an order',
    inputSchema: orderInput,
    execute: async ({ orderId }) => {
      ran.push('lookup_order');
      return { orderId, status: 'delivered', total: 480, customerId: 'cus_7' };
    },
  });
  const refundOrder = createTool({
    id: 'refund-order',
    description: 'Refund part of an order',
    // `reason` has a default: Mastra resumes with the model's raw arguments, Writ must still match
    inputSchema: z.object({ orderId: z.string(), amount: z.number(), reason: z.string().default('damaged') }),
    execute: async ({ orderId, amount, reason }) => {
      ran.push('refund_order');
      // the Writ credential of this call is there for the tool, inside Mastra's execute
      return { orderId, refunded: amount, reason, credential: tryGetToolContext()?.credential !== undefined };
    },
  });
  const deleteCustomer = createTool({
    id: 'delete-customer',
    description: 'Delete a customer account',
    inputSchema: z.object({ customerId: z.string() }),
    execute: async () => {
      ran.push('delete_customer');
      return { deleted: true };
    },
  });
  const tools = writTools(
    { lookup_order: lookupOrder, refund_order: refundOrder, delete_customer: deleteCustomer },
    {
      writ,
      tools: {
        lookup_order: { permission: 'orders:read', annotations: { readOnly: true }, risk: 'low' },
        refund_order: {
          permission: 'orders:refund',
          risk: 'high',
          resource: (a) => ({ type: 'Order', id: (a as { orderId: string }).orderId }),
        },
        delete_customer: { permission: 'customers:delete' },
      },
    },
  );
  const { model, prompts, remaining } = scriptedModel(script);
  const agent = new Agent({
    id: 'support',
    name: 'Support',
    instructions: 'You resolve support tickets.',
    model,
    tools,
  });
  const mastra = new Mastra({ agents: { support: agent }, storage: new InMemoryStore(), logger: false });
  return { agent: mastra.getAgent('support'), tools, ran, prompts, remaining };
}

const memory = { thread: 'thread-1', resource: 'alice' };
const DELETE_REFUSED =
  'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run.';

let dir: string;
let tracing: TestTracing;
let writ: WritRuntime;
let alice: string;
let verifierKey: string | undefined;
let closed: boolean;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-mastra-'));
  tracing = startTestTracing();
  writ = createWrit({ dir, service: 'support-desk' });
  closed = false;
  const { localIdentity, fileAudit } = await writ.ready();
  verifierKey = fileAudit?.verifierKey;
  alice = (await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' })) as string;
});
afterEach(async () => {
  if (!closed) await writ.close();
  await tracing.shutdown();
  await rm(dir, { recursive: true, force: true });
});

/** Alice's request, in a task of its own. */
const task = <T>(fn: () => Promise<T>) =>
  writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'] }, fn);
/** Alice's request that answers an approval: it continues the task that asked. */
const resume = <T>(taskId: string, fn: () => Promise<T>) =>
  writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'], resume: taskId }, fn);
/** The approval request a suspended run carries. */
const requestOf = (output: { suspendPayload?: { suspendPayload?: unknown } }) =>
  output.suspendPayload?.suspendPayload as WritApprovalRequest;
const span = <T>(name: string, fn: () => Promise<T>) =>
  trace.getTracer('test').startActiveSpan(name, async (s) => {
    try {
      return await fn();
    } finally {
      s.end();
    }
  });

/** Closes the Writ instance (task end, final checkpoint) and verifies its log. */
async function verified() {
  await writ.close();
  closed = true;
  return verifyLog(join(dir, 'audit'), { verifierKey, deep: true });
}

describe('writTools in the Mastra agent loop', () => {
  it('allows, denies (the model sees the refusal and the run goes on), suspends for approval and runs the approved call once', async () => {
    const desk = supportDesk(writ, [
      callTool('call-lookup', 'lookup_order', { orderId: '42' }),
      callTool('call-delete', 'delete_customer', { customerId: 'cus_7' }),
      callTool('call-refund', 'refund_order', { orderId: '42', amount: 250 }),
      say('Refunded 250 on order 42.'),
    ]);
    const { first, second } = await span('chat support', async () => {
      // request 1: the run suspends on the refund
      const first = await task(() =>
        span('invoke_agent support', () =>
          desk.agent.generate('Refund the damaged item on order 42 and close the account', { memory }),
        ),
      );
      // request 2: the answer, in the task the approval request names
      const second = await resume(requestOf(first).taskId, () =>
        span('resume support', async () => {
          const pending = (await desk.agent.listSuspendedRuns({ threadId: 'thread-1' })).runs[0];
          // the stored run carries Writ's request, and so the task to continue
          expect(pending?.toolCalls[0]?.suspendPayload).toMatchObject({ taskId: requestOf(first).taskId });
          return desk.agent.approveToolCallGenerate({
            runId: must(pending?.runId),
            toolCallId: 'call-refund',
            memory,
          });
        }),
      );
      return { first, second };
    });

    // 1. the run suspended on the refund: Writ's approval request is Mastra's suspend payload
    expect(first.finishReason).toBe('suspended');
    expect(first.suspendPayload).toMatchObject({ toolCallId: 'call-refund', toolName: 'refund_order' });
    const request = first.suspendPayload?.suspendPayload as WritApprovalRequest;
    expect(isWritApprovalRequest(request)).toBe(true);
    expect(request).toMatchObject({
      type: 'writ.approval_request',
      taskId: expect.any(String),
      tool: 'refund_order',
      // the arguments Writ decided on (schema default applied), which are the ones that will run
      args: { orderId: '42', amount: 250, reason: 'damaged' },
      message: 'refund_order needs human approval (cedar): high-risk tools need a human approval',
      policyIds: ['default.cedar#high-risk-needs-approval'],
    });
    expect(request.bindingHash).toMatch(/^sha256:[0-9a-f]{64}$/);

    // 2. what the model saw: the lookup result, and the refusal as the delete call's error result
    const afterDelete = desk.prompts[2];
    expect(toolOutput(afterDelete, 'call-lookup')).toEqual({
      type: 'json',
      value: { orderId: '42', status: 'delivered', total: 480, customerId: 'cus_7' },
    });
    expect(toolOutput(afterDelete, 'call-delete')).toEqual({ type: 'error-text', value: DELETE_REFUSED });

    // 3. approved and resumed: the refund ran once, the model got its result and finished
    expect(second.finishReason).toBe('stop');
    expect(second.text).toBe('Refunded 250 on order 42.');
    expect(toolOutput(desk.prompts[3], 'call-refund')).toEqual({
      type: 'json',
      value: { orderId: '42', refunded: 250, reason: 'damaged', credential: true },
    });
    expect(desk.ran).toEqual(['lookup_order', 'refund_order']);
    expect(desk.remaining()).toBe(0);

    // 4. spans: one execute_tool per call, under the agent turn that made it
    expect(tracing.tree()).toBe(
      [
        'chat support',
        '  invoke_agent support',
        '    execute_tool lookup_order',
        '    execute_tool delete_customer',
        '  resume support',
        '    execute_tool refund_order',
      ].join('\n'),
    );
    const spans = Object.fromEntries(tracing.toolSpans().map((s) => [s.name, s]));
    expect(spans['execute_tool delete_customer']?.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call-delete',
      'writ.policy.effect': 'deny',
      'error.type': 'WRIT_POLICY_DENIED',
    });
    expect(spans['execute_tool refund_order']?.attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call-refund',
      'writ.policy.effect': 'approval_required',
      'writ.approval.approver': 'alice@example.com',
    });

    // 5. the audit log: one decision, approval and outcome per call, Mastra's ids on each decision
    const all = await records(dir);
    const framework = {
      name: 'mastra',
      ids: { runId: first.runId, threadId: 'thread-1', resourceId: 'alice', agentId: 'support' },
    };
    expect(forCall(all, 'call-lookup').map((r) => [r.kind, r.decision?.effect ?? r.outcome?.status])).toEqual(
      [
        ['decision', 'allow'],
        ['outcome', 'ok'],
      ],
    );
    const [deleteDecision, deleteOutcome, ...noMoreDelete] = forCall(all, 'call-delete');
    expect(noMoreDelete).toEqual([]);
    expect(deleteDecision).toMatchObject({
      kind: 'decision',
      call: { name: 'delete_customer', framework },
      decision: { effect: 'deny' },
      refusal: { code: 'WRIT_POLICY_DENIED' },
    });
    expect(deleteOutcome).toMatchObject({
      kind: 'outcome',
      outcome: { status: 'refused', errorCode: 'WRIT_POLICY_DENIED' },
    });
    // suspended, then re-run by Mastra on resume: decided once, approved once, ran once
    const refund = forCall(all, 'call-refund');
    expect(refund.map((r) => r.kind)).toEqual(['approval-requested', 'approval', 'decision', 'outcome']);
    const [requested, approval, decision, outcome] = refund;
    // asking approval is recorded when Writ asks (check), bound to the same call
    expect(requested).toMatchObject({ bindingHash: request.bindingHash, mode: 'framework' });
    expect(approval?.approval).toMatchObject({
      approved: true,
      approver: { id: 'alice@example.com', assurance: 'verified' },
      bindingHash: request.bindingHash,
    });
    expect(decision).toMatchObject({
      call: { name: 'refund_order', framework },
      decision: { effect: 'approval_required', decisionId: request.decisionId },
      approval: { approved: true, bindingHash: request.bindingHash },
    });
    expect(outcome?.outcome?.status).toBe('ok');
    // every record of the conversation belongs to alice's one task (the one the request names, opened
    // by the first request and continued by the second) and to the trace of its span
    expect(new Set(all.filter((r) => r.kind !== 'checkpoint').map((r) => r.taskId))).toEqual(
      new Set([request.taskId]),
    );
    expect(all.filter((r) => r.kind === 'task-start').map((r) => r.resumed)).toEqual([undefined, true]);
    expect(decision?.traceId).toBe(spans['execute_tool refund_order']?.spanContext().traceId);

    expect(await verified()).toMatchObject({ ok: true, keyPinned: true });
  });

  it('declined approval: recorded with the reason, the model sees the refusal, the tool never runs', async () => {
    const desk = supportDesk(writ, [
      callTool('call-refund', 'refund_order', { orderId: '42', amount: 900 }),
      say('I could not refund order 42: the refund was not approved.'),
    ]);
    const first = await task(() => desk.agent.generate('Refund order 42 in full', { memory }));
    expect(first.finishReason).toBe('suspended');
    const final = await resume(requestOf(first).taskId, () =>
      desk.agent.declineToolCallGenerate({
        runId: must(first.runId),
        toolCallId: 'call-refund',
        reason: 'Amount too high',
        memory,
      }),
    );

    expect(final.text).toBe('I could not refund order 42: the refund was not approved.');
    expect(toolOutput(desk.prompts[1], 'call-refund')).toEqual({
      type: 'error-text',
      value:
        'Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: Amount too high. The tool was not run.',
    });
    expect(desk.ran).toEqual([]);

    const refund = forCall(await records(dir), 'call-refund');
    expect(refund.map((r) => r.kind)).toEqual(['approval-requested', 'approval', 'decision', 'outcome']);
    expect(refund[1]?.approval).toMatchObject({ approved: false, approver: null });
    expect(refund[2]).toMatchObject({
      decision: { effect: 'approval_required' },
      refusal: { code: 'WRIT_APPROVAL_REJECTED' },
      approval: { approved: false },
    });
    expect(refund[3]?.outcome).toMatchObject({ status: 'refused', errorCode: 'WRIT_APPROVAL_REJECTED' });
    expect(tracing.toolSpans().map((s) => [s.name, s.attributes['error.type']])).toEqual([
      ['execute_tool refund_order', 'WRIT_APPROVAL_REJECTED'],
    ]);
    expect(await verified()).toMatchObject({ ok: true });
  });

  it('streams: tool-call-suspended carries the request; resumeStream with a named approver runs the call', async () => {
    const desk = supportDesk(writ, [
      callTool('call-refund', 'refund_order', { orderId: '42', amount: 250, reason: 'late' }),
      say('Done.'),
    ]);
    const { suspended, runId } = await task(async () => {
      const stream = await desk.agent.stream('Refund order 42', { memory });
      let suspended: unknown;
      for await (const chunk of stream.fullStream)
        if (chunk.type === 'tool-call-suspended') suspended = chunk.payload.suspendPayload;
      return { suspended, runId: stream.runId };
    });
    const text = await resume((suspended as WritApprovalRequest).taskId, async () => {
      const resumed = await desk.agent.resumeStream(
        { approved: true, approver: { id: 'maria@example.com', name: 'Maria (support lead)' } },
        { runId, toolCallId: 'call-refund', memory },
      );
      return resumed.text;
    });

    expect(isWritApprovalRequest(suspended)).toBe(true);
    expect(text).toBe('Done.');
    expect(desk.ran).toEqual(['refund_order']);
    const refund = forCall(await records(dir), 'call-refund');
    expect(refund[1]?.approval).toMatchObject({
      approved: true,
      approver: { id: 'maria@example.com', assurance: 'asserted' },
      bindingHash: (suspended as WritApprovalRequest).bindingHash,
    });
    expect(refund.map((r) => r.kind)).toEqual(['approval-requested', 'approval', 'decision', 'outcome']);
    expect(await verified()).toMatchObject({ ok: true });
  });

  it('re-delivering a settled call (same toolCallId, simulated by calling execute again) replays it: no second run, one record (the replay)', async () => {
    const desk = supportDesk(writ, [
      callTool('call-refund', 'refund_order', { orderId: '42', amount: 250 }),
      say('Refunded.'),
    ]);
    const first = await task(() => desk.agent.generate('Refund order 42', { memory }));
    const request = requestOf(first);
    const again = await resume(request.taskId, async () => {
      await desk.agent.approveToolCallGenerate({
        runId: must(first.runId),
        toolCallId: 'call-refund',
        memory,
      });
      // what Mastra hands the tool on a resume of this call, delivered once more
      const execute = desk.tools.refund_order.execute as (i: unknown, c: unknown) => Promise<unknown>;
      const again = await execute(
        { orderId: '42', amount: 250 },
        {
          runId: first.runId,
          agent: {
            agentId: 'support',
            toolCallId: 'call-refund',
            threadId: 'thread-1',
            resourceId: 'alice',
            resumeData: { approved: true },
            suspendPayload: request,
            suspend: async () => undefined,
          },
        },
      );
      return again;
    });

    expect(again).toEqual({ orderId: '42', refunded: 250, reason: 'damaged', credential: true });
    expect(desk.ran).toEqual(['refund_order']);
    // no second decision, approval or run: the replay is recorded, in the task that asked
    expect(
      forCall(await records(dir), 'call-refund').map((r) => [r.kind, r.outcome?.status, r.taskId]),
    ).toEqual([
      ['approval-requested', undefined, request.taskId],
      ['approval', undefined, request.taskId],
      ['decision', undefined, request.taskId],
      ['outcome', 'ok', request.taskId],
      ['outcome', 'replayed', request.taskId],
    ]);
    expect(await verified()).toMatchObject({ ok: true });
  });

  it('refuses an approval for other arguments than the ones Writ decided on (tampered snapshot)', async () => {
    const desk = supportDesk(writ, [
      callTool('call-refund', 'refund_order', { orderId: '42', amount: 250 }),
      say('Sorry.'),
    ]);
    const first = await task(() => desk.agent.generate('Refund order 42', { memory }));
    const request = requestOf(first);
    // the answer comes in the task that asked, but the stored snapshot was changed
    await resume(request.taskId, async () => {
      const execute = desk.tools.refund_order.execute as (i: unknown, c: unknown) => Promise<unknown>;
      const error = await execute(
        { orderId: '42', amount: 250 },
        {
          runId: first.runId,
          agent: {
            toolCallId: 'call-refund',
            resumeData: { approved: true },
            suspendPayload: { ...request, args: { orderId: '42', amount: 9000, reason: 'damaged' } },
          },
        },
      ).catch((e: unknown) => e as WritError);
      expect(error).toMatchObject({ code: 'WRIT_APPROVAL_REJECTED' });
      expect((error as WritError).message).toMatch(
        /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): .*no pending approval/,
      );
    });
    expect(desk.ran).toEqual([]);
    expect(await verified()).toMatchObject({ ok: true });
  });
});

describe('tools that suspend themselves', () => {
  it('keep their own suspend/resume; each execution is its own Writ call', async () => {
    const seen: unknown[] = [];
    const confirmAddress = createTool({
      id: 'confirm-address',
      description: 'Ask the customer to confirm the shipping address, then update it',
      inputSchema: orderInput,
      suspendSchema: z.object({ question: z.string() }),
      resumeSchema: z.object({ address: z.string() }),
      execute: async ({ orderId }, ctx) => {
        seen.push(ctx.agent?.resumeData ?? null);
        if (ctx.agent?.resumeData === undefined)
          return ctx.agent?.suspend({ question: `Address for ${orderId}?` });
        return { orderId, address: ctx.agent.resumeData.address };
      },
    });
    const tools = writTools(
      { confirm_address: confirmAddress },
      { writ, tools: { confirm_address: { permission: 'orders:update', risk: 'low' } } },
    );
    const { model, prompts } = scriptedModel([
      callTool('call-address', 'confirm_address', { orderId: '42' }),
      say('Address updated.'),
    ]);
    const agent = new Mastra({
      agents: { support: new Agent({ id: 'support', name: 'Support', instructions: '-', model, tools }) },
      storage: new InMemoryStore(),
      logger: false,
    }).getAgent('support');

    const final = await task(async () => {
      const first = await agent.generate('Update the address of order 42', { memory });
      expect(first.finishReason).toBe('suspended');
      expect(first.suspendPayload?.suspendPayload).toEqual({ question: 'Address for 42?' });
      return agent.resumeGenerate(
        { address: '1 Main St' },
        { runId: first.runId, toolCallId: 'call-address', memory },
      );
    });

    expect(final.text).toBe('Address updated.');
    expect(seen).toEqual([null, { address: '1 Main St' }]);
    expect(toolOutput(prompts[1], 'call-address')).toEqual({
      type: 'json',
      value: { orderId: '42', address: '1 Main St' },
    });
    const decisions = (await records(dir)).filter((r) => r.kind === 'decision');
    expect(decisions.map((r) => [r.call?.id, r.decision?.effect])).toEqual([
      ['call-address', 'allow'],
      [expect.stringMatching(/^call-address:resume:[0-9a-f]{12}$/), 'allow'],
    ]);
    expect(await verified()).toMatchObject({ ok: true });
  });
});

describe('other tool shapes', () => {
  it('a high-risk tool that suspends itself asks Writ for approval again before running on its own resume data', async () => {
    const ran: unknown[] = [];
    const changeAddress = createTool({
      id: 'change-address',
      description: 'Ask the customer for the new address, then change it',
      inputSchema: orderInput,
      suspendSchema: z.object({ question: z.string() }),
      resumeSchema: z.object({ address: z.string() }),
      execute: async ({ orderId }, ctx) => {
        ran.push(ctx.agent?.resumeData ?? null);
        if (ctx.agent?.resumeData === undefined) return ctx.agent?.suspend({ question: 'New address?' });
        return { orderId, address: ctx.agent.resumeData.address };
      },
    });
    const tools = writTools(
      { change_address: changeAddress },
      { writ, tools: { change_address: { permission: 'orders:update', risk: 'high' } } },
    );
    const { model } = scriptedModel([
      callTool('call-change', 'change_address', { orderId: '42' }),
      say('Changed.'),
    ]);
    const agent = new Mastra({
      agents: { support: new Agent({ id: 'support', name: 'Support', instructions: '-', model, tools }) },
      storage: new InMemoryStore(),
      logger: false,
    }).getAgent('support');

    const payloads: unknown[] = [];
    const first = await task(() => agent.generate('Change the address of order 42', { memory }));
    const { taskId } = requestOf(first);
    // every answer comes in a later request that continues the task that asked
    const answer = (data: unknown, runId: string | undefined) =>
      resume(taskId, () =>
        agent.resumeGenerate(data, { runId: must(runId), toolCallId: 'call-change', memory }),
      );
    payloads.push(first.suspendPayload?.suspendPayload); // Writ: approve the call
    const second = await answer({ approved: true }, first.runId);
    payloads.push(second.suspendPayload?.suspendPayload); // the tool: which address?
    const third = await answer({ address: '1 Main St' }, second.runId);
    payloads.push(third.suspendPayload?.suspendPayload); // Writ: approve running on that answer
    expect((payloads[2] as WritApprovalRequest).taskId).toBe(taskId);
    const final = await answer({ approved: true }, third.runId);

    expect(final.text).toBe('Changed.');
    expect(payloads.map((p) => (isWritApprovalRequest(p) ? 'writ' : p))).toEqual([
      'writ',
      { question: 'New address?' },
      'writ',
    ]);
    expect((payloads[2] as WritApprovalRequest).resume).toEqual({
      data: { address: '1 Main St' },
      payload: { question: 'New address?' },
    });
    // the tool saw its own answer only, never Writ's
    expect(ran).toEqual([null, { address: '1 Main St' }]);
    const calls = (await records(dir)).filter((r) => r.kind === 'decision');
    expect(calls.map((r) => [r.call?.id, r.decision?.effect, r.approval?.approved])).toEqual([
      ['call-change', 'approval_required', true],
      [expect.stringMatching(/^call-change:resume:[0-9a-f]{12}$/), 'approval_required', true],
    ]);
    expect(await verified()).toMatchObject({ ok: true });
  });

  it('gates AI SDK tools given to a Mastra agent too', async () => {
    const seen: unknown[] = [];
    const weather = {
      description: 'Current weather',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }: { city: string }, options: { toolCallId: string }) => {
        seen.push(options.toolCallId);
        return `Sunny in ${city}`;
      },
    };
    const tools = writTools({ weather }, { writ, tools: { weather: { annotations: { readOnly: true } } } });
    const { model, prompts } = scriptedModel([
      callTool('call-weather', 'weather', { city: 'Oslo' }),
      say('Sunny.'),
    ]);
    const agent = new Mastra({
      agents: { support: new Agent({ id: 'support', name: 'Support', instructions: '-', model, tools }) },
      storage: new InMemoryStore(),
      logger: false,
    }).getAgent('support');

    await task(() => agent.generate('Weather in Oslo?', { memory }));
    expect(seen).toEqual(['call-weather']);
    expect(toolOutput(prompts[1], 'call-weather')).toEqual({ type: 'text', value: 'Sunny in Oslo' });
    const [decision] = forCall(await records(dir), 'call-weather');
    expect(decision).toMatchObject({
      decision: { effect: 'allow' },
      call: { framework: { name: 'mastra' } },
    });
  });
});

describe('writTools options', () => {
  const ping = createTool({ id: 'ping', description: 'ping', execute: async () => 'pong' });

  it('validates options eagerly and never changes the given tools', () => {
    expect(() => writTools({ ping }, { writ, colour: 'blue' } as never)).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('colour') }),
    );
    const wrapped = writTools({ ping }, { writ });
    expect(wrapped.ping).not.toBe(ping);
    expect(wrapped.ping.id).toBe('ping');
    expect(ping.resumeSchema).toBeUndefined();
    expect(() => writTools(wrapped, { writ })).toThrow(/already wrapped/);
    const frozen = Object.freeze(createTool({ id: 'frozen', description: 'f', execute: async () => 1 }));
    expect(writTools({ frozen }, { writ }).frozen.execute).not.toBe(frozen.execute);
  });

  it('refuses hints for a tool it is not given, naming the closest one', () => {
    expect(() => writTools({ ping }, { writ, tools: { pingg: { risk: 'high' } } as never })).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: 'writTools: options.tools.pingg: no tool is named "pingg" (did you mean "ping"?)',
      }),
    );
    expect(() => writTools({ ping }, { writ, tools: { ping: { risk: 'low' } } })).not.toThrow();
  });

  it('refuses tools it cannot gate (no execute: provider-executed or client-side tools)', () => {
    expect(() => writTools({ web: { id: 'web', description: 'search' } }, { writ })).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('"web"') }),
    );
  });
});
