// Mastra's own scripted model (no network, no API key): it answers each model call with the next
// step of a script, as a real model would decide to call tools and then answer in text.
// In your application, pass a real model instead, e.g. `model: 'openai/gpt-5-mini'`.
import { MastraLanguageModelV2Mock } from '@mastra/core/test-utils/llm-mock';

type MockConfig = NonNullable<ConstructorParameters<typeof MastraLanguageModelV2Mock>[0]>;
type DoStream = Extract<NonNullable<MockConfig['doStream']>, (...args: never[]) => unknown>;
type StreamPart = Awaited<ReturnType<DoStream>>['stream'] extends ReadableStream<infer P> ? P : never;

/** One model turn: call these tools, or answer with this text. */
export type ModelStep = { tools: Array<{ id: string; name: string; args: unknown }> } | { text: string };

/** A streaming model that plays `script`, one step per model call. */
export function scriptedModel(script: ModelStep[]): MastraLanguageModelV2Mock {
  const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
  return new MastraLanguageModelV2Mock({
    doStream: async () => {
      const step = script.shift() ?? { text: '(the script has ended)' };
      const parts: StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if ('text' in step) {
        parts.push(
          { type: 'text-start', id: 'answer' },
          { type: 'text-delta', id: 'answer', delta: step.text },
          { type: 'text-end', id: 'answer' },
          { type: 'finish', finishReason: 'stop', usage },
        );
      } else {
        for (const call of step.tools) {
          parts.push({
            type: 'tool-call',
            toolCallId: call.id,
            toolName: call.name,
            input: JSON.stringify(call.args),
          });
        }
        parts.push({ type: 'finish', finishReason: 'tool-calls', usage });
      }
      const stream = new ReadableStream<StreamPart>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  });
}
