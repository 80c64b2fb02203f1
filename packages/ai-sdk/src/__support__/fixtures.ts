// Shared test fixtures: the AI SDK's own mock model scripted turn by turn, the support-desk tools, and a
// zero-config Writ (local authority, shipped Cedar policies, strict file audit log) in a temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider';
import { readLines, verifyLog } from '@writ/audit';
import { type ModelMessage, tool } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { type CreateWritOptions, createWrit, type WritRuntime } from 'writ';
import { z } from 'zod';
import type { WritToolsOptions } from '../index.js';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model turn that calls tools: `[toolCallId, toolName, input]`. */
export function toolCalls(...calls: Array<[string, string, unknown]>): LanguageModelV4GenerateResult {
  return {
    content: calls.map(([toolCallId, toolName, input]) => ({
      type: 'tool-call' as const,
      toolCallId,
      toolName,
      input: JSON.stringify(input),
    })),
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage,
    warnings: [],
  };
}

/** A model turn that answers with text. */
export function text(value: string): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text: value }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage,
    warnings: [],
  };
}

/**
 * The AI SDK's `MockLanguageModelV4`, answering each call with the next scripted turn (generate and
 * stream alike). Every prompt it received is in `prompts`.
 */
export function scriptedModel(turns: LanguageModelV4GenerateResult[]) {
  const script = [...turns];
  const prompts: LanguageModelV4Prompt[] = [];
  const next = (options: LanguageModelV4CallOptions) => {
    prompts.push(options.prompt);
    const turn = script.shift();
    if (turn === undefined) throw new Error('the scripted model ran out of turns');
    return turn;
  };
  const model = new MockLanguageModelV4({
    doGenerate: async (options) => next(options),
    doStream: async (options) => ({ stream: convertArrayToReadableStream(toStreamParts(next(options))) }),
  });
  return { model, prompts };
}

function toStreamParts(turn: LanguageModelV4GenerateResult): LanguageModelV4StreamPart[] {
  const parts: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }];
  for (const [i, part] of turn.content.entries()) {
    if (part.type === 'tool-call') parts.push(part);
    else if (part.type === 'text') {
      parts.push({ type: 'text-start', id: `t${i}` });
      parts.push({ type: 'text-delta', id: `t${i}`, delta: part.text });
      parts.push({ type: 'text-end', id: `t${i}` });
    }
  }
  parts.push({ type: 'finish', finishReason: turn.finishReason, usage: turn.usage });
  return parts;
}

/** The tool results the model received in a prompt, by tool call id (what the model "sees"). */
export function toolResultsIn(prompt: LanguageModelV4Prompt | undefined): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const message of prompt ?? []) {
    if (message.role !== 'tool') continue;
    for (const part of message.content)
      if (part.type === 'tool-result') results[part.toolCallId] = part.output;
  }
  return results;
}

/** The support desk's AI SDK tools (unwrapped), counting their executions. */
export function supportTools() {
  const executions: Record<string, number> = { lookup_order: 0, refund_order: 0, delete_customer: 0 };
  const tools = {
    lookup_order: tool({
      description: 'Read an order',
      inputSchema: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => {
        executions.lookup_order = (executions.lookup_order ?? 0) + 1;
        return { orderId, status: 'delivered', total: 480 };
      },
    }),
    refund_order: tool({
      description: 'Refund part of an order',
      inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
      execute: async ({ orderId, amount }) => {
        executions.refund_order = (executions.refund_order ?? 0) + 1;
        return { orderId, refunded: amount };
      },
    }),
    delete_customer: tool({
      description: 'Delete a customer account',
      inputSchema: z.object({ customerId: z.string() }),
      execute: async () => {
        executions.delete_customer = (executions.delete_customer ?? 0) + 1;
        return { deleted: true };
      },
    }),
  };
  return { tools, executions };
}

/**
 * Writ facts the AI SDK does not know. In a task scoped to `orders:*`, the shipped Cedar policy allows
 * `lookup_order` (read-only), asks approval for `refund_order` (high risk) and denies `delete_customer`
 * (destructive, out of scope).
 */
export const HINTS: NonNullable<WritToolsOptions['tools']> = {
  lookup_order: {
    permission: 'orders:read',
    risk: 'low',
    annotations: { readOnly: true },
    resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }),
  },
  refund_order: {
    permission: 'orders:refund',
    risk: 'high',
    resource: (a) => ({ type: 'Order', id: String((a as { orderId: string }).orderId) }),
  },
  delete_customer: {
    permission: 'customers:delete',
    resource: (a) => ({ type: 'Customer', id: String((a as { customerId: string }).customerId) }),
  },
};

export const DENIED_DELETE =
  'Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run.';
export const REFUND_NEEDS_APPROVAL =
  'refund_order needs human approval (cedar): high-risk tools need a human approval';

/** An audit record, as read back from the log. */
// biome-ignore lint/suspicious/noExplicitAny: records are asserted field by field
export type AuditRecord = Record<string, any>;

/** A zero-config Writ in a temp dir, alice's requester token, and helpers to read the evidence back. */
export async function zeroConfigWrit(options: Omit<CreateWritOptions, 'dir'> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'writ-ai-sdk-'));
  const writ: WritRuntime = createWrit({ dir, service: 'support-desk', ...options });
  const { localIdentity, fileAudit } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
  if (aliceToken === undefined) throw new Error('no local identity');
  let closed: Promise<void> | undefined;
  return {
    dir,
    writ,
    aliceToken,
    /** Closes the instance once (the log is sealed with a checkpoint). */
    close: () => {
      closed ??= writ.close();
      return closed;
    },
    /** Every record of the log (checkpoints excluded). */
    async records(): Promise<AuditRecord[]> {
      const out: AuditRecord[] = [];
      for await (const line of readLines(join(dir, 'audit'))) {
        const r = JSON.parse(line.bytes.toString()).r as AuditRecord;
        if (r.kind !== 'checkpoint') out.push(r);
      }
      return out;
    },
    verify: () => verifyLog(join(dir, 'audit'), { verifierKey: fileAudit?.verifierKey, deep: true }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The messages after a turn, plus the human's answer to the (non-automatic) approval request in it. */
export function answerApproval(
  messages: ModelMessage[],
  result: { responseMessages: ModelMessage[]; content: ReadonlyArray<{ type: string }> },
  approved: boolean,
  reason?: string,
): { messages: ModelMessage[]; approvalId: string } {
  const request = result.content.find(
    (p): p is { type: 'tool-approval-request'; approvalId: string; isAutomatic?: boolean } =>
      p.type === 'tool-approval-request' && (p as { isAutomatic?: boolean }).isAutomatic !== true,
  );
  if (request === undefined) throw new Error('no approval request in the result');
  return {
    approvalId: request.approvalId,
    messages: [
      ...messages,
      ...result.responseMessages,
      {
        role: 'tool',
        content: [
          {
            type: 'tool-approval-response',
            approvalId: request.approvalId,
            approved,
            ...(reason === undefined ? {} : { reason }),
          },
        ],
      },
    ],
  };
}
