// The AI SDK's own tool loop around the benchmark tool: generateText with its MockLanguageModelV4
// scripted to call the tool once and then answer, with or without @writ/ai-sdk. Used by the peers scenario
// and profile.ts (ai-sdk, ai-sdk-writ).
import type { LanguageModelV4GenerateResult, LanguageModelV4Prompt } from '@ai-sdk/provider';
import { writTools } from '@writ/ai-sdk';
import type { Writ } from '@writ/core';
import { generateText, type ToolSet, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';
import { LOOKUP_HINTS, type LookupArgs, lookupOrder } from '../fixtures.ts';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/**
 * The AI SDK's own mock model, answering forever: a `lookup_order` tool call when the last message is not
 * a tool result, a text answer when it is. One `generateText` = two model turns and one tool execution.
 */
function loopingModel() {
  let n = 0;
  const turn = (prompt: LanguageModelV4Prompt): LanguageModelV4GenerateResult =>
    prompt.at(-1)?.role === 'tool'
      ? {
          content: [{ type: 'text', text: 'shipped' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage,
          warnings: [],
        }
      : {
          content: [
            {
              type: 'tool-call',
              toolCallId: `call_${++n}`,
              toolName: 'lookup_order',
              input: '{"orderId":"ord_42"}',
            },
          ],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage,
          warnings: [],
        };
  return new MockLanguageModelV4({ doGenerate: async ({ prompt }) => turn(prompt) });
}

/** The benchmark tool as an AI SDK tool (same body). */
export function aiSdkTools() {
  return {
    lookup_order: tool({
      description: 'Look up an order by id',
      inputSchema: z.object({ orderId: z.string() }),
      execute: (args: LookupArgs) => lookupOrder(args),
    }),
  };
}

/**
 * The benchmark tool as an AI SDK tool whose `execute` calls a Writ tool (`writ.tool`, or the adapter kit's
 * `run` with the AI SDK's tool call id; no adapter).
 */
export function aiSdkToolsCalling(execute: (args: LookupArgs, toolCallId: string) => Promise<unknown>) {
  return {
    lookup_order: tool({
      description: 'Look up an order by id',
      inputSchema: z.object({ orderId: z.string() }),
      execute: (args: LookupArgs, { toolCallId }) => execute(args, toolCallId),
    }),
  };
}

/** {@link aiSdkTools} wrapped by `@writ/ai-sdk` for `writ`. */
export function writAiSdkTools(writ: Writ): ToolSet {
  // the facts of the direct writ.tool (audience, resource…), so both sides of the gap do the same work
  return writTools(aiSdkTools(), { writ, tools: LOOKUP_HINTS });
}

const PROMPT = 'Where is order 42?';

/** One `generateText` through the AI SDK loop with `tools` (two mock turns, one tool call). */
export function aiSdkLoop(tools: ToolSet, approval: boolean): () => Promise<unknown> {
  const model = loopingModel();
  return () =>
    generateText({
      model,
      tools,
      prompt: PROMPT,
      stopWhen: ({ steps }) => steps.length >= 2,
      ...(approval ? { toolApproval: () => ({ type: 'approved' as const }) } : {}),
    });
}
