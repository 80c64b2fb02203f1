// Scripted stand-ins for real models (swap in `openai('gpt-5')` or any provider): the AI SDK's own mock
// model, turn by turn, so the example runs offline and the same way every time.
import { MockLanguageModelV4 } from 'ai/test';

const usage = {
  inputTokens: { total: 20, noCache: 20, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};

/** One turn of a script: a tool call, or the final answer. */
export type Turn = { readonly tool: string; readonly input: unknown } | { readonly text: string };

/**
 * A model that plays `turns` in order, one per `generateText` step (a tool call per turn, so the calls
 * happen one after the other), then answers with the last turn's text.
 */
export function scriptedModel(name: string, turns: readonly Turn[]) {
  let turn = 0;
  return new MockLanguageModelV4({
    modelId: name,
    doGenerate: async () => {
      const next = turns[Math.min(turn, turns.length - 1)] as Turn;
      turn += 1;
      if ('text' in next) {
        return {
          content: [{ type: 'text' as const, text: next.text }],
          finishReason: { unified: 'stop' as const, raw: 'stop' },
          usage,
          warnings: [],
        };
      }
      return {
        content: [
          {
            type: 'tool-call' as const,
            toolCallId: `${name}_call_${turn}`,
            toolName: next.tool,
            input: JSON.stringify(next.input),
          },
        ],
        finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
        usage,
        warnings: [],
      };
    },
  });
}
