// End to end through ADK's real agent loop (InMemoryRunner, LlmAgent, FunctionTool, ADK's tool
// confirmation), driven by a scripted model (ADK ships no mock model: a BaseLlm subclass that answers
// from a script and keeps every request), on a zero-config Writ (local authority, shipped Cedar
// policies, strict file audit log) and a real OpenTelemetry SDK tracer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseLlm, type BasePlugin, FunctionTool, InMemoryRunner, LlmAgent } from '@google/adk';
import type { ToolContext } from '@writ/core';
import { tryGetToolContext } from '@writ/core';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
import { approvalResponse, writApprovalRequests, writPlugin } from './index.js';

// ---------------------------------------------------------------------------------------------
// The scripted model
type LlmRequest = Parameters<BaseLlm['generateContentAsync']>[0];
type LlmResponse = Awaited<ReturnType<ReturnType<BaseLlm['generateContentAsync']>['next']>>['value'];
type Contents = LlmRequest['contents'];
type Step = NonNullable<LlmResponse>;

const callTool = (id: string, name: string, args: Record<string, unknown>): Step => ({
  content: { role: 'model', parts: [{ functionCall: { id, name, args } }] },
});
const say = (text: string): Step => ({ content: { role: 'model', parts: [{ text }] }, turnComplete: true });

class ScriptedLlm extends BaseLlm {
  readonly requests: Contents[] = [];
  constructor(readonly script: Step[]) {
    super({ model: 'scripted' });
  }
  async *generateContentAsync(request: LlmRequest): AsyncGenerator<Step, void> {
    this.requests.push(structuredClone(request.contents));
    const step = this.script.shift();
    if (step === undefined) throw new Error('the scripted model ran out of answers');
    yield step;
  }
  async connect(): Promise<never> {
    throw new Error('live connections are not scripted');
  }
}

/** What the model was shown as the response of one function call, in a request. */
function responseSeen(contents: Contents | undefined, id: string): unknown {
  for (const content of contents ?? []) {
    for (const part of content.parts ?? []) {
      if (part.functionResponse?.id === id) return part.functionResponse.response;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The support desk
const hints = SUPPORT_DESK_HINTS;

function supportTools(executed: string[], seen: ToolContext[] = []) {
  return [
    new FunctionTool({
      name: 'lookup_order',
      description: 'Read an order',
      parameters: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => {
        executed.push(`lookup_order ${orderId}`);
        return { orderId, status: 'delivered, damaged', total: 480 };
      },
    }),
    new FunctionTool({
      name: 'refund_order',
      description: 'Refund part of an order',
      parameters: z.object({ orderId: z.string(), amount: z.number() }),
      execute: async ({ orderId, amount }) => {
        executed.push(`refund_order ${orderId} ${amount}`);
        const ctx = tryGetToolContext();
        if (ctx !== undefined) seen.push(ctx);
        return { refunded: amount, orderId };
      },
    }),
    new FunctionTool({
      name: 'delete_customer',
      description: 'Delete a customer account',
      parameters: z.object({ customerId: z.string() }),
      execute: async ({ customerId }) => {
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
  dir = await mkdtemp(join(tmpdir(), 'writ-google-adk-'));
  tracing = startTestTracing();
  writ = createWrit({ dir, service: 'support-desk' });
  alice = await (await writ.ready()).localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
});
afterEach(async () => {
  await tracing.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function desk(script: Step[], executed: string[], seen: ToolContext[] = [], plugin?: BasePlugin) {
  const model = new ScriptedLlm(script);
  const agent = new LlmAgent({
    name: 'support_bot',
    instruction: 'Help.',
    model,
    tools: supportTools(executed, seen),
  });
  const runner = new InMemoryRunner({
    agent,
    appName: 'support-desk',
    plugins: [plugin ?? writPlugin({ writ, tools: hints })],
  });
  const session = await runner.sessionService.createSession({ appName: 'support-desk', userId: 'alice' });
  const send = async (newMessage: Parameters<typeof runner.runAsync>[0]['newMessage']) => {
    const events = [];
    for await (const event of runner.runAsync({ userId: 'alice', sessionId: session.id, newMessage })) {
      events.push(event);
    }
    return events;
  };
  return { model, send, sessionId: session.id };
}

const ticket = () => ({ requester: alice, agent: 'support-bot', scope: ['orders:*'] });
const user = (text: string) => ({ role: 'user', parts: [{ text }] });

describe('writPlugin on ADK’s real runner (scripted BaseLlm, no network)', () => {
  it('allows, denies (the model reads the refusal and the run goes on), pauses for approval through ADK’s tool confirmation, and runs the approved call on resume', async () => {
    const executed: string[] = [];
    const seen: ToolContext[] = [];
    const { model, send, sessionId } = await desk(
      [
        callTool('call_lookup_1', 'lookup_order', { orderId: '42' }),
        callTool('call_delete_1', 'delete_customer', { customerId: 'cus_7' }),
        callTool('call_refund_1', 'refund_order', { orderId: '42', amount: 250 }),
        say('Refunded 250 on order 42.'),
      ],
      executed,
      seen,
    );

    // request 1: the run pauses on ADK's confirmation; the task id travels in Writ's request
    const first = await writ.task(ticket(), async (task) => {
      const events = await send(user('The item in order 42 arrived damaged.'));
      return { events, taskId: task.attribution.taskId };
    });
    const [pending, ...others] = writApprovalRequests(first.events);
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
    await writ.task({ ...ticket(), resume: pending.request.taskId }, async () => {
      const answer = approvalResponse(pending.confirmationCallId, {
        approved: true,
        approver: { id: 'maria@example.com', name: 'Maria' },
      });
      await send(answer);
    });
    expect(executed).toEqual(['lookup_order 42', 'refund_order 42 250']);
    expect(responseSeen(model.requests[3], 'call_refund_1')).toEqual({ refunded: 250, orderId: '42' });
    expect(model.script).toEqual([]);

    // the denied call: the model's next request carries Writ's refusal, word for word, as `{ error }`
    expect(responseSeen(model.requests[2], 'call_delete_1')).toEqual({ error: DENIED_DELETE });
    expect(executed).not.toContain('delete_customer cus_7');

    // the records carry ADK's ids (the invocation, the session, the agent); Writ's execute_tool spans nest
    // under ADK's own agent spans, and ADK adds no second tool span (on resume ADK runs the confirmed call
    // before asking the model: the tool span is the agent's child)
    await expectSupportDeskEvidence({
      writ,
      dir,
      tracing,
      taskId: first.taskId,
      bindingHash: pending.request.bindingHash,
      seen,
      framework: () => ({
        name: 'google-adk',
        ids: { invocationId: expect.stringMatching(/^e-/), sessionId, agentName: 'support_bot' },
      }),
      tree: [
        'invocation',
        '  invoke_agent support_bot',
        '    call_llm',
        '      execute_tool lookup_order',
        '    call_llm',
        '      execute_tool delete_customer',
        '    call_llm',
        'invocation',
        '  invoke_agent support_bot',
        '    execute_tool refund_order',
        '    call_llm',
      ],
      toolSpanParent: /^(invoke_agent support_bot|call_llm)$/,
    });
  });

  it('a declined approval is recorded and the model reads Writ’s refusal; the tool never runs', async () => {
    const executed: string[] = [];
    const { model, send } = await desk(
      [
        callTool('call_refund_2', 'refund_order', { orderId: '42', amount: 900 }),
        say('I could not refund it.'),
      ],
      executed,
    );
    const first = await writ.task(ticket(), async (task) => ({
      events: await send(user('Refund 900 on order 42.')),
      taskId: task.attribution.taskId,
    }));
    const [pending] = writApprovalRequests(first.events);
    if (pending === undefined) throw new Error('no approval request');
    await writ.task({ ...ticket(), resume: first.taskId }, async () => {
      await send(
        approvalResponse(pending.confirmationCallId, {
          approved: false,
          reason: 'refunds over 500 need a manager',
          approver: { id: 'maria@example.com' },
        }),
      );
    });
    expect(executed).toEqual([]);
    await writ.close();
    const records = await readRecords(dir);
    const [approval] = approvalsOf(records, 'refund_order');
    expect(approval?.approval).toMatchObject({ approved: false, approver: { id: 'maria@example.com' } });
    const [outcome] = outcomesOf(records, 'refund_order');
    expect(outcome?.outcome).toMatchObject({ status: 'refused', errorCode: 'WRIT_APPROVAL_REJECTED' });
    const seenByModel = responseSeen(model.requests[1], 'call_refund_2') as { error?: string };
    expect(seenByModel.error).toMatch(
      /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): .*refunds over 500 need a manager/,
    );
    expect(model.script).toEqual([]);
  });

  it('an approval answered in another task is refused by ADK (no Writ approval pending there), twice, and never runs', async () => {
    const executed: string[] = [];
    const { send } = await desk(
      [callTool('call_refund_3', 'refund_order', { orderId: '42', amount: 90 })],
      executed,
    );
    const first = await writ.task(ticket(), async () => send(user('Refund 90 on order 42.')));
    const [pending] = writApprovalRequests(first);
    if (pending === undefined) throw new Error('no approval request');
    // a new task (no resume): nothing Writ asked applies here; a retry changes nothing
    const answer = approvalResponse(pending.confirmationCallId, { approved: true });
    for (let i = 0; i < 2; i++) {
      await expect(writ.task(ticket(), () => send(answer))).rejects.toThrow(/confirmation_not_required/);
    }
    expect(executed).toEqual([]);
    await writ.close();
    const records = await readRecords(dir);
    // asked, never answered, never run: nothing was decided, approved or run for the other task
    expect(decisionsOf(records, 'refund_order')).toEqual([]);
    expect(approvalsOf(records, 'refund_order')).toEqual([]);
    expect(outcomesOf(records, 'refund_order')).toEqual([]);
  });

  it('governs a sub-agent’s calls after a transfer (the transfer itself decided and recorded as a read-only call)', async () => {
    const executed: string[] = [];
    const billingModel = new ScriptedLlm([
      callTool('call_delete_9', 'delete_customer', { customerId: 'cus_7' }),
      say('I cannot delete the account.'),
    ]);
    const billing = new LlmAgent({
      name: 'billing',
      description: 'Handles accounts and refunds',
      instruction: 'Help.',
      model: billingModel,
      tools: supportTools(executed).filter((t) => t.name === 'delete_customer'),
    });
    const root = new LlmAgent({
      name: 'support_bot',
      instruction: 'Route.',
      model: new ScriptedLlm([callTool('call_transfer_1', 'transfer_to_agent', { agentName: 'billing' })]),
      subAgents: [billing],
    });
    const runner = new InMemoryRunner({
      agent: root,
      appName: 'support-desk',
      plugins: [writPlugin({ writ, tools: { delete_customer: hints.delete_customer } })],
    });
    const session = await runner.sessionService.createSession({ appName: 'support-desk', userId: 'alice' });
    await writ.task(ticket(), async () => {
      for await (const _ of runner.runAsync({
        userId: 'alice',
        sessionId: session.id,
        newMessage: user('Close my account.'),
      })) {
        // drained
      }
    });
    expect(executed).toEqual([]);
    expect(responseSeen(billingModel.requests[1], 'call_delete_9')).toEqual({
      error: expect.stringMatching(/^Refused by Writ \(WRIT_POLICY_DENIED\): delete_customer /),
    });
    await writ.close();
    const records = await readRecords(dir);
    const [transfer] = decisionsOf(records, 'transfer_to_agent');
    expect(transfer?.decision.effect).toBe('allow');
    expect(transfer?.call.framework?.ids?.agentName).toBe('support_bot');
    const [denied] = decisionsOf(records, 'delete_customer');
    expect(denied?.decision.effect).toBe('deny');
    expect(denied?.call.framework?.ids?.agentName).toBe('billing');
  });

  it('refuses a run whose hints name no tool of the agent, before the model is asked', async () => {
    const executed: string[] = [];
    const plugin = writPlugin({ writ, tools: { refund_ordr: { risk: 'high' } } });
    const { model, send } = await desk([say('hi')], executed, [], plugin);
    // ADK wraps what a plugin throws: `Error in plugin 'writ' during 'beforeRunCallback' callback: WritError: …`
    await expect(writ.task(ticket(), () => send(user('hello')))).rejects.toThrow(
      /WRIT_OPTIONS_INVALID|writPlugin: agent "support_bot": options\.tools\.refund_ordr: no tool is named "refund_ordr" \(did you mean "refund_order"\?\)/,
    );
    expect(model.requests).toEqual([]);
  });

  it('refuses options it does not know', () => {
    expect(() => writPlugin({ writ, tool: {} } as never)).toThrow(/WRIT_OPTIONS_INVALID|tool/);
  });
});
