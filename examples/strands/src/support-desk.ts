// A Strands support agent whose tools go through Writ (docs/guides/strands.md).
//
// alice asks the agent to refund the damaged item on order 42 and to close her account. The model
// looks the order up (read-only: allowed), tries to delete the customer (destructive and outside the
// task's scope: denied, and the model is told so), and refunds the order (high risk: Writ stops the
// run with a Strands interrupt; Maria approves it in a later request that continues alice's task; the
// refund runs once).
import { Agent, type AgentResult, tool } from '@strands-agents/sdk';
import { approvalResponse, writApprovalRequests, writPlugin } from '@writ/strands';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';
import { ScriptedModel } from './scripted-model.ts';

const lookupOrder = tool({
  name: 'lookup_order',
  description: 'Read an order',
  inputSchema: z.object({ orderId: z.string() }),
  callback: ({ orderId }) => ({ orderId, status: 'delivered', total: 480, customerId: 'cus_7' }),
});
const refundOrder = tool({
  name: 'refund_order',
  description: 'Refund part of an order',
  inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
  callback: ({ orderId, amount }) => ({ orderId, refunded: amount }),
});
const deleteCustomer = tool({
  name: 'delete_customer',
  description: 'Delete a customer account',
  inputSchema: z.object({ customerId: z.string() }),
  callback: ({ customerId }) => ({ customerId, deleted: true }),
});

/** What one run of the support desk leaves behind, for checking the evidence. */
export interface SupportDeskRun {
  readonly taskId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
  readonly answer: string;
}

/** Runs the conversation, printing what happens through `print`. */
export async function runSupportDesk(options: {
  dir: string;
  print: (line: string) => void;
}): Promise<SupportDeskRun> {
  const { print } = options;
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

  // One plugin governs every tool of the agent. Writ facts Strands does not have: what each call needs
  // and how risky it is.
  const agent = new Agent({
    systemPrompt: 'You resolve customer support tickets.',
    model: new ScriptedModel([
      { tools: [{ id: 'call_1', name: 'lookup_order', input: { orderId: '42' } }] },
      { tools: [{ id: 'call_2', name: 'delete_customer', input: { customerId: 'cus_7' } }] },
      { tools: [{ id: 'call_3', name: 'refund_order', input: { orderId: '42', amount: 250 } }] },
      { text: 'I refunded 250 on order 42. I cannot close your account myself; a colleague will.' },
    ]),
    tools: [lookupOrder, refundOrder, deleteCustomer],
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
    printer: false,
  });

  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const { localIdentity, fileAudit } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  const request = 'Refund the damaged item on order 42 and close my account.';
  const ticket = { requester: aliceToken, agent: 'support-bot', intent: request, scope: ['orders:*'] };

  // what the conversation gained since last shown: the model's calls and what it was told
  // (a call waiting for approval joins agent.messages only when the run resumes: shown once, when asked)
  let shown = 0;
  let answer = '';
  const announced = new Set<string>();
  const show = (result: AgentResult) => {
    for (const message of agent.messages.slice(shown)) {
      for (const block of message.content) {
        if (block.type === 'toolUseBlock' && !announced.has(block.toolUseId))
          print(`  model calls ${block.name} ${JSON.stringify(block.input)}`);
        if (block.type === 'toolResultBlock') {
          const text = block.content.map((c) =>
            'text' in c ? c.text : 'json' in c ? JSON.stringify(c.json) : '',
          );
          print(
            block.status === 'error'
              ? `    refused; the model is told: ${text.join('')}`
              : `    ran: ${text.join('')}`,
          );
        }
        if (block.type === 'textBlock' && message.role === 'assistant') answer += block.text;
      }
    }
    shown = agent.messages.length;
    for (const { request: asked } of writApprovalRequests(result)) {
      announced.add(asked.toolCallId);
      print(`  model calls ${asked.tool} ${JSON.stringify(asked.args)}`);
      print(`    paused: ${asked.message}`);
    }
  };

  // Request 1: alice's message, in a task of its own.
  const { taskId, pending } = await writ.task(ticket, async (task) => {
    print(`alice: ${request}`);
    const result = await agent.invoke(request);
    show(result);
    return { taskId: task.attribution.taskId, pending: writApprovalRequests(result)[0] };
  });

  // Request 2: Maria's answer. It continues the task the approval request names (`resume`): an approval
  // binds one call of one task of one requester; in any other task the call is asked about afresh.
  if (pending !== undefined) {
    await writ.task({ ...ticket, resume: pending.request.taskId }, async () => {
      // The approver sees exactly what will run; her answer is bound to it (bindingHash).
      print(
        `maria approves ${pending.request.tool} ${JSON.stringify(pending.request.args)} (${pending.request.bindingHash.slice(0, 19)}…)`,
      );
      const answerContent = approvalResponse(pending.interruptId, {
        approved: true,
        approver: { id: 'maria@example.com', name: 'Maria (support lead)' },
      });
      show(await agent.invoke([answerContent]));
    });
  }
  print(`agent: ${answer}`);
  await writ.close();
  return { taskId, answer, auditDir: fileAudit?.dir ?? '', verifierKey: fileAudit?.verifierKey ?? '' };
}
