// The support desk on the Vercel AI SDK, through Writ (docs/guides/ai-sdk.md).
//
// alice asks the support agent to refund her damaged order and close her account. The agent is a
// real AI SDK `generateText` tool loop; the model is the AI SDK's own mock, scripted so the example
// runs offline. Writ decides every tool call with the shipped Cedar policy: the lookup is allowed
// (read-only), closing the account is denied (destructive, outside the task's scope: the model is told
// and carries on), the refund needs a human (high risk): it goes through the AI SDK's own approval
// flow, Maria approves, the call runs on the next `generateText` call.
import { recordApprovalDenials, writToolApproval, writTools } from '@writ/ai-sdk';
import { generateText, isStepCount, type ModelMessage, type StepResult, type ToolSet, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { createWrit, defineAgent, type Principal } from 'writ';
import { z } from 'zod';

export interface SupportRun {
  /** What happened, line by line, as `main.ts` prints it. */
  readonly transcript: string[];
  readonly taskId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
}

/** Maria, the support lead who answers approval requests in the support console. */
const maria: Principal = {
  kind: 'human',
  id: 'maria@example.com',
  name: 'Maria (support lead)',
  assurance: 'asserted',
};

export async function runSupportAgent(options: { dir: string; approve?: boolean }): Promise<SupportRun> {
  const approve = options.approve ?? true;
  // Zero configuration beyond where to keep state: local authority, shipped Cedar policies, file log.
  const writ = createWrit({
    dir: options.dir,
    service: 'support-desk',
    agents: [
      defineAgent({ id: 'support-bot', owner: 'support-platform@example.com', purpose: 'Resolve tickets' }),
    ],
  });
  const { localIdentity, fileAudit } = await writ.ready();

  // Ordinary AI SDK tools; Writ adds what the AI SDK does not know (permission, risk, resource).
  const tools = writTools(
    {
      lookup_order: tool({
        description: 'Read an order',
        inputSchema: z.object({ orderId: z.string() }),
        execute: async ({ orderId }) => ({ orderId, customerId: 'cus_7', status: 'delivered', total: 480 }),
      }),
      refund_order: tool({
        description: 'Refund part of an order',
        inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
        execute: async ({ orderId, amount }) => ({ orderId, refunded: amount }),
      }),
      delete_customer: tool({
        description: 'Delete a customer account',
        inputSchema: z.object({ customerId: z.string() }),
        execute: async () => ({ deleted: true }),
      }),
    },
    {
      writ,
      tools: {
        lookup_order: { permission: 'orders:read', risk: 'low', annotations: { readOnly: true } },
        refund_order: {
          permission: 'orders:refund',
          risk: 'high',
          resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
        },
        delete_customer: {
          permission: 'customers:delete',
          resource: ({ customerId }) => ({ type: 'Customer', id: customerId }),
        },
      },
      approver: maria, // who answers the AI SDK's approval requests here
    },
  );

  const transcript: string[] = [];
  const say = (line: string): void => {
    transcript.push(line);
  };
  const settings = {
    model: supportModel(),
    tools,
    toolApproval: writToolApproval(), // Writ's policy drives the AI SDK's approval flow
    onStart: recordApprovalDenials, // records a human's "no" when the conversation resumes
    stopWhen: isStepCount(5),
  };

  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  const ask = 'Order 42 arrived damaged: please refund 250 and close my account.';
  const ticket = { requester: aliceToken, agent: 'support-bot', intent: ask, scope: ['orders:*'] };
  const messages: ModelMessage[] = [{ role: 'user', content: ask }];

  // Request 1: the model's first turns, in a task of their own. The application keeps the task id with
  // the conversation: the AI SDK's approval request cannot carry it, and the answer must continue it.
  const { first, taskId } = await writ.task(ticket, async (task) => {
    say(`alice: ${ask}`);
    const first = await generateText({ ...settings, messages });
    for (const step of first.steps) describeStep(step, say);
    return { first, taskId: task.attribution.taskId };
  });
  messages.push(...first.responseMessages);

  // The approval request goes to a human; the answer is a tool-approval-response, then call again.
  const request = first.content.find((p) => p.type === 'tool-approval-request' && p.isAutomatic !== true);
  if (request?.type === 'tool-approval-request') {
    say(
      `${maria.id} ${approve ? 'approves' : 'declines'} ${request.toolCall.toolName} (${request.approvalId})`,
    );
    messages.push({
      role: 'tool',
      content: [
        {
          type: 'tool-approval-response',
          approvalId: request.approvalId,
          approved: approve,
          ...(approve ? {} : { reason: 'Refunds over 200 go through the returns desk' }),
        },
      ],
    });
    // Request 2 continues the task that asked (`resume`): an approval binds one call of one task of one
    // requester. In any other task the answer would be refused and the refund judged afresh.
    await writ.task({ ...ticket, resume: taskId }, async () => {
      const second = await generateText({
        ...settings,
        messages,
        // the approved call runs first, before the model's next step: report it as it ends
        onToolExecutionEnd: ({ toolCall, toolOutput }) => {
          say(`  ${toolCall.toolName}${JSON.stringify(toolCall.input)} → ${outcome(toolOutput)}`);
        },
      });
      for (const step of second.steps) describeStep(step, say);
    });
  }
  await writ.close();
  return { transcript, taskId, auditDir: fileAudit?.dir ?? '', verifierKey: fileAudit?.verifierKey ?? '' };
}

/** One line per tool call of a step (what ran, what Writ refused, what waits for a human), then any text. */
function describeStep(step: StepResult<ToolSet>, say: (line: string) => void) {
  for (const part of step.content) {
    if (part.type === 'tool-result' || part.type === 'tool-error') {
      say(`  ${part.toolName}${JSON.stringify(part.input)} → ${outcome(part)}`);
    } else if (part.type === 'tool-approval-response' && !part.approved && part.toolCall !== undefined) {
      say(`  ${part.toolCall.toolName}${JSON.stringify(part.toolCall.input)} → denied: ${part.reason}`);
    } else if (part.type === 'tool-approval-request' && part.isAutomatic !== true) {
      say(
        `  ${part.toolCall.toolName}${JSON.stringify(part.toolCall.input)} → waits for approval: ${part.reason}`,
      );
    } else if (part.type === 'text' && part.text.length > 0) {
      say(`support-bot: ${part.text}`);
    }
  }
}

function outcome(part: { type: string; output?: unknown; error?: unknown }): string {
  return part.type === 'tool-result'
    ? `ran: ${JSON.stringify(part.output)}`
    : `refused: ${String(part.error)}`;
}

const usage = {
  inputTokens: { total: 20, noCache: 20, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};

/**
 * A scripted stand-in for a real model (swap in `openai('gpt-5')` or any provider): it looks the order
 * up and tries to close the account, then asks for the refund, then answers from what its tools told it.
 */
function supportModel() {
  let turn = 0;
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      turn += 1;
      const call = (toolCallId: string, toolName: string, input: unknown) => ({
        type: 'tool-call' as const,
        toolCallId,
        toolName,
        input: JSON.stringify(input),
      });
      const toolTurn = (...content: ReturnType<typeof call>[]) => ({
        content,
        finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
        usage,
        warnings: [],
      });
      if (turn === 1) {
        return toolTurn(
          call('call_1', 'lookup_order', { orderId: '42' }),
          call('call_2', 'delete_customer', { customerId: 'cus_7' }),
        );
      }
      if (turn === 2) return toolTurn(call('call_3', 'refund_order', { orderId: '42', amount: 250 }));
      // the final answer, from the tool results in the prompt (what the model was told)
      const results = prompt.flatMap((m) => (m.role === 'tool' ? m.content : []));
      const said = (id: string) => results.find((p) => p.type === 'tool-result' && p.toolCallId === id);
      const refund = said('call_3');
      const closing = said('call_2');
      const lines = [
        refund?.type === 'tool-result' && refund.output.type === 'json'
          ? 'I refunded 250 on order 42.'
          : 'I could not refund order 42.',
        closing?.type === 'tool-result' && closing.output.type === 'execution-denied'
          ? `I could not close your account (${closing.output.reason})`
          : 'Your account is closed.',
      ];
      return {
        content: [{ type: 'text' as const, text: lines.join(' ') }],
        finishReason: { unified: 'stop' as const, raw: 'stop' },
        usage,
        warnings: [],
      };
    },
  });
}
