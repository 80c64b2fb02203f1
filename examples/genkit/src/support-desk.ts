// A Genkit support agent whose tools go through Writ (docs/guides/genkit.md).
//
// alice asks the agent to refund the damaged item on order 42 and to close her account. The model
// looks the order up (read-only: allowed), tries to delete the customer (destructive and outside the
// task's scope: denied, and the model is told so), and refunds the order (high risk: Writ interrupts
// the tool call, Genkit's `finishReason: 'interrupted'`; Maria approves it in a later request that
// continues alice's task with `resume.restart`; the refund runs once).
import {
  approvalRestart,
  type WritApprovalInterrupt,
  writApprovalRequests,
  writMiddleware,
} from '@writ/genkit';
import { type GenerateResponse, genkit, z } from 'genkit';
import { createWrit, defineAgent } from 'writ';
import { scriptedModel } from './scripted-model.ts';

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
  const ai = genkit({});
  const lookupOrder = ai.defineTool(
    { name: 'lookup_order', description: 'Read an order', inputSchema: z.object({ orderId: z.string() }) },
    async ({ orderId }) => ({ orderId, status: 'delivered', total: 480, customerId: 'cus_7' }),
  );
  const refundOrder = ai.defineTool(
    {
      name: 'refund_order',
      description: 'Refund part of an order',
      inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
    },
    async ({ orderId, amount }) => ({ orderId, refunded: amount }),
  );
  const deleteCustomer = ai.defineTool(
    {
      name: 'delete_customer',
      description: 'Delete a customer account',
      inputSchema: z.object({ customerId: z.string() }),
    },
    async ({ customerId }) => ({ customerId, deleted: true }),
  );
  const tools = [lookupOrder, refundOrder, deleteCustomer];
  const model = scriptedModel(ai, [
    { tools: [{ ref: 'call_1', name: 'lookup_order', input: { orderId: '42' } }] },
    { tools: [{ ref: 'call_2', name: 'delete_customer', input: { customerId: 'cus_7' } }] },
    { tools: [{ ref: 'call_3', name: 'refund_order', input: { orderId: '42', amount: 250 } }] },
    { text: 'I refunded 250 on order 42. I cannot close your account myself; a colleague will.' },
  ]);

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
  // One middleware governs every tool call of the generate calls that use it. Writ facts Genkit does
  // not have: what each call needs and how risky it is.
  const governed = writMiddleware({
    writ,
    tools: {
      lookup_order: { permission: 'orders:read', annotations: { readOnly: true }, risk: 'low' },
      refund_order: { permission: 'orders:refund', risk: 'high' },
      delete_customer: { permission: 'customers:delete', annotations: { destructive: true } },
    },
  });

  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const { localIdentity, fileAudit } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  const request = 'Refund the damaged item on order 42 and close my account.';
  const ticket = { requester: aliceToken, agent: 'support-bot', intent: request, scope: ['orders:*'] };

  let shown = 0;
  const show = (response: GenerateResponse) => {
    for (const message of response.messages.slice(shown)) {
      for (const part of message.content) {
        const output = part.toolResponse?.output;
        if (part.toolRequest !== undefined) {
          print(`  model calls ${part.toolRequest.name} ${JSON.stringify(part.toolRequest.input)}`);
        } else if (typeof output === 'string' && output.startsWith('Refused by Writ')) {
          print(`    refused; the model is told: ${output}`);
        } else if (output !== undefined) {
          print(`    ran: ${JSON.stringify(output)}`);
        }
      }
    }
    shown = response.messages.length;
    for (const { request: asked } of writApprovalRequests(response.interrupts))
      print(`    paused: ${asked.message}`);
  };

  // Request 1: alice's message, in a task of its own.
  const { taskId, first } = await writ.task(ticket, async (task) => {
    print(`alice: ${request}`);
    const response = await ai.generate({ model, prompt: request, tools, use: [governed] });
    show(response);
    return { taskId: task.attribution.taskId, first: response };
  });

  // Request 2: Maria's answer. It continues the task the approval request names (`resume`): an approval
  // binds one call of one task of one requester; in any other task Writ asks afresh.
  let answer = first.text;
  const pending: WritApprovalInterrupt | undefined = writApprovalRequests(first.interrupts)[0];
  if (pending !== undefined) {
    answer = await writ.task({ ...ticket, resume: pending.request.taskId }, async () => {
      // The approver sees exactly what will run; her answer is bound to it (bindingHash).
      print(
        `maria approves ${pending.request.tool} ${JSON.stringify(pending.request.args)} (${pending.request.bindingHash.slice(0, 19)}…)`,
      );
      const restart = approvalRestart(pending.interrupt, {
        approved: true,
        approver: { id: 'maria@example.com', name: 'Maria (support lead)' },
      });
      const response = await ai.generate({
        model,
        messages: first.messages,
        tools,
        use: [governed],
        resume: { restart: [restart] },
      });
      show(response);
      return response.text;
    });
  }
  print(`agent: ${answer}`);
  await writ.close();
  return { taskId, answer, auditDir: fileAudit?.dir ?? '', verifierKey: fileAudit?.verifierKey ?? '' };
}
