import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { DynamicStructuredTool, tool } from '@langchain/core/tools';
import { Command, END, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hints, hintsFor, of, orderTools, startWrit } from './__support__/orders.js';
import { isWritApprovalRequest, type LangChainTool, writTool, writTools } from './index.js';

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

/** The plain LangGraph agent loop: model node, prebuilt ToolNode, checkpointer. */
function graphOf(tools: readonly LangChainTool[], model: ReturnType<typeof fakeModel>) {
  const bound = model.bindTools([...tools] as DynamicStructuredTool[]);
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({ messages: [await bound.invoke(state.messages)] }))
    .addNode('tools', new ToolNode([...tools]))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile({ checkpointer: new MemorySaver() });
}

/** Writ's approval requests among the interrupts a run stopped at (the state carries `__interrupt__`). */
const requests = (result: unknown) =>
  ((result as { __interrupt__?: { value?: unknown }[] }).__interrupt__ ?? [])
    .map((i) => i.value)
    .filter(isWritApprovalRequest);

function toolMessage(prompt: BaseMessage[] | undefined, toolCallId: string): ToolMessage {
  const found = prompt?.find(
    (m): m is ToolMessage => ToolMessage.isInstance(m) && m.tool_call_id === toolCallId,
  );
  if (found === undefined) throw new Error(`no ToolMessage for ${toolCallId} in the prompt`);
  return found;
}

/** Notes the tool call id every time the ToolNode invokes the (wrapped) tool. */
function counting<T extends LangChainTool>(tool: T, invoked: string[]): T {
  return new Proxy(tool, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'invoke') return value;
      return (input: { id?: string }, config?: unknown) => {
        invoked.push(input.id ?? '');
        return Reflect.apply(value as (...args: unknown[]) => unknown, target, [input, config]);
      };
    },
  });
}

describe('writTools with a StateGraph and the prebuilt ToolNode', () => {
  it('replays the calls that already ran when the ToolNode runs again after the approval', async () => {
    const { executed, lookupOrder, refundOrder, deleteCustomer } = orderTools();
    const invoked: string[] = [];
    const tools = writTools([lookupOrder, refundOrder, deleteCustomer], {
      writ: writ.writ,
      tools: hints,
    }).map((t) => counting(t, invoked));
    const model = fakeModel()
      .respondWithTools([
        { name: 'lookup_order', args: { orderId: '42' }, id: 'call_lookup' },
        { name: 'refund_order', args: { orderId: '42', amount: 30 }, id: 'call_refund' },
        { name: 'delete_customer', args: { customerId: 'cus_7' }, id: 'call_delete' },
      ])
      .respond(new AIMessage('Done.'));
    const agent = graphOf(tools, model);
    const config = { configurable: { thread_id: 'ticket-9' } };

    const first = await writ.task(() =>
      agent.invoke({ messages: [{ role: 'user', content: 'Refund 30 on 42, delete cus_7' }] }, config),
    );
    // the ToolNode ran the three calls at once: lookup ran, delete was refused, refund paused the node
    expect(executed).toEqual(['lookup_order']);
    const [request] = requests(first);
    expect(requests(first).map((r) => r.toolCallId)).toEqual(['call_refund']);

    // the answer continues the task that asked
    const second = await writ.resume(request?.taskId ?? '', () =>
      agent.invoke(new Command({ resume: { approved: true, toolCallId: 'call_refund' } }), config),
    );
    // the node ran all three calls again: the lookup was replayed, not run twice
    expect(invoked.filter((id) => id === 'call_lookup')).toHaveLength(2);
    expect(executed).toEqual(['lookup_order', 'refund_order']);
    expect(writ.decided).toEqual(['call_lookup', 'call_refund', 'call_delete']);
    const prompt = model.calls[1]?.messages;
    expect(toolMessage(prompt, 'call_lookup').content).toBe(
      '{"orderId":"42","status":"delivered","total":480}',
    );
    expect(toolMessage(prompt, 'call_refund')).toMatchObject({
      status: 'success',
      content: '{"orderId":"42","refunded":30}',
    });
    expect(toolMessage(prompt, 'call_delete')).toMatchObject({
      status: 'error',
      content:
        'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): ' +
        'destructive tools outside the task scope are denied. The tool was not run.',
    });
    expect(second.messages.at(-1)?.content).toBe('Done.');

    // one span per call: a replay starts none
    expect(
      tracing
        .toolSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['execute_tool delete_customer', 'execute_tool lookup_order', 'execute_tool refund_order']);
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    for (const id of ['call_lookup', 'call_refund', 'call_delete']) {
      expect(of(records, 'decision', id)).toHaveLength(1);
      expect(of(records, 'decision', id)[0]?.call?.framework).toMatchObject({
        name: 'langchain',
        ids: { thread_id: 'ticket-9', node: 'tools' },
      });
    }
    expect(records.filter((r) => r.kind === 'approval')).toHaveLength(1);
    // the calls the node ran again were replayed, recorded in the task that asked (no decision, no run)
    const outcomes = (id: string) => of(records, 'outcome', id).map((r) => [r.outcome?.status, r.taskId]);
    const taskId = request?.taskId;
    expect(outcomes('call_lookup')).toEqual([
      ['ok', taskId],
      ['replayed', taskId],
    ]);
    expect(outcomes('call_delete')).toEqual([['refused', taskId]]); // the deny is answered by check
    expect(outcomes('call_refund')).toEqual([['ok', taskId]]);
  });

  it('gives each of several approvals raised by one node its own answer', async () => {
    const { executed, refundOrder } = orderTools();
    const tools = writTools([refundOrder], { writ: writ.writ, tools: hintsFor('refund_order') });
    const model = fakeModel()
      .respondWithTools([
        { name: 'refund_order', args: { orderId: '42', amount: 10 }, id: 'call_a' },
        { name: 'refund_order', args: { orderId: '43', amount: 20 }, id: 'call_b' },
      ])
      .respond(new AIMessage('Both refunded.'));
    const agent = graphOf(tools, model);
    const config = { configurable: { thread_id: 'ticket-10' } };
    const asked: { toolCallId: string; bindingHash: string }[] = [];
    let result = await writ.task(() =>
      agent.invoke({ messages: [{ role: 'user', content: 'Refund both' }] }, config),
    );
    // LangGraph surfaces one interrupt of the node at a time; answer each, bound to its call, in the
    // task that asked
    while (requests(result).length > 0) {
      const [request] = requests(result);
      if (request === undefined) break;
      asked.push({ toolCallId: request.toolCallId, bindingHash: request.bindingHash });
      result = await writ.resume(request.taskId, () =>
        agent.invoke(new Command({ resume: { approved: true, toolCallId: request.toolCallId } }), config),
      );
    }
    expect(asked.map((a) => a.toolCallId).sort()).toEqual(['call_a', 'call_b']);
    expect(executed).toEqual(['refund_order', 'refund_order']);
    expect(result.messages.at(-1)?.content).toBe('Both refunded.');
    expect(toolMessage(model.calls[1]?.messages, 'call_a').content).toBe('{"orderId":"42","refunded":10}');
    expect(toolMessage(model.calls[1]?.messages, 'call_b').content).toBe('{"orderId":"43","refunded":20}');
    expect([...writ.decided].sort()).toEqual(['call_a', 'call_b']);
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    for (const { toolCallId, bindingHash } of asked) {
      expect(of(records, 'approval', toolCallId).map((r) => r.approval?.bindingHash)).toEqual([bindingHash]);
      expect(of(records, 'decision', toolCallId)).toHaveLength(1);
    }
    // the call approved first ran, then was replayed when the node ran again for the second answer
    const [firstAsked, secondAsked] = asked.map((a) => a.toolCallId);
    expect(of(records, 'outcome', firstAsked ?? '').map((r) => r.outcome?.status)).toEqual([
      'ok',
      'replayed',
    ]);
    expect(of(records, 'outcome', secondAsked ?? '').map((r) => r.outcome?.status)).toEqual(['ok']);
  });

  it('stays the same tool, and governs direct invocations too', async () => {
    const { executed, lookupOrder, refundOrder, deleteCustomer } = orderTools();
    const [lookup, refund, remove] = writTools([lookupOrder, refundOrder, deleteCustomer] as const, {
      writ: writ.writ,
      tools: hints,
    });
    expect(lookup).toBeInstanceOf(DynamicStructuredTool);
    expect(lookup.name).toBe('lookup_order');
    expect(lookup.schema).toBe(lookupOrder.schema);
    expect(lookup.description).toBe('Read an order');
    const faq = writTool(
      tool(async (question: string) => `FAQ on ${question}`, { name: 'search_faq', schema: z.string() }),
      { writ: writ.writ, tools: { search_faq: { annotations: { readOnly: true } } } },
    );

    await writ.task(async () => {
      // plain arguments: the tool's own output, or the refusal as a WritError
      expect(await lookup.invoke({ orderId: '42' })).toEqual({
        orderId: '42',
        status: 'delivered',
        total: 480,
      });
      expect(await faq.invoke('refunds')).toBe('FAQ on refunds');
      await expect(remove.invoke({ customerId: 'cus_7' })).rejects.toMatchObject({
        name: 'WritError',
        code: 'WRIT_POLICY_DENIED',
      });
      // a tool call outside a graph: there is nothing to interrupt, so the approval is refused
      const answer = await refund.invoke({
        type: 'tool_call',
        id: 'call_direct',
        name: 'refund_order',
        args: { orderId: '42', amount: 30 },
      });
      expect(answer).toBeInstanceOf(ToolMessage);
      expect(answer).toMatchObject({
        status: 'error',
        tool_call_id: 'call_direct',
        content: expect.stringMatching(
          /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): refund_order was not approved: LangGraph could not pause the run for approval: Called interrupt\(\) outside the context of a graph/,
        ),
      });
    });
    expect(executed).toEqual(['lookup_order']);
    expect(await writ.close()).toMatchObject({ ok: true });
    const records = await writ.records();
    expect(
      records.filter((r) => r.kind === 'decision').map((r) => [r.call?.name, r.call?.framework]),
    ).toEqual([
      ['lookup_order', { name: 'langchain' }],
      ['search_faq', { name: 'langchain' }],
      ['delete_customer', { name: 'langchain' }],
      ['refund_order', { name: 'langchain' }],
    ]);
  });

  it('refuses what is not a tool, and bad facts, when wrapping', () => {
    const invalid = (fn: () => unknown, pattern: RegExp) =>
      expect(fn).toThrow(
        expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringMatching(pattern) }),
      );
    const { lookupOrder } = orderTools();
    invalid(() => writTool({ name: 'x' } as never), /writTool: expected a LangChain tool/);
    invalid(() => writTools(lookupOrder as never), /writTools: expected an array/);
    invalid(
      () => writTool(lookupOrder, { tools: { lookup_order: { annotations: { readonly: true } } } } as never),
      /lookup_order/,
    );
    invalid(() => writTool(lookupOrder, { approvals: 'slack' } as never), /writTool: options\.approvals/);
  });

  it('refuses hints that name none of the tools, naming the closest', () => {
    const { lookupOrder, refundOrder } = orderTools();
    expect(() =>
      writTools([lookupOrder, refundOrder], { tools: { refund_ordr: { risk: 'high' } } as never }),
    ).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message:
          'writTools: options.tools.refund_ordr: no tool is named "refund_ordr" (did you mean "refund_order"?)',
      }),
    );
    // writTool's hints name its one tool
    expect(() => writTool(lookupOrder, { tools: { refund_order: { risk: 'high' } } as never })).toThrow(
      expect.objectContaining({
        code: 'WRIT_OPTIONS_INVALID',
        message: 'writTool: options.tools.refund_order: no tool is named "refund_order"',
      }),
    );
    expect(() => writTools([lookupOrder, refundOrder], { tools: hintsFor('refund_order') })).not.toThrow();
  });
});
