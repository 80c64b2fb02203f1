// Issue 18 item 1, through the real AI SDK loop: a provider that numbers tool calls per response ("0")
// makes two users' identical calls share a tool call id. Each user must get their own result, and each
// task must record its own decision and outcome.
import { writToolApproval, writTools } from '@writ/ai-sdk';
import { generateText, isStepCount, tool } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getToolContext } from 'writ';
import { z } from 'zod';
import {
  scriptedModel,
  text,
  toolCalls,
  toolResultsIn,
  zeroConfigWrit,
} from '../../../packages/ai-sdk/src/__support__/fixtures.js';
import { attack } from './attacks.js';

let env: Awaited<ReturnType<typeof zeroConfigWrit>>;
beforeEach(async () => {
  env = await zeroConfigWrit();
});
afterEach(async () => {
  await env.close();
  await env.cleanup();
});

const balances: Record<string, number> = { 'alice@example.com': 1_200, 'bob@example.com': 90 };

describe('the AI SDK loop across users', () => {
  it(
    attack(
      'ai-sdk-numbered-call-ids',
      'two users whose provider numbers tool calls "0" each get their own statement, decided and recorded in their own task',
    ),
    async () => {
      const ran: string[] = [];
      // the statement of whoever the task is for (what a real tool reads from its credential)
      const tools = writTools(
        {
          get_statement: tool({
            description: "The requester's account statement for a month",
            inputSchema: z.object({ month: z.string() }),
            execute: async ({ month }) => {
              const who = getToolContext().attribution.requester?.id ?? 'nobody';
              ran.push(who);
              return { account: who, month, balance: balances[who] };
            },
          }),
        },
        {
          writ: env.writ,
          tools: {
            get_statement: { permission: 'statements:read', risk: 'low', annotations: { readOnly: true } },
          },
        },
      );
      const bobToken = await (await env.writ.ready()).localIdentity?.issueRequesterToken({
        sub: 'bob@example.com',
      });
      // the provider numbers the calls of each response from "0": both users' calls are "0"
      const { model, prompts } = scriptedModel([
        toolCalls(['0', 'get_statement', { month: '2026-11' }]),
        text('Here is your November statement.'),
        toolCalls(['0', 'get_statement', { month: '2026-11' }]),
        text('Here is your November statement.'),
      ]);
      const ask = (requester: string | undefined) =>
        env.writ.task({ requester, agent: 'bank-bot', scope: ['statements:*'] }, async (task) => {
          await generateText({
            model,
            tools,
            toolApproval: writToolApproval(),
            messages: [{ role: 'user', content: 'Show me my November statement' }],
            stopWhen: isStepCount(3),
          });
          return task.attribution.taskId;
        });
      const aliceTask = await ask(env.aliceToken);
      const bobTask = await ask(bobToken);

      // what each user's model was handed as the tool result: their own statement
      expect(toolResultsIn(prompts[1])['0']).toEqual({
        type: 'json',
        value: { account: 'alice@example.com', month: '2026-11', balance: 1_200 },
      });
      expect(toolResultsIn(prompts[3])['0']).toEqual({
        type: 'json',
        value: { account: 'bob@example.com', month: '2026-11', balance: 90 },
      });
      expect(ran).toEqual(['alice@example.com', 'bob@example.com']);

      // each task recorded its own decision and outcome, for its own requester
      const records = await env.records();
      for (const [taskId, who] of [
        [aliceTask, 'alice@example.com'],
        [bobTask, 'bob@example.com'],
      ] as const) {
        const of = (kind: string) => records.filter((r) => r.kind === kind && r.taskId === taskId);
        expect(of('decision').map((r) => [r.call.id, r.decision.effect, r.requester.id])).toEqual([
          ['0', 'allow', who],
        ]);
        expect(of('outcome').map((r) => [r.call.id, r.outcome.status])).toEqual([['0', 'ok']]);
      }
      await env.close();
      expect(await env.verify()).toMatchObject({ ok: true });
    },
  );
});
