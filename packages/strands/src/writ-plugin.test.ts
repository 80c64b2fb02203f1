// End to end through Strands' real agent loop (Agent, Zod tools, hooks, interrupts), driven by a scripted
// model (Strands ships no mock model: a Model subclass that streams scripted turns and keeps every
// request), on a zero-config Writ (local authority, shipped Cedar policies, strict file audit log) and a
// real OpenTelemetry SDK tracer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, InterruptResponseContent, type Plugin, tool } from '@strands-agents/sdk';
import type { ToolContext } from '@writ/core';
import { tryGetToolContext } from '@writ/core';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import {
  approvalsOf,
  DENIED_DELETE,
  expectSupportDeskEvidence,
  outcomesOf,
  readRecords,
  SUPPORT_DESK_HINTS,
} from '../../../test/adapters/support-desk-e2e.js';
import { callTool, resultSeen, ScriptedModel, say, type Turn } from './__support__/scripted.js';
import { approvalResponse, writApprovalRequests, writPlugin } from './index.js';

// ---------------------------------------------------------------------------------------------
// The support desk

const hints = SUPPORT_DESK_HINTS;

function supportTools(executed: string[], seen: ToolContext[] = []) {
  return [
    tool({
      name: 'lookup_order',
      description: 'Read an order',
      inputSchema: z.object({ orderId: z.string() }),
      callback: ({ orderId }) => {
        executed.push(`lookup_order ${orderId}`);
        return { orderId, status: 'delivered, damaged', total: 480 };
      },
    }),
    tool({
      name: 'refund_order',
      description: 'Refund part of an order',
      inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
      callback: ({ orderId, amount }) => {
        executed.push(`refund_order ${orderId} ${amount}`);
        const ctx = tryGetToolContext();
        if (ctx !== undefined) seen.push(ctx);
        return { refunded: amount, orderId };
      },
    }),
    tool({
      name: 'delete_customer',
      description: 'Delete a customer account',
      inputSchema: z.object({ customerId: z.string() }),
      callback: ({ customerId }) => {
        executed.push(`delete_customer ${customerId}`);
        return { deleted: customerId };
      },
    }),
  ];
}

let dir: string;
let writ: WritRuntime;
let tracing: TestTracing;
let alice: string | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-strands-'));
  tracing = startTestTracing();
  writ = createWrit({ dir, service: 'support-desk' });
  alice = await (await writ.ready()).localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
});

afterEach(async () => {
  await tracing.shutdown();
  await rm(dir, { recursive: true, force: true });
});

function desk(script: Turn[], executed: string[], seen: ToolContext[] = [], plugin?: Plugin) {
  const model = new ScriptedModel(script);
  const agent = new Agent({
    model,
    tools: supportTools(executed, seen),
    plugins: [plugin ?? writPlugin({ writ, tools: hints })],
    printer: false,
  });
  return { model, agent };
}

const ticket = () => ({ requester: alice, agent: 'support-bot', scope: ['orders:*'] });

describe('writPlugin on Strands’ real agent loop (scripted Model, no network)', () => {
  it('allows, denies (the model reads the refusal and the run goes on), stops on a Strands interrupt for approval, and runs the approved call on resume', async () => {
    const executed: string[] = [];
    const seen: ToolContext[] = [];
    const { model, agent } = desk(
      [
        callTool('call_lookup_1', 'lookup_order', { orderId: '42' }),
        callTool('call_delete_1', 'delete_customer', { customerId: 'cus_7' }),
        callTool('call_refund_1', 'refund_order', { orderId: '42', amount: 250 }),
        say('Refunded 250 on order 42.'),
      ],
      executed,
      seen,
    );
    // request 1: the run stops on Writ's interrupt; the task id travels in Writ's request
    const first = await writ.task(ticket(), async (task) => ({
      result: await agent.invoke('The item in order 42 arrived damaged.'),
      taskId: task.attribution.taskId,
    }));
    expect(first.result.stopReason).toBe('interrupt');
    const [pending, ...others] = writApprovalRequests(first.result);
    expect(others).toEqual([]);
    if (pending === undefined) throw new Error('no approval request');
    expect(pending.request).toMatchObject({
      type: 'writ.approval_request',
      toolCallId: 'call_refund_1',
      taskId: first.taskId,
      tool: 'refund_order',
      args: { orderId: '42', amount: 250 },
    });
    expect(executed).toEqual(['lookup_order 42']);
    expect(model.requests).toHaveLength(3); // the model is not asked again while the call waits

    // request 2: a human answers later, in a request that continues the task that asked
    const second = await writ.task({ ...ticket(), resume: pending.request.taskId }, () =>
      agent.invoke([
        approvalResponse(pending.interruptId, {
          approved: true,
          approver: { id: 'maria@example.com', name: 'Maria' },
        }),
      ]),
    );
    expect(second.stopReason).toBe('endTurn');
    expect(executed).toEqual(['lookup_order 42', 'refund_order 42 250']);
    expect(resultSeen(model.requests[3], 'call_refund_1')).toEqual({
      status: 'success',
      text: JSON.stringify({ refunded: 250, orderId: '42' }),
    });
    expect(model.script).toEqual([]);

    // the denied call: the model's next request carries Writ's refusal, word for word, as an error result
    expect(resultSeen(model.requests[2], 'call_delete_1')).toEqual({ status: 'error', text: DENIED_DELETE });
    expect(executed).not.toContain('delete_customer cus_7');

    // the records carry Strands' ids (the agent and its session); Writ enriches Strands' own execute_tool
    // span of an allowed call (no second span), a call refused in the hook gets its span under Strands'
    // loop cycle, and on resume the approved call runs first
    await expectSupportDeskEvidence({
      writ,
      dir,
      tracing,
      taskId: first.taskId,
      bindingHash: pending.request.bindingHash,
      seen,
      framework: () => ({ name: 'strands', ids: { agentId: agent.id, sessionId: agent.sessionId } }),
      tree: [
        'invoke_agent Strands Agent',
        '  execute_agent_loop_cycle',
        '    chat',
        '    execute_tool lookup_order',
        '  execute_agent_loop_cycle',
        '    chat',
        '    execute_tool delete_customer',
        '  execute_agent_loop_cycle',
        '    chat',
        'invoke_agent Strands Agent',
        '  execute_agent_loop_cycle',
        '    execute_tool refund_order',
        '  execute_agent_loop_cycle',
        '    chat',
      ],
      toolSpanParent: /^execute_agent_loop_cycle$/,
    });
  });

  it('a declined approval is recorded and the model reads Writ’s refusal; the tool never runs', async () => {
    const executed: string[] = [];
    const { model, agent } = desk(
      [
        callTool('call_refund_2', 'refund_order', { orderId: '42', amount: 900 }),
        say('I could not refund it.'),
      ],
      executed,
    );
    const first = await writ.task(ticket(), async (task) => ({
      result: await agent.invoke('Refund 900 on order 42.'),
      taskId: task.attribution.taskId,
    }));
    const [pending] = writApprovalRequests(first.result);
    if (pending === undefined) throw new Error('no approval request');
    await writ.task({ ...ticket(), resume: first.taskId }, () =>
      agent.invoke([
        approvalResponse(pending.interruptId, {
          approved: false,
          reason: 'refunds over 500 need a manager',
          approver: { id: 'maria@example.com' },
        }),
      ]),
    );
    expect(executed).toEqual([]);
    await writ.close();
    const records = await readRecords(dir);
    const [approval] = approvalsOf(records, 'refund_order');
    expect(approval?.approval).toMatchObject({ approved: false, approver: { id: 'maria@example.com' } });
    const [outcome] = outcomesOf(records, 'refund_order');
    expect(outcome?.outcome).toMatchObject({ status: 'refused', errorCode: 'WRIT_APPROVAL_REJECTED' });
    const seenByModel = resultSeen(model.requests[1], 'call_refund_2');
    expect(seenByModel?.status).toBe('error');
    expect(seenByModel?.text).toMatch(
      /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): .*refunds over 500 need a manager/,
    );
    expect(model.script).toEqual([]);
  });

  it('an approval answered in another task is asked afresh there (a new interrupt), and never runs', async () => {
    const executed: string[] = [];
    const { agent } = desk(
      [callTool('call_refund_3', 'refund_order', { orderId: '42', amount: 90 })],
      executed,
    );
    const first = await writ.task(ticket(), () => agent.invoke('Refund 90 on order 42.'));
    const [pending] = writApprovalRequests(first);
    if (pending === undefined) throw new Error('no approval request');
    // a new task (no resume): the answer does not apply here; the call waits for its own approval
    const again = await writ.task(ticket(), () =>
      agent.invoke([approvalResponse(pending.interruptId, { approved: true })]),
    );
    expect(again.stopReason).toBe('interrupt');
    const [fresh] = writApprovalRequests(again);
    expect(fresh?.interruptId).not.toBe(pending.interruptId);
    expect(fresh?.request.taskId).not.toBe(pending.request.taskId);
    expect(executed).toEqual([]);
    await writ.close();
    const records = await readRecords(dir);
    expect(approvalsOf(records, 'refund_order')).toEqual([]);
    expect(outcomesOf(records, 'refund_order')).toEqual([]);
  });

  it('a tool that throws: the model reads Strands’ own error result, Writ records the outcome as an error; a malformed answer is a decline', async () => {
    const failing = tool({
      name: 'lookup_order',
      description: 'Read an order',
      inputSchema: z.object({ orderId: z.string() }),
      callback: () => {
        throw new Error('orders database unreachable');
      },
    });
    const model = new ScriptedModel([
      callTool('call_lookup_9', 'lookup_order', { orderId: '42' }),
      callTool('call_refund_9', 'refund_order', { orderId: '42', amount: 90 }),
      say('Sorry.'),
    ]);
    const executed: string[] = [];
    const agent = new Agent({
      model,
      tools: [failing, ...supportTools(executed).slice(1)],
      plugins: [writPlugin({ writ, tools: hints })],
      printer: false,
    });
    const first = await writ.task(ticket(), async (task) => ({
      result: await agent.invoke('Where is order 42?'),
      taskId: task.attribution.taskId,
    }));
    expect(resultSeen(model.requests[1], 'call_lookup_9')).toEqual({
      status: 'error',
      text: 'Error: orders database unreachable',
    });
    const [pending] = writApprovalRequests(first.result);
    if (pending === undefined) throw new Error('no approval request');
    await writ.task({ ...ticket(), resume: first.taskId }, () =>
      agent.invoke([
        new InterruptResponseContent({ interruptId: pending.interruptId, response: 'yes please' }),
      ]),
    );
    expect(executed).toEqual([]);
    expect(resultSeen(model.requests[2], 'call_refund_9')?.text).toMatch(
      /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): .*malformed/,
    );
    await writ.close();
    const records = await readRecords(dir);
    expect(outcomesOf(records, 'lookup_order').map((o) => o.outcome.status)).toEqual(['error']);
    expect(approvalsOf(records, 'refund_order').map((a) => a.approval.approved)).toEqual([false]);
  });

  it('refuses an invocation whose hints name no tool of the agent, before the model is asked', async () => {
    const executed: string[] = [];
    const plugin = writPlugin({ writ, tools: { refund_ordr: { risk: 'high' } } });
    const { model, agent } = desk([say('hi')], executed, [], plugin);
    await expect(writ.task(ticket(), () => agent.invoke('hello'))).rejects.toThrow(
      /options\.tools\.refund_ordr: no tool is named "refund_ordr" \(did you mean "refund_order"\?\)/,
    );
    expect(model.requests).toEqual([]);
  });

  it('refuses options it does not know', () => {
    expect(() => writPlugin({ writ, tool: {} } as never)).toThrow(/WRIT_OPTIONS_INVALID|tool/);
  });
});
