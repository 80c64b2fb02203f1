// The `writ demo` scenario, on the zero-config runtime, driven by real Vercel AI SDK agent loops
// (`generateText` with the AI SDK's own scripted `MockLanguageModelV4`, so it runs offline) through
// `@writ/ai-sdk`, and Writ's public API only.
//
// alice asks the support agent to refund order 42. The agent looks the order up (allowed by the shipped
// Cedar policy: read-only), refunds it (high risk: the AI SDK's native approval flow asks Maria, who
// approves; the call runs when the conversation resumes), then delegates to a billing sub-agent with
// narrower scope, whose model tries to delete the customer (denied: destructive and outside its scope;
// the model is told and carries on) and which tries to delegate onwards with a wider scope (refused).
import { recordApprovalDenials, writToolApproval, writTools } from '@writ/ai-sdk';
import {
  generateText,
  isStepCount,
  type LanguageModel,
  type ModelMessage,
  type StepResult,
  type ToolSet,
  tool,
} from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { createWrit, defineAgent, getToolContext, WritError, type WritRuntime } from 'writ';
import { z } from 'zod';

export interface Step {
  readonly agent: string;
  readonly action: string;
  readonly effect: 'allow' | 'deny' | 'approval_required' | 'refused';
  readonly detail: string;
}

export interface ScenarioResult {
  readonly steps: Step[];
  readonly taskId: string;
  readonly correlationId: string;
  readonly auditDir: string;
  readonly verifierKey: string;
  /** What the billing agent's model was told when its call was refused (the text in its next prompt). */
  readonly modelSawRefusal: string | undefined;
}

const maria = {
  kind: 'human' as const,
  id: 'maria@example.com',
  name: 'Maria (support lead)',
  assurance: 'verified' as const,
};

export async function runScenario(options: { dir: string }): Promise<ScenarioResult> {
  const writ: WritRuntime = createWrit({
    dir: options.dir,
    service: 'support-desk',
    environment: 'demo',
    agents: [
      defineAgent({
        id: 'support-bot',
        owner: 'support-platform@example.com',
        purpose: 'Resolve customer tickets',
        scope: ['orders:*', 'customers:*'],
      }),
      defineAgent({
        id: 'billing-bot',
        owner: 'finance-eng@example.com',
        purpose: 'Settle billing for resolved tickets',
        scope: ['orders:*', 'customers:*'],
      }),
      defineAgent({ id: 'ledger-bot', owner: 'finance-eng@example.com', purpose: 'Book ledger entries' }),
    ],
  });
  const { localIdentity, fileAudit } = await writ.ready();

  // Ordinary AI SDK tools; Writ adds what the AI SDK does not know (permission, risk, resource, audience).
  const tools = writTools(
    {
      lookup_order: tool({
        description: 'Read an order',
        inputSchema: z.object({ orderId: z.string() }),
        execute: async ({ orderId }) => ({ orderId, customerId: 'cus_7', total: 480 }),
      }),
      refund_order: tool({
        description: 'Refund part of an order',
        inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
        execute: async ({ amount }) => ({ refunded: amount, credential: getToolContext().credential?.jti }),
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
        lookup_order: {
          permission: 'orders:read',
          risk: 'low',
          annotations: { readOnly: true },
          resource: (a) => ({ type: 'Order', id: (a as { orderId: string }).orderId }),
        },
        refund_order: {
          permission: 'orders:refund',
          risk: 'high',
          audience: 'https://payments.example.com',
          resource: (a) => ({ type: 'Order', id: (a as { orderId: string }).orderId }),
        },
        delete_customer: {
          permission: 'customers:delete',
          risk: 'medium',
          annotations: { destructive: true },
          resource: (a) => ({ type: 'Customer', id: (a as { customerId: string }).customerId }),
        },
      },
      approver: maria, // who answers the AI SDK's approval requests in the support console
    },
  );
  const steps: Step[] = [];
  const reported = new Set<string>();
  const ran = (agent: string, id: string, toolName: string, input: unknown, output: unknown) => {
    if (reported.has(id)) return;
    reported.add(id);
    steps.push(ranStep(agent, toolName, input, output));
  };
  const loop = (agent: string, model: LanguageModel, messages: ModelMessage[]) =>
    generateText({
      model,
      tools,
      messages,
      toolApproval: writToolApproval(), // Writ's policy drives the AI SDK's native approval flow
      onStart: recordApprovalDenials, // a human's "no" is recorded when the conversation resumes
      stopWhen: isStepCount(4),
      // an approved call runs when the conversation resumes, before the model's next step
      onToolExecutionEnd: ({ toolCall, toolOutput }) => {
        if (toolOutput.type === 'tool-result')
          ran(agent, toolCall.toolCallId, toolCall.toolName, toolCall.input, toolOutput.output);
      },
    });

  const record = (agent: string, all: readonly StepResult<ToolSet>[]) => {
    for (const step of all) {
      for (const part of step.content) {
        if (part.type === 'tool-result') ran(agent, part.toolCallId, part.toolName, part.input, part.output);
        if (part.type === 'tool-approval-response' && !part.approved && part.toolCall !== undefined) {
          steps.push({
            agent,
            action: call(part.toolCall.toolName, part.toolCall.input),
            effect: 'deny',
            detail: refusalDetail(part.reason),
          });
        }
      }
    }
  };

  const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
  let modelSawRefusal: string | undefined;
  const attribution = await writ.task(
    {
      requester: alice,
      agent: 'support-bot',
      intent: 'Refund the damaged item on order 42',
      scope: ['orders:*', 'customers:read', 'customers:delete'],
    },
    async (task) => {
      // support-bot: looks the order up, asks for the refund; the AI SDK stops to ask a human
      const support = scripted([
        [{ id: 'call_lookup', tool: 'lookup_order', input: { orderId: '42' } }],
        [{ id: 'call_refund', tool: 'refund_order', input: { orderId: '42', amount: 250 } }],
      ]);
      const messages: ModelMessage[] = [{ role: 'user', content: 'Order 42 arrived damaged: refund 250.' }];
      const first = await loop('support-bot', support.model, messages);
      record('support-bot', first.steps);
      messages.push(...first.responseMessages);
      const request = first.content.find((p) => p.type === 'tool-approval-request' && p.isAutomatic !== true);
      if (request?.type === 'tool-approval-request') {
        // Maria approves in the console; the conversation resumes and the AI SDK runs the approved call
        messages.push({
          role: 'tool',
          content: [{ type: 'tool-approval-response', approvalId: request.approvalId, approved: true }],
        });
        const second = await loop('support-bot', support.model, messages);
        record('support-bot', second.steps);
      }

      await writ.delegate(
        { agent: 'billing-bot', scope: ['orders:read', 'customers:read'], intent: 'Close the billing side' },
        async () => {
          // billing-bot's model tries to delete the customer: Writ denies, the model is told, the run goes on
          const billing = scripted([
            [{ id: 'call_delete', tool: 'delete_customer', input: { customerId: 'cus_7' } }],
          ]);
          const run = await loop('billing-bot', billing.model, [
            { role: 'user', content: 'Close the billing side of order 42.' },
          ]);
          record('billing-bot', run.steps);
          modelSawRefusal = billing.toolOutputs().find((t) => t.includes('Refused by Writ'));
          try {
            await writ.delegate({ agent: 'ledger-bot', scope: ['*'] }, async () => undefined);
            steps.push({
              agent: 'billing-bot',
              action: 'delegate ledger-bot with scope [*]',
              effect: 'allow',
              detail: 'delegated',
            });
          } catch (error) {
            if (!WritError.isInstance(error)) throw error;
            steps.push({
              agent: 'billing-bot',
              action: 'delegate ledger-bot with scope [*]',
              effect: 'refused',
              detail: `${error.code}: ${error.message}`,
            });
          }
        },
      );
      return task.attribution;
    },
  );
  await writ.close();
  return {
    steps,
    taskId: attribution.taskId,
    correlationId: attribution.correlationId,
    auditDir: fileAudit?.dir ?? '',
    verifierKey: fileAudit?.verifierKey ?? '',
    modelSawRefusal,
  };
}

/** `name(arg, arg)` as the demo prints calls. */
function call(name: string, input: unknown): string {
  const values = typeof input === 'object' && input !== null ? Object.values(input) : [input];
  return `${name}(${values.map(String).join(', ')})`;
}

function ranStep(agent: string, toolName: string, input: unknown, output: unknown): Step {
  const action = call(toolName, input);
  if (toolName === 'refund_order') {
    const credential = String((output as { credential?: string }).credential).slice(0, 13);
    return {
      agent,
      action,
      effect: 'approval_required',
      detail: `approved by ${maria.id}; credential ${credential}… for https://payments.example.com`,
    };
  }
  return { agent, action, effect: 'allow', detail: 'read-only tool: allowed' };
}

/** `CODE: message` from the refusal text the model received (`Refused by Writ (CODE): message. …`). */
function refusalDetail(reason: string | undefined): string {
  const m = /^Refused by Writ \(([A-Z_]+)\): (.*)\. The tool was not run\.$/s.exec(reason ?? '');
  return m === null ? (reason ?? 'denied') : `${m[1]}: ${m[2]}`;
}

interface ScriptedCall {
  readonly id: string;
  readonly tool: string;
  readonly input: unknown;
}

const usage = {
  inputTokens: { total: 20, noCache: 20, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};

/**
 * A scripted model: each turn calls the next tools in `turns`, then answers in text. It keeps the tool
 * outputs it was sent (what a real model would read), so the demo can show what the model was told.
 */
function scripted(turns: readonly (readonly ScriptedCall[])[]) {
  let turn = 0;
  const seen: string[] = [];
  const model = new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      for (const message of prompt) {
        if (message.role !== 'tool') continue;
        for (const part of message.content) {
          if (part.type === 'tool-result') seen.push(JSON.stringify(part.output));
        }
      }
      const calls = turns[turn++];
      if (calls !== undefined) {
        return {
          content: calls.map((c) => ({
            type: 'tool-call' as const,
            toolCallId: c.id,
            toolName: c.tool,
            input: JSON.stringify(c.input),
          })),
          finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
          usage,
          warnings: [],
        };
      }
      return {
        content: [{ type: 'text' as const, text: 'Done.' }],
        finishReason: { unified: 'stop' as const, raw: 'stop' },
        usage,
        warnings: [],
      };
    },
  });
  return { model, toolOutputs: () => [...seen] };
}
