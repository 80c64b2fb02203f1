// A Mastra support agent whose tools go through Writ (docs/guides/mastra.md).
//
// alice asks the agent to refund the damaged item on order 42 and to close her account. The model
// looks the order up (read-only: allowed), tries to delete the customer (destructive and outside the
// task's scope: denied, and the model is told so), and refunds the order (high risk: Writ suspends the
// run for a human approval; Maria approves it through Mastra's resume, in a later request that
// continues alice's task; the refund runs once).
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { createTool } from '@mastra/core/tools';
import { isWritApprovalRequest, type WritApprovalRequest, writTools } from '@writ/mastra';
import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';
import { scriptedModel } from './scripted-model.ts';

const lookupOrder = createTool({
  id: 'lookup-order',
  description: 'Read an order',
  inputSchema: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => ({ orderId, status: 'delivered', total: 480, customerId: 'cus_7' }),
});
const refundOrder = createTool({
  id: 'refund-order',
  description: 'Refund part of an order',
  inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
  execute: async ({ orderId, amount }) => ({ orderId, refunded: amount }),
});
const deleteCustomer = createTool({
  id: 'delete-customer',
  description: 'Delete a customer account',
  inputSchema: z.object({ customerId: z.string() }),
  execute: async ({ customerId }) => ({ customerId, deleted: true }),
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

  // Writ facts Mastra does not have: what each call needs and how risky it is.
  const tools = writTools(
    { lookup_order: lookupOrder, refund_order: refundOrder, delete_customer: deleteCustomer },
    {
      writ,
      tools: {
        lookup_order: { permission: 'orders:read', annotations: { readOnly: true }, risk: 'low' },
        refund_order: { permission: 'orders:refund', risk: 'high' },
        delete_customer: { permission: 'customers:delete', annotations: { destructive: true } },
      },
    },
  );
  const agent = new Agent({
    id: 'support',
    name: 'Support',
    instructions: 'You resolve customer support tickets.',
    model: scriptedModel([
      { tools: [{ id: 'call_1', name: 'lookup_order', args: { orderId: '42' } }] },
      { tools: [{ id: 'call_2', name: 'delete_customer', args: { customerId: 'cus_7' } }] },
      { tools: [{ id: 'call_3', name: 'refund_order', args: { orderId: '42', amount: 250 } }] },
      { text: 'I refunded 250 on order 42. I cannot close your account myself; a colleague will.' },
    ]),
    tools,
  });
  // Mastra keeps suspended runs in its storage (use a persistent store in production).
  const mastra = new Mastra({ agents: { support: agent }, storage: new InMemoryStore(), logger: false });
  const support = mastra.getAgent('support');

  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const { localIdentity, fileAudit } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  const memory = { thread: 'ticket-1042', resource: 'alice@example.com' };
  const request = 'Refund the damaged item on order 42 and close my account.';

  const ticket = { requester: aliceToken, agent: 'support-bot', intent: request, scope: ['orders:*'] };

  let pending: { toolCallId: string; request: WritApprovalRequest } | undefined;
  let answer = '';
  const show = async (stream: Awaited<ReturnType<typeof support.stream>>) => {
    for await (const chunk of stream.fullStream) {
      if (chunk.type === 'tool-call') {
        print(`  model calls ${chunk.payload.toolName} ${JSON.stringify(chunk.payload.args)}`);
      } else if (chunk.type === 'tool-result') {
        print(`    ran: ${JSON.stringify(chunk.payload.result)}`);
      } else if (chunk.type === 'tool-error') {
        const error = chunk.payload.error;
        print(`    refused; the model is told: ${error instanceof Error ? error.message : String(error)}`);
      } else if (chunk.type === 'tool-call-suspended') {
        const payload = chunk.payload.suspendPayload;
        if (isWritApprovalRequest(payload)) {
          pending = { toolCallId: chunk.payload.toolCallId, request: payload };
          print(`    suspended: ${payload.message}`);
        }
      } else if (chunk.type === 'text-delta') {
        answer += chunk.payload.text;
      }
    }
  };

  // Request 1: alice's message, in a task of its own.
  const { taskId, runId } = await writ.task(ticket, async (task) => {
    print(`alice: ${request}`);
    const first = await support.stream(request, { memory });
    await show(first);
    return { taskId: task.attribution.taskId, runId: first.runId };
  });

  // Request 2: Maria's answer. It continues the task the approval request names (`resume`): an approval
  // binds one call of one task of one requester; in any other task it would be refused and the refund
  // judged afresh.
  const approval = pending as { toolCallId: string; request: WritApprovalRequest } | undefined;
  if (approval !== undefined) {
    await writ.task({ ...ticket, resume: approval.request.taskId }, async () => {
      // The approver sees exactly what will run; her answer is bound to it (bindingHash).
      print(
        `maria approves ${approval.request.tool} ${JSON.stringify(approval.request.args)} (${approval.request.bindingHash.slice(0, 19)}…)`,
      );
      const resumed = await support.resumeStream(
        { approved: true, approver: { id: 'maria@example.com', name: 'Maria (support lead)' } },
        { runId, toolCallId: approval.toolCallId, memory },
      );
      await show(resumed);
    });
  }
  print(`agent: ${answer}`);
  await writ.close();
  return { taskId, answer, auditDir: fileAudit?.dir ?? '', verifierKey: fileAudit?.verifierKey ?? '' };
}
