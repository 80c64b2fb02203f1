import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CanUseTool, Options } from '@anthropic-ai/claude-agent-sdk';
import { verifyLog } from '@writ/audit';
import type { AuditEvent } from '@writ/core/plugin';
import { startTestTracing, type TestTracing } from '@writ/otel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, type WritRuntime } from 'writ';
import { type ClaudeSandbox, createClaudeSandbox } from './__support__/claude-env.js';
import {
  approvalsOf,
  decisionOf,
  decisionsOf,
  outcomesOf,
  readRecords,
  runQuery,
  scriptedCalls,
  toolUse,
} from './__support__/claude-run.js';
import {
  firstUserText,
  hasToolResult,
  type ScriptedMessagesServer,
  startMessagesServer,
  toolResultText,
} from './__support__/messages-server.js';
import { shopServer } from './__support__/shop-server.js';
import { withWrit } from './index.js';

const hints = {
  mcp__shop__lookup_order: { annotations: { readOnly: true } },
  mcp__shop__refund_order: { risk: 'high' as const },
};

let dir: string;
let sandbox: ClaudeSandbox;
let writ: WritRuntime;
let tracing: TestTracing;
let model: ScriptedMessagesServer | undefined;
let alice: string | undefined;
beforeEach(async () => {
  sandbox = await createClaudeSandbox();
  dir = join(sandbox.home, 'writ');
  tracing = startTestTracing();
  writ = createWrit({ dir, service: 'coding-desk' });
  alice = await (await writ.ready()).localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
});
afterEach(async () => {
  await model?.close();
  model = undefined;
  await tracing.shutdown();
  await sandbox.remove();
});

const baseOptions = (server: ScriptedMessagesServer, extra: Options = {}): Options =>
  sandbox.options(server.url, extra);

describe('withWrit on the real Claude Code loop (scripted Messages API on loopback)', () => {
  it('decides and records every call: SDK MCP tools and built-ins, a read-only Bash command the CLI would not ask about, a deny the model reads word for word, an approval and a rejection through canUseTool', async () => {
    const executed: string[] = [];
    const credentials: Array<string | undefined> = [];
    const notes = join(sandbox.workspace, 'notes.txt');
    const calls = [
      toolUse('toolu_lookup', 'mcp__shop__lookup_order', { orderId: '42' }),
      toolUse('toolu_write', 'Write', { file_path: notes, content: 'damaged\n' }),
      toolUse('toolu_echo', 'Bash', { command: 'echo hi', description: 'Say hi' }),
      toolUse('toolu_delete', 'mcp__shop__delete_customer', { customerId: 'cus_7' }),
      toolUse('toolu_refund', 'mcp__shop__refund_order', { orderId: '42', amount: 30 }),
      toolUse('toolu_refund_big', 'mcp__shop__refund_order', { orderId: '42', amount: 900 }),
    ];
    model = await startMessagesServer(scriptedCalls(calls, 'Refunded 30 on order 42.'));
    const asked: Array<[string, string | undefined]> = [];
    // the host's permission prompt: a human who approves small refunds only
    const human: CanUseTool = async (_toolName, input, o) => {
      asked.push([o.toolUseID, o.decisionReason]);
      return typeof input.amount === 'number' && input.amount < 100
        ? { behavior: 'allow', updatedInput: input }
        : { behavior: 'deny', message: 'refunds over 100 need a manager' };
    };
    const scope = ['mcp__shop__lookup_order', 'mcp__shop__refund_order', 'Write', 'Bash'];
    const { result, taskId } = await writ.task({ requester: alice, agent: 'coder', scope }, async (task) => ({
      result: await runQuery(
        'Order 42 arrived damaged.',
        withWrit(
          baseOptions(model as ScriptedMessagesServer, {
            mcpServers: { shop: shopServer(executed, credentials) },
            canUseTool: human,
          }),
          {
            tools: hints,
            approver: { kind: 'human', id: 'maria@example.com', assurance: 'asserted' },
            resource: (toolName, input) =>
              toolName === 'Bash'
                ? { type: 'Command', id: String(input.command) }
                : toolName === 'Write'
                  ? { type: 'File', id: String(input.file_path) }
                  : undefined,
          },
        ),
      ),
      taskId: task.attribution.taskId,
    }));
    await writ.close();

    // the run went on after the deny and the rejection, to the model's last turn
    expect(result.subtype === 'success' && result.result).toBe('Refunded 30 on order 42.');
    expect(executed).toEqual(['lookup_order 42', 'refund_order 42 30']);
    expect(existsSync(notes)).toBe(true);
    const last = model.requests.at(-1);
    if (last === undefined) throw new Error('no request');
    expect(toolResultText(last, 'toolu_echo')).toContain('hi');

    const records = await readRecords(dir);
    // every call decided once, bound to the model's tool_use id, the task and the session
    for (const call of calls) {
      const decided = decisionsOf(records, call.name).filter((d) => d.call.id === call.id);
      expect(decided, call.id).toHaveLength(1);
      expect(decided[0]?.taskId).toBe(taskId);
      expect(decided[0]?.call.framework).toEqual({
        name: 'claude-agent-sdk',
        ids: { sessionId: result.session_id },
      });
    }
    const effect = (id: string) => decisionOf(records, id);
    expect(calls.map((c) => [c.id, effect(c.id)?.decision.effect])).toEqual([
      ['toolu_lookup', 'allow'],
      ['toolu_write', 'allow'],
      ['toolu_echo', 'allow'],
      ['toolu_delete', 'deny'],
      ['toolu_refund', 'approval_required'],
      ['toolu_refund_big', 'approval_required'],
    ]);
    // the read-only Bash command: the CLI did not ask canUseTool, Writ decided and recorded it anyway
    expect(asked.map(([id]) => id)).toEqual(['toolu_refund', 'toolu_refund_big']);
    expect(outcomesOf(records, 'Bash').map((o) => [o.call.id, o.outcome.status])).toEqual([
      ['toolu_echo', 'ok'],
    ]);
    // the resource of built-in calls comes from options.resource
    expect(effect('toolu_echo')?.call.resource).toEqual({ type: 'Command', id: 'echo hi' });
    expect(effect('toolu_write')?.call.resource).toEqual({ type: 'File', id: notes });
    expect(effect('toolu_lookup')?.call.resource).toEqual({ type: 'Tool', id: 'mcp__shop__lookup_order' });

    // the deny: the model's next request carries Writ's refusal, word for word
    const denied = effect('toolu_delete');
    const refusal = `Refused by Writ (WRIT_POLICY_DENIED): ${denied?.refusal?.message}. The tool was not run.`;
    expect(refusal).toContain('destructive tools outside the task scope are denied');
    const afterDeny = model.requests.find((r) => hasToolResult(r, 'toolu_delete'));
    if (afterDeny === undefined) throw new Error('the model was not called after the deny');
    expect(toolResultText(afterDeny, 'toolu_delete')).toBe(refusal);
    expect(result.permission_denials.map((d) => d.tool_use_id)).toEqual(['toolu_delete', 'toolu_refund_big']);

    // approval: asked through canUseTool with Writ's reason, recorded with the approver, bound to the call
    expect(asked[0]?.[1]).toContain('mcp__shop__refund_order needs human approval');
    const approvals = approvalsOf(records, 'mcp__shop__refund_order');
    expect(approvals.map((a) => [a.call.id, a.approval.approved, a.approval.approver?.id])).toEqual([
      ['toolu_refund', true, 'maria@example.com'],
      ['toolu_refund_big', false, 'maria@example.com'],
    ]);
    expect(approvals[0]?.approval.bindingHash).toBe(effect('toolu_refund')?.approval?.bindingHash);
    // the SDK MCP tool's handler got the call's credential (the one in the decision record)
    expect(credentials).toEqual([effect('toolu_refund')?.credential?.jti]);
    expect(credentials[0]).toEqual(expect.any(String));
    // rejection: the model reads Writ's refusal with the human's reason
    const afterReject = model.requests.find((r) => hasToolResult(r, 'toolu_refund_big'));
    expect(afterReject && toolResultText(afterReject, 'toolu_refund_big')).toMatch(
      /^Refused by Writ \(WRIT_APPROVAL_REJECTED\): .*refunds over 100 need a manager.*The tool was not run\.$/,
    );
    expect(outcomesOf(records, 'mcp__shop__refund_order').map((o) => [o.call.id, o.outcome.status])).toEqual([
      ['toolu_refund', 'ok'],
      ['toolu_refund_big', 'refused'],
    ]);

    // spans: one execute_tool span per call, carrying the tool_use id
    const spans = tracing.toolSpans();
    expect(spans.map((s) => [s.name, s.attributes['gen_ai.tool.call.id']])).toEqual(
      expect.arrayContaining(calls.map((c) => [`execute_tool ${c.name}`, c.id])),
    );
    expect(effect('toolu_echo')?.spanId).toBe(
      spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_echo')?.spanContext().spanId,
    );

    const verdict = await verifyLog(join(dir, 'audit'), {
      verifierKey: (await writ.ready()).fileAudit?.verifierKey,
      deep: true,
    });
    expect(verdict).toMatchObject({ ok: true, keyPinned: true });
    console.log(
      `claude-agent-sdk e2e: ${model.requests.length} model requests; paths ${[...new Set(model.paths)].join(', ')}`,
    );
  });

  it('runs a Task sub-agent as a delegation with narrowed scope: its calls are decided under its chain, and what the narrowed scope leaves out is refused, even a read-only command', async () => {
    const log = join(sandbox.workspace, 'app.log');
    await writeFile(log, 'ERROR boom\n');
    const main = [
      toolUse('toolu_agent', 'Agent', {
        description: 'Investigate the logs',
        prompt: 'SUBTASK: read app.log',
        subagent_type: 'researcher',
      }),
    ];
    const sub = [
      toolUse('toolu_sub_read', 'Read', { file_path: log }),
      toolUse('toolu_sub_echo', 'Bash', { command: 'echo hi', description: 'Say hi' }),
    ];
    const mainScript = scriptedCalls(main, 'The log says boom.');
    const subScript = scriptedCalls(sub, 'app.log: ERROR boom');
    model = await startMessagesServer((request) =>
      firstUserText(request).includes('SUBTASK') ? subScript(request) : mainScript(request),
    );
    const scope = ['Agent', 'Read', 'Bash'];
    const delegated: string[] = [];
    const { result, taskId } = await writ.task({ requester: alice, agent: 'coder', scope }, async (task) => ({
      result: await tracing.tracer.startActiveSpan('invoke_agent coder', async (span) => {
        try {
          return await runQuery(
            'Why did the app fail?',
            withWrit(
              baseOptions(model as ScriptedMessagesServer, {
                agents: {
                  researcher: {
                    description: 'Reads logs',
                    prompt: 'You investigate logs.',
                    tools: ['Read', 'Bash'],
                  },
                },
              }),
              {
                subagent: (agentType, input) => {
                  delegated.push(`${agentType}: ${String(input.description)}`);
                  return { scope: ['Read'] };
                },
              },
            ),
          );
        } finally {
          span.end();
        }
      }),
      taskId: task.attribution.taskId,
    }));
    await writ.close();
    expect(result.subtype === 'success' && result.result).toBe('The log says boom.');
    expect(delegated).toEqual(['researcher: Investigate the logs']);

    const records = await readRecords(dir);
    const [agentCall] = decisionsOf(records, 'Agent');
    expect(agentCall?.decision.effect).toBe('allow');
    expect(agentCall?.taskId).toBe(taskId);
    // the delegation: a task of its own under the coder's, scope narrowed, chain coder → researcher
    const delegation = records.find(
      (r): r is Extract<AuditEvent, { kind: 'task-start' }> =>
        r.kind === 'task-start' && r.parentTaskId === taskId,
    );
    expect(delegation?.scope).toEqual(['Read']);
    expect(delegation?.intent).toBe('Investigate the logs');
    expect(delegation?.chain.map((p) => p.id.split('/').at(-1))).toEqual(['coder', 'researcher']);
    const [read] = decisionsOf(records, 'Read');
    const [echo] = decisionsOf(records, 'Bash');
    for (const d of [read, echo]) {
      expect(d?.taskId).toBe(delegation?.taskId);
      expect(d?.call.framework?.ids).toMatchObject({ sessionId: result.session_id, agentType: 'researcher' });
      expect(d?.call.framework?.ids?.agentId).toEqual(expect.any(String));
    }
    expect(read?.decision.effect).toBe('allow');
    expect(read?.call.id).toBe('toolu_sub_read');
    // Bash is outside the researcher's scope: denied, though the CLI deems `echo hi` read-only
    expect(echo?.call.id).toBe('toolu_sub_echo');
    expect(echo?.decision.effect).toBe('deny');
    const afterEcho = model.requests.find((r) => hasToolResult(r, 'toolu_sub_echo'));
    expect(afterEcho && toolResultText(afterEcho, 'toolu_sub_echo')).toBe(
      `Refused by Writ (WRIT_POLICY_DENIED): ${echo?.refusal?.message}. The tool was not run.`,
    );
    expect(outcomesOf(records, 'Read').map((o) => o.outcome.status)).toEqual(['ok']);
    expect(outcomesOf(records, 'Agent').map((o) => o.outcome.status)).toEqual(['ok']);

    // span tree: the sub-agent's calls nest under the Agent call that started it
    expect(tracing.tree()).toBe(
      ['invoke_agent coder', '  execute_tool Agent', '    execute_tool Read', '    execute_tool Bash'].join(
        '\n',
      ),
    );
    const verdict = await verifyLog(join(dir, 'audit'), {
      verifierKey: (await writ.ready()).fileAudit?.verifierKey,
      deep: true,
    });
    expect(verdict).toMatchObject({ ok: true, keyPinned: true });
  });
});
