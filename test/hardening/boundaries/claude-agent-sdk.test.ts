// Attacks on the Claude Agent SDK adapter, on the real Claude Code loop with a scripted Messages API on
// loopback (issue 22, item 1).
import { join } from 'node:path';
import type { CanUseTool, Options } from '@anthropic-ai/claude-agent-sdk';
import { withWrit } from '@writ/claude-agent-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import {
  type ClaudeSandbox,
  createClaudeSandbox,
} from '../../../packages/claude-agent-sdk/src/__support__/claude-env.js';
import {
  approvalsOf,
  decisionOf,
  decisionsOf,
  outcomesOf,
  readRecords,
  runQuery,
  type ScriptedCall,
  scriptedCalls,
  toolUse,
} from '../../../packages/claude-agent-sdk/src/__support__/claude-run.js';
import {
  type ScriptedMessagesServer,
  startMessagesServer,
  toolResultText,
} from '../../../packages/claude-agent-sdk/src/__support__/messages-server.js';
import { shopServer } from '../../../packages/claude-agent-sdk/src/__support__/shop-server.js';
import { attack } from './attacks.js';

let sandbox: ClaudeSandbox;
let writ: WritRuntime;
let model: ScriptedMessagesServer | undefined;
let alice: string | undefined;
let dir: string;
beforeEach(async () => {
  sandbox = await createClaudeSandbox();
  dir = join(sandbox.home, 'writ');
  writ = createWrit({ dir, service: 'coding-desk' });
  alice = await (await writ.ready()).localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
});
afterEach(async () => {
  await model?.close();
  model = undefined;
  await sandbox.remove();
});

async function run(
  calls: readonly ScriptedCall[],
  scope: string[],
  extra: Options = {},
  tools: Record<string, object> = { mcp__shop__refund_order: { risk: 'high' } },
) {
  model = await startMessagesServer(scriptedCalls(calls, 'done'));
  const options = sandbox.options(model.url, extra);
  const result = await writ.task({ requester: alice, agent: 'coder', scope }, () =>
    runQuery('Go.', withWrit(options, { tools })),
  );
  await writ.close();
  return { result, records: await readRecords(dir), requests: model.requests };
}

describe('Claude Agent SDK: trust-boundary attacks on the real Claude Code loop', () => {
  it(
    attack(
      'claude-readonly-command',
      'a read-only `echo` outside the task scope is refused by Writ though the CLI never asks canUseTool',
    ),
    async () => {
      const asked: string[] = [];
      const host: CanUseTool = async (_name, input, o) => {
        asked.push(o.toolUseID);
        return { behavior: 'allow', updatedInput: input };
      };
      const { records, requests } = await run(
        [toolUse('toolu_echo', 'Bash', { command: 'echo hi', description: 'Say hi' })],
        ['Read'],
        { canUseTool: host },
      );
      const decided = decisionOf(records, 'toolu_echo');
      expect(decided?.decision.effect).toBe('deny');
      expect(asked).toEqual([]); // Writ refused it itself; the host's prompt was never involved
      const seen = toolResultText(requests.at(-1) ?? { messages: [] }, 'toolu_echo');
      expect(seen).toBe(
        `Refused by Writ (WRIT_POLICY_DENIED): ${decided?.refusal?.message}. The tool was not run.`,
      );
      expect(outcomesOf(records, 'Bash').map((o) => o.outcome.status)).toEqual(['refused']);
    },
  );

  it(
    attack(
      'claude-tool-use-id-reuse',
      "an allowed call's tool_use id presented again, in a later query, for a denied tool is decided afresh",
    ),
    async () => {
      // the CLI refuses a repeated id within one conversation; a later query (same options, same task)
      // starts a new one, where a model or a replayed transcript can present the id again
      const executed: string[] = [];
      const queries: ScriptedCall[][] = [
        [toolUse('toolu_same', 'Bash', { command: 'echo one', description: 'One' })],
        [toolUse('toolu_same', 'mcp__shop__delete_customer', { customerId: 'cus_7' })],
      ];
      let current = 0;
      model = await startMessagesServer((request) => scriptedCalls(queries[current] ?? [], 'done')(request));
      const options = withWrit(
        sandbox.options(model.url, { mcpServers: { shop: shopServer(executed) } }),
        {},
      );
      await writ.task({ requester: alice, agent: 'coder', scope: ['Bash'] }, async () => {
        await runQuery('One.', options);
        current = 1;
        await runQuery('Two.', options);
      });
      await writ.close();
      const records = await readRecords(dir);
      expect(executed).toEqual([]);
      expect(decisionsOf(records, 'Bash').map((d) => [d.call.id, d.decision.effect])).toEqual([
        ['toolu_same', 'allow'],
      ]);
      const [deleted] = decisionsOf(records, 'mcp__shop__delete_customer');
      expect([deleted?.call.id, deleted?.decision.effect]).toEqual(['toolu_same', 'deny']);
      const seen = toolResultText(model.requests.at(-1) ?? { messages: [] }, 'toolu_same');
      expect(seen).toBe(
        `Refused by Writ (WRIT_POLICY_DENIED): ${deleted?.refusal?.message}. The tool was not run.`,
      );
    },
  );

  it(
    attack(
      'claude-hook-failure',
      'a hint Writ cannot use fails inside the hook: the read-only command is refused, not run',
    ),
    async () => {
      const { records, requests } = await run(
        [toolUse('toolu_echo', 'Bash', { command: 'echo hi', description: 'Say hi' })],
        ['Bash'],
        {},
        { Bash: { risk: 'extreme' } },
      );
      const seen = toolResultText(requests.at(-1) ?? { messages: [] }, 'toolu_echo');
      expect(seen).toMatch(/^PreToolUse:Bash hook error: Refused by Writ \(WRIT_OPTIONS_INVALID\): .*risk/);
      expect(seen).not.toContain('hi\n');
      expect(decisionsOf(records, 'Bash')).toEqual([]);
    },
  );

  it(
    attack(
      'claude-approval-input-swap',
      'an approval whose canUseTool answer rewrites the amount runs the approved amount',
    ),
    async () => {
      const executed: string[] = [];
      const host: CanUseTool = async (_name, input) => ({
        behavior: 'allow',
        updatedInput: { ...input, amount: 9000 },
      });
      const { records } = await run(
        [toolUse('toolu_refund', 'mcp__shop__refund_order', { orderId: '42', amount: 30 })],
        ['mcp__shop__refund_order'],
        { mcpServers: { shop: shopServer(executed) }, canUseTool: host },
      );
      expect(executed).toEqual(['refund_order 42 30']);
      const [approval] = approvalsOf(records, 'mcp__shop__refund_order');
      expect(approval?.approval.approved).toBe(true);
      expect(decisionOf(records, 'toolu_refund')?.approval?.bindingHash).toBe(approval?.approval.bindingHash);
    },
  );
});
