// A Strands model that answers from a script, offline: Strands ships no mock model, so this subclasses
// `Model` and streams each scripted turn as Strands' own model events. It keeps every request it got.
import { type BaseModelConfig, type Message, Model, type ModelStreamEvent } from '@strands-agents/sdk';

/** One scripted turn: tool calls (`toolUseId`, `name`, `input`) or a final text. */
export type Turn =
  | { readonly tools: readonly { id: string; name: string; input: Record<string, unknown> }[] }
  | { readonly text: string };

export class ScriptedModel extends Model {
  /** What the model was asked, turn by turn (copies of the conversation). */
  readonly requests: Message[][] = [];
  /** The turns not answered yet. */
  readonly script: Turn[];
  #config: BaseModelConfig = { modelId: 'scripted' };

  constructor(script: Turn[]) {
    super();
    this.script = script;
  }

  updateConfig(config: BaseModelConfig): void {
    this.#config = { ...this.#config, ...config };
  }

  getConfig(): BaseModelConfig {
    return this.#config;
  }

  async *stream(messages: Message[]): AsyncIterable<ModelStreamEvent> {
    this.requests.push([...messages]);
    const turn = this.script.shift();
    if (turn === undefined) throw new Error('the scripted model ran out of answers');
    yield { type: 'modelMessageStartEvent', role: 'assistant' };
    if ('text' in turn) {
      yield { type: 'modelContentBlockStartEvent' };
      yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'textDelta', text: turn.text } };
      yield { type: 'modelContentBlockStopEvent' };
      yield { type: 'modelMessageStopEvent', stopReason: 'endTurn' };
      return;
    }
    for (const call of turn.tools) {
      yield {
        type: 'modelContentBlockStartEvent',
        start: { type: 'toolUseStart', name: call.name, toolUseId: call.id },
      };
      yield {
        type: 'modelContentBlockDeltaEvent',
        delta: { type: 'toolUseInputDelta', input: JSON.stringify(call.input) },
      };
      yield { type: 'modelContentBlockStopEvent' };
    }
    yield { type: 'modelMessageStopEvent', stopReason: 'toolUse' };
  }
}

/** The tool result the model was shown for one call, in one request: its status and text. */
export function resultSeen(
  messages: readonly Message[] | undefined,
  toolUseId: string,
): { status: string; text: string } | undefined {
  for (const message of messages ?? []) {
    for (const block of message.content) {
      if (block.type === 'toolResultBlock' && block.toolUseId === toolUseId) {
        const text = block.content
          .map((c) => ('text' in c ? c.text : 'json' in c ? JSON.stringify(c.json) : JSON.stringify(c)))
          .join('');
        return { status: block.status, text };
      }
    }
  }
  return undefined;
}
