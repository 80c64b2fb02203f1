// A model that answers from a script, so the example runs offline. ADK ships no mock model: any
// `BaseLlm` subclass is a model to ADK's agent loop.
import { BaseLlm } from '@google/adk';

type LlmRequest = Parameters<BaseLlm['generateContentAsync']>[0];
type Step = NonNullable<Awaited<ReturnType<ReturnType<BaseLlm['generateContentAsync']>['next']>>['value']>;

/** One scripted answer: tool calls, or the final text. */
export type Scripted =
  | { tools: { id: string; name: string; args: Record<string, unknown> }[] }
  | { text: string };

export class ScriptedModel extends BaseLlm {
  readonly #script: Scripted[];

  constructor(script: Scripted[]) {
    super({ model: 'scripted' });
    this.#script = [...script];
  }

  async *generateContentAsync(_request: LlmRequest): AsyncGenerator<Step, void> {
    const next = this.#script.shift();
    if (next === undefined) throw new Error('the scripted model ran out of answers');
    if ('text' in next) {
      yield { content: { role: 'model', parts: [{ text: next.text }] }, turnComplete: true };
      return;
    }
    const parts = next.tools.map((t) => ({ functionCall: { id: t.id, name: t.name, args: t.args } }));
    yield { content: { role: 'model', parts } };
  }

  async connect(): Promise<never> {
    throw new Error('live connections are not scripted');
  }
}
