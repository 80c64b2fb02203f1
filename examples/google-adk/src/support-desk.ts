// A Google ADK support agent whose tools go through Writ (docs/guides/google-adk.md).
//
// alice asks the agent to refund the damaged item on order 42 and to close her account. The model
// looks the order up (read-only: allowed), tries to delete the customer (destructive and outside the
// task's scope: denied, and the model is told so), and refunds the order (high risk: Writ pauses the
// run with ADK's tool confirmation; Maria approves it in a later request that continues alice's task;
// the refund runs once).
import { FunctionTool, InMemoryRunner, LlmAgent, LogLevel, setLogLevel } from '@google/adk';
import {
  approvalResponse,
  type WritApprovalRequestCall,
  writApprovalRequests,
  writPlugin,
} from '@writ/google-adk';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';
import { ScriptedModel } from './scripted-model.ts';

const lookupOrder = new FunctionTool({
  name: 'lookup_order',
  description: 'Read an order',
  parameters: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => ({ orderId, status: 'delivered', total: 480, customerId: 'cus_7' }),
});
const refundOrder = new FunctionTool({
  name: 'refund_order',
  description: 'Refund part of an order',
  parameters: z.object({ orderId: z.string(), amount: z.number().positive() }),
  execute: async ({ orderId, amount }) => ({ orderId, refunded: amount }),
});
const deleteCustomer = new FunctionTool({
  name: 'delete_customer',
  description: 'Delete a customer account',
  parameters: z.object({ customerId: z.string() }),
  execute: async ({ customerId }) => ({ customerId, deleted: true }),
});

/** What one run of the support desk leaves behind, for checking the evidence. */
export interface SupportDeskRun {
  readonly taskId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
  readonly answer: string;
}

type Events = Awaited<ReturnType<InMemoryRunner['runAsync']> extends AsyncIterable<infer E> ? E[] : never>;
async function collect<T>(run: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of run) events.push(event);
  return events;
}

/** Runs the conversation, printing what happens through `print`. */
export async function runSupportDesk(options: {
  dir: string;
  print: (line: string) => void;
}): Promise<SupportDeskRun> {
  const { print } = options;
  setLogLevel(LogLevel.ERROR);
  // Zero configuration beyond where to keep state: local authority, shipped Cedar policies, file log.
  const writ = createWrit({
    dir: options.dir,
    service: 'support-desk',
    agents: [
      defineAgent({
        id: 'support-bot',
        owner: 'support-platform@example.com',
        purpose: 'Resolve customer tickets',
        scope: ['orders:*', 'customers:read'],
      }),
    ],
  });

  const agent = new LlmAgent({
    name: 'support_bot',
    instruction: 'You resolve customer support tickets.',
    model: new ScriptedModel([
      { tools: [{ id: 'call_1', name: 'lookup_order', args: { orderId: '42' } }] },
      { tools: [{ id: 'call_2', name: 'delete_customer', args: { customerId: 'cus_7' } }] },
      { tools: [{ id: 'call_3', name: 'refund_order', args: { orderId: '42', amount: 250 } }] },
      { text: 'I refunded 250 on order 42. I cannot close your account myself; a colleague will.' },
    ]),
    tools: [lookupOrder, refundOrder, deleteCustomer],
  });
  // One plugin governs every tool of the runner's agents. Writ facts ADK does not have: what each call
  // needs and how risky it is.
  const runner = new InMemoryRunner({
    agent,
    appName: 'support-desk',
    plugins: [
      writPlugin({
        writ,
        tools: {
          lookup_order: { permission: 'orders:read', annotations: { readOnly: true }, risk: 'low' },
          refund_order: { permission: 'orders:refund', risk: 'high' },
          delete_customer: { permission: 'customers:delete', annotations: { destructive: true } },
        },
      }),
    ],
  });
  const session = await runner.sessionService.createSession({ appName: 'support-desk', userId: 'alice' });
  const send = (newMessage: Parameters<typeof runner.runAsync>[0]['newMessage']) =>
    collect(runner.runAsync({ userId: 'alice', sessionId: session.id, newMessage }));

  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const { localIdentity, fileAudit } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  const request = 'Refund the damaged item on order 42 and close my account.';
  const ticket = { requester: aliceToken, agent: 'support-bot', intent: request, scope: ['orders:*'] };

  let answer = '';
  const show = (events: Events) => {
    for (const event of events) {
      for (const part of event.content?.parts ?? []) {
        const call = part.functionCall;
        const response = part.functionResponse?.response;
        const { error } = response ?? {};
        if (call !== undefined && call.name !== 'adk_request_confirmation') {
          print(`  model calls ${call.name} ${JSON.stringify(call.args)}`);
        } else if (typeof error === 'string') {
          print(`    refused; the model is told: ${error}`);
        } else if (response !== undefined) {
          print(`    ran: ${JSON.stringify(response)}`);
        } else if (typeof part.text === 'string' && event.author === 'support_bot') {
          answer += part.text;
        }
      }
    }
    for (const { request: asked } of writApprovalRequests(events)) print(`    paused: ${asked.message}`);
  };

  // Request 1: alice's message, in a task of its own.
  const { taskId, pending } = await writ.task(ticket, async (task) => {
    print(`alice: ${request}`);
    const events = await send({ role: 'user', parts: [{ text: request }] });
    show(events);
    return { taskId: task.attribution.taskId, pending: writApprovalRequests(events)[0] };
  });

  // Request 2: Maria's answer. It continues the task the approval request names (`resume`): an approval
  // binds one call of one task of one requester; in any other task ADK refuses it.
  const approval: WritApprovalRequestCall | undefined = pending;
  if (approval !== undefined) {
    await writ.task({ ...ticket, resume: approval.request.taskId }, async () => {
      // The approver sees exactly what will run; her answer is bound to it (bindingHash).
      print(
        `maria approves ${approval.request.tool} ${JSON.stringify(approval.request.args)} (${approval.request.bindingHash.slice(0, 19)}…)`,
      );
      const answerMessage = approvalResponse(approval.confirmationCallId, {
        approved: true,
        approver: { id: 'maria@example.com', name: 'Maria (support lead)' },
      });
      show(await send(answerMessage));
    });
  }
  print(`agent: ${answer}`);
  await writ.close();
  return { taskId, answer, auditDir: fileAudit?.dir ?? '', verifierKey: fileAudit?.verifierKey ?? '' };
}
