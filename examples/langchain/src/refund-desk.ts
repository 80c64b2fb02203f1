// The refund desk of docs/guides/langchain.md: a LangChain createAgent whose every tool call goes through
// Writ. The model is LangChain's scripted fakeModel(), so the example runs offline and always takes the
// same path: look order 42 up (allowed), delete customer cus_7 (refused by policy; the model is told
// and goes on), refund 30 (needs approval: the run pauses with LangGraph interrupt() until Maria answers).
import { join } from 'node:path';
import { Command, MemorySaver } from '@langchain/langgraph';
import { explainLog, formatExplain, verifyLog } from '@writ/audit';
import {
  isWritApprovalRequest,
  type WritApprovalAnswer,
  type WritApprovalRequest,
  writMiddleware,
} from '@writ/langchain';
import { AIMessage, type BaseMessage, createAgent, fakeModel, ToolMessage, tool } from 'langchain';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';

const orders = new Map([['42', { orderId: '42', customerId: 'cus_7', status: 'delivered', total: 480 }]]);

export interface RefundDeskResult {
  /** What the tools returned to the model, by tool call id (refusals included). */
  readonly toolResults: Record<string, { status: string; content: string }>;
  /** The approval request the run paused on. */
  readonly approvalRequest: WritApprovalRequest;
  readonly finalAnswer: string;
  readonly correlationId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
}

export async function runRefundDesk(options: {
  dir: string;
  print?: (line: string) => void;
}): Promise<RefundDeskResult> {
  const print = options.print ?? console.log;
  // Zero configuration beyond where to keep state: local authority, shipped Cedar policies, file log.
  const writ = createWrit({
    dir: options.dir,
    service: 'support-desk',
    agents: [
      defineAgent({
        id: 'support-bot',
        owner: 'support-platform@example.com',
        purpose: 'Resolve order tickets',
        scope: ['orders:*'],
      }),
    ],
  });
  const { localIdentity, fileAudit } = await writ.ready();
  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });

  // Plain LangChain tools: Writ does not change how they are written.
  const lookupOrder = tool(async ({ orderId }) => orders.get(orderId) ?? null, {
    name: 'lookup_order',
    description: 'Read an order',
    schema: z.object({ orderId: z.string() }),
  });
  const refundOrder = tool(async ({ orderId, amount }) => ({ orderId, refunded: amount, currency: 'EUR' }), {
    name: 'refund_order',
    description: 'Refund part of an order',
    schema: z.object({ orderId: z.string(), amount: z.number().positive() }),
  });
  const deleteCustomer = tool(async ({ customerId }) => `deleted ${customerId}`, {
    name: 'delete_customer',
    description: 'Delete a customer and their data',
    schema: z.object({ customerId: z.string() }),
  });

  // The scripted model: which tools it calls at each step.
  const model = fakeModel()
    .respondWithTools([
      { name: 'lookup_order', args: { orderId: '42' }, id: 'call_lookup' },
      { name: 'delete_customer', args: { customerId: 'cus_7' }, id: 'call_delete' },
    ])
    .respondWithTools([{ name: 'refund_order', args: { orderId: '42', amount: 30 }, id: 'call_refund' }])
    .respond(new AIMessage('Refunded EUR 30 on order 42. Deleting customers is not something I may do.'));

  const orderResource = ({ orderId }: { orderId: string }) => ({ type: 'Order', id: orderId });
  const tools = [lookupOrder, refundOrder, deleteCustomer];
  const agent = createAgent({
    model,
    tools,
    checkpointer: new MemorySaver(), // interrupt() needs one: the paused run waits in it
    middleware: [
      // typed by the agent's tools: a hint for any other name does not compile
      writMiddleware<typeof tools>({
        writ,
        // what the policy needs to know about each tool
        tools: {
          lookup_order: {
            permission: 'orders:read',
            annotations: { readOnly: true },
            resource: orderResource,
          },
          refund_order: { permission: 'orders:refund', risk: 'high', resource: orderResource },
          delete_customer: { permission: 'customers:delete' },
        },
      }),
    ],
  });

  const correlationId = 'ticket-42';
  const thread = { configurable: { thread_id: correlationId } };
  // Each request of alice's runs in a Writ task; the request that answers an approval continues the
  // task that asked (`resume`): an approval binds one call of one task of one requester.
  const asAlice = <T>(fn: () => Promise<T>, resume?: string) =>
    writ.task(
      {
        requester: aliceToken,
        agent: 'support-bot',
        intent: 'Refund 30 on order 42 and delete customer cus_7',
        scope: ['orders:*'],
        correlationId,
        ...(resume === undefined ? {} : { resume }),
      },
      fn,
    );

  const toolResults: Record<string, { status: string; content: string }> = {};
  const show = (messages: BaseMessage[]) => {
    for (const message of messages) {
      if (AIMessage.isInstance(message)) {
        for (const call of message.tool_calls ?? [])
          print(`  model  → ${call.name} ${JSON.stringify(call.args)}`);
        if (message.tool_calls?.length === 0 && typeof message.content === 'string')
          print(`  model  : ${message.content}`);
      }
      if (ToolMessage.isInstance(message)) {
        const content = String(message.content);
        toolResults[message.tool_call_id] = { status: message.status ?? 'success', content };
        print(`  ${message.name} ${message.status === 'error' ? '✖' : '✔'} ${content}`);
      }
    }
  };

  // 1. alice's request. Writ allows the lookup, refuses the deletion (the model is told, the run goes
  //    on) and pauses the run before the refund: its policy wants a human to approve it.
  print('alice  : Refund 30 on order 42, then delete customer cus_7');
  const first = await asAlice(() =>
    agent.invoke(
      { messages: [{ role: 'user', content: 'Refund 30 on order 42, then delete customer cus_7' }] },
      thread,
    ),
  );
  show(first.messages.slice(1));
  const approvalRequest = (first.__interrupt__ ?? []).map((i) => i.value).find(isWritApprovalRequest);
  if (approvalRequest === undefined) throw new Error('expected the run to pause for an approval');
  print(`  paused : ${approvalRequest.message}`);
  print(
    `           ${approvalRequest.tool} ${JSON.stringify(approvalRequest.args)}, answer by ${new Date(approvalRequest.expiresAt).toISOString()}`,
  );

  // 2. Maria, the support lead, approves in your approval UI; the thread continues where it paused, in
  //    the task that asked (the request names it). In any other task the answer would be refused and
  //    the refund judged afresh.
  const answer: WritApprovalAnswer = {
    approved: true,
    approver: { id: 'maria@example.com', name: 'Maria (support lead)' },
    toolCallId: approvalRequest.toolCallId,
  };
  print('maria  : approved');
  const second = await asAlice(
    () => agent.invoke(new Command({ resume: answer }), thread),
    approvalRequest.taskId,
  );
  show(second.messages.slice(first.messages.length)); // what happened after the pause
  const last = second.messages.at(-1);
  await writ.close();

  // 3. The evidence, checked offline.
  const auditDir = fileAudit?.dir ?? join(options.dir, 'audit');
  const verifierKey = fileAudit?.verifierKey ?? '';
  const verdict = await verifyLog(auditDir, { verifierKey, deep: true });
  print(
    `\nverify : ${verdict.ok ? `OK (${verdict.records} records)` : `FAILED at ${verdict.firstBadIndex}: ${verdict.reason}`}`,
  );
  print(formatExplain(await explainLog(auditDir, { correlationId })));
  return {
    toolResults,
    approvalRequest,
    finalAnswer: typeof last?.content === 'string' ? last.content : '',
    correlationId,
    auditDir,
    verifierKey,
  };
}
