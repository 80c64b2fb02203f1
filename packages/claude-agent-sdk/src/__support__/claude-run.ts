import { type Options, query, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { DecisionEvent } from '@writ/core/plugin';
import type { Stored } from '../../../../test/adapters/support-desk-e2e.js';
import { hasToolResult, type MessagesRequest, type ScriptedBlock } from './messages-server.js';

// the records' readers are the adapters' e2e tests' (one home: test/adapters/support-desk-e2e.ts)
export {
  approvalsOf,
  decisionsOf,
  outcomesOf,
  readRecords,
  type Stored,
} from '../../../../test/adapters/support-desk-e2e.js';

/** The decision record of the call with this tool_use id. */
export const decisionOf = (records: Stored[], toolUseId: string) =>
  records.find((r): r is DecisionEvent => r.kind === 'decision' && r.call.id === toolUseId);

/** A scripted tool call of the model. */
export type ScriptedCall = ScriptedBlock & { type: 'tool_use' };

/** A scripted tool call of the model: its `tool_use` id, the tool, the input. */
export function toolUse(id: string, name: string, input: Record<string, unknown>): ScriptedCall {
  return { type: 'tool_use', id, name, input };
}

/** The model's turns: one tool call each, in order, until every one has a result; then `last`. */
export function scriptedCalls(calls: readonly ScriptedCall[], last: string) {
  return (request: MessagesRequest): ScriptedBlock[] => {
    for (const call of calls) if (!hasToolResult(request, call.id)) return [call];
    return [{ type: 'text', text: last }];
  };
}

/** Runs the real Claude Code loop to its last result message (a background sub-agent adds one). */
export async function runQuery(prompt: string, options: Options): Promise<SDKResultMessage> {
  let result: SDKResultMessage | undefined;
  for await (const message of query({ prompt, options })) if (message.type === 'result') result = message;
  if (result === undefined) throw new Error('no result message');
  return result;
}
