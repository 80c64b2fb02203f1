// Test support for the Strands e2e tests: a scripted model (Strands ships no mock model: a Model
// subclass that streams scripted turns and keeps every request) and readers of Writ's records.
import { join } from 'node:path';
import { type BaseModelConfig, type Message, Model, type ModelStreamEvent } from '@strands-agents/sdk';
import { readLines } from '@writ/audit';
import type { ApprovalEvent, AuditEvent, DecisionEvent, OutcomeEvent } from '@writ/core/plugin';

// ---------------------------------------------------------------------------------------------
// The scripted model

export type Turn =
  | { tools: { id: string; name: string; input: Record<string, unknown> }[] }
  | { text: string };
export const callTool = (id: string, name: string, input: Record<string, unknown>): Turn => ({
  tools: [{ id, name, input }],
});
export const say = (text: string): Turn => ({ text });

export class ScriptedModel extends Model {
  readonly requests: Message[][] = [];
  #config: BaseModelConfig = { modelId: 'scripted' };
  constructor(readonly script: Turn[]) {
    super();
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
    for (const { id, name, input } of turn.tools) {
      yield { type: 'modelContentBlockStartEvent', start: { type: 'toolUseStart', name, toolUseId: id } };
      yield {
        type: 'modelContentBlockDeltaEvent',
        delta: { type: 'toolUseInputDelta', input: JSON.stringify(input) },
      };
      yield { type: 'modelContentBlockStopEvent' };
    }
    yield { type: 'modelMessageStopEvent', stopReason: 'toolUse' };
  }
}

/** What the model was shown as the result of one tool call, in a request. */
export function resultSeen(
  messages: Message[] | undefined,
  id: string,
): { status: string; text: string } | undefined {
  for (const message of messages ?? []) {
    for (const block of message.content) {
      if (block.type === 'toolResultBlock' && block.toolUseId === id) {
        const text = block.content
          .map((c) => ('text' in c ? c.text : 'json' in c ? JSON.stringify(c.json) : JSON.stringify(c)))
          .join('');
        return { status: block.status, text };
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Writ records

export type Stored = AuditEvent | { kind: 'checkpoint' };
export async function readRecords(dir: string): Promise<Stored[]> {
  const out: Stored[] = [];
  for await (const line of readLines(join(dir, 'audit'))) out.push(JSON.parse(line.bytes.toString()).r);
  return out;
}
export const decisionsOf = (records: Stored[], name: string) =>
  records.filter((r): r is DecisionEvent => r.kind === 'decision' && r.call.name === name);
export const approvalsOf = (records: Stored[], name: string) =>
  records.filter((r): r is ApprovalEvent => r.kind === 'approval' && r.call.name === name);
export const outcomesOf = (records: Stored[], name: string) =>
  records.filter((r): r is OutcomeEvent => r.kind === 'outcome' && r.call.name === name);
