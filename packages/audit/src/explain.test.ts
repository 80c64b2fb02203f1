import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createFileAuditSink,
  explain,
  explainLog,
  formatExplain,
  type LogRecord,
  verifyLog,
} from '@writ/audit';
import { createWrit } from '@writ/core';
import { adaptTool } from '@writ/core/adapter';
import {
  createInMemoryApprovals,
  createInMemoryCredentialBroker,
  createInMemoryIdentity,
  createInMemoryPolicy,
} from '@writ/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useTempDir } from './__support__/log.js';

let dir: string;
useTempDir('writ-explain-', (path) => {
  dir = path;
});

describe('explain', () => {
  it('reconstructs requester → agent chain → decision → approval → credential → outcome for a delegated task, from the log alone', async () => {
    const audit = await createFileAuditSink({ dir: `${dir}/audit`, keyDir: `${dir}/keys` });
    const writ = createWrit({
      audit,
      identity: createInMemoryIdentity({ requesters: { 'tok-alice': { id: 'alice@example.com' } } }),
      credentials: createInMemoryCredentialBroker(),
      approvals: createInMemoryApprovals({
        approver: { kind: 'human', id: 'maria@example.com', assurance: 'verified' },
      }),
      policy: createInMemoryPolicy({
        rules: [
          { id: 'reads', effect: 'allow', tool: 'lookup_order' },
          {
            id: 'refunds',
            effect: 'approval_required',
            tool: 'refund_order',
            reason: 'refunds need a human',
          },
          {
            id: 'no-deletes',
            effect: 'deny',
            tool: 'delete_customer',
            reason: 'agents never delete customers',
          },
        ],
      }),
    });
    const tool = (name: string, audience?: string) =>
      writ.tool({
        name,
        audience,
        input: z.object({ id: z.string() }),
        resource: ({ id }) => ({ type: 'Order', id }),
        execute: async () => 'done',
      });
    const lookup = tool('lookup_order');
    const refund = tool('refund_order', 'https://payments.example.com');
    const remove = tool('delete_customer');

    const { taskId, correlationId } = await writ.task(
      { requester: 'tok-alice', agent: 'support', intent: 'Refund order 42', scope: ['*'] },
      async (task) => {
        await lookup.execute({ id: '42' }, { toolCallId: 'call-lookup' });
        await refund.execute({ id: '42' }, { toolCallId: 'call-refund' });
        await writ
          .delegate({ agent: 'billing', scope: ['delete_customer'] }, async () => {
            await remove.execute({ id: 'c7' }, { toolCallId: 'call-delete' }).catch(() => undefined);
            await writ
              .delegate({ agent: 'ledger', scope: ['*'] }, async () => undefined)
              .catch(() => undefined);
          })
          .catch(() => undefined);
        return task.attribution;
      },
    );
    await writ.close();
    expect((await verifyLog(audit.dir, { verifierKey: audit.verifierKey })).ok).toBe(true);

    const [root] = await explainLog(audit.dir, { taskId });
    expect(root).toMatchObject({
      taskId,
      intent: 'Refund order 42',
      requester: { id: 'alice@example.com', assurance: 'verified' },
      status: 'started',
    });
    expect(root?.chain.map((p) => p.name)).toEqual(['support']);
    const [read, pay] = root?.calls ?? [];
    expect(read).toMatchObject({
      tool: 'lookup_order',
      decision: { effect: 'allow', policyIds: ['reads'] },
      outcome: { status: 'ok' },
    });
    expect(pay).toMatchObject({
      tool: 'refund_order',
      decision: { effect: 'approval_required', policyIds: ['refunds'], reasons: ['refunds need a human'] },
      approval: { approved: true, approver: { id: 'maria@example.com' } },
      credential: { audience: 'https://payments.example.com' },
      outcome: { status: 'ok' },
    });
    const billing = root?.delegations[0];
    expect(billing?.chain.map((p) => p.name)).toEqual(['support', 'billing']);
    expect(billing?.calls[0]).toMatchObject({
      tool: 'delete_customer',
      decision: { effect: 'deny', policyIds: ['no-deletes'] },
      outcome: { status: 'refused' },
    });
    expect(billing?.delegations[0]).toMatchObject({
      status: 'refused',
      refusal: { code: 'WRIT_SCOPE_EXCEEDED' },
    });
    expect(root?.revoked.length).toBeGreaterThan(0);
    expect(pay?.decision.evaluatedContext).toMatchObject({ context: { intent: 'Refund order 42', taskId } });

    const text = formatExplain([root as NonNullable<typeof root>]);
    for (const fragment of [
      'alice@example.com (verified)',
      'agent support',
      '⏸ approval',
      'approval granted by maria@example.com',
      'credential',
      'for https://payments.example.com',
      'delegation',
      'agent billing',
      '✖ deny',
      'WRIT_SCOPE_EXCEEDED',
      'outcome ok',
    ]) {
      expect(text).toContain(fragment);
    }
    expect(await explainLog(audit.dir, { callId: 'call-delete' })).toMatchObject([
      { calls: [{ callId: 'call-delete' }] },
    ]);
    const byCorrelation = await explainLog(audit.dir, { correlationId });
    expect(byCorrelation.map((t) => t.taskId)).toEqual([taskId]);
  });

  it('keeps one node for a task a service continued over several requests (writ.task({ inbound }))', async () => {
    const audit = await createFileAuditSink({ dir: `${dir}/audit`, keyDir: `${dir}/keys` });
    const writ = createWrit({
      audit,
      identity: createInMemoryIdentity({}),
      policy: createInMemoryPolicy({ rules: [{ id: 'all', effect: 'allow' }] }),
    });
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ id: z.string() }),
      execute: () => 'ok',
    });
    const inbound = {
      taskId: 'client-task',
      subject: 'alice@example.com',
      actors: ['spiffe://client.test/agent/support'],
      autonomous: false,
      scope: ['*'],
      issuer: 'spiffe://client.test',
      jti: 'jti-1',
      expiresAt: Date.now() + 60_000,
      correlationId: 'corr-1',
    };
    // two MCP requests of the same client task, each a task-start on the server
    await writ.task({ agent: 'orders-mcp', inbound }, () =>
      lookup.execute({ id: '1' }, { toolCallId: 'r1' }),
    );
    await writ.task({ agent: 'orders-mcp', inbound }, () =>
      lookup.execute({ id: '2' }, { toolCallId: 'r2' }),
    );
    await writ.close();
    const [task, ...others] = await explainLog(audit.dir, { taskId: 'client-task' });
    expect(others).toEqual([]);
    expect(task?.calls.map((c) => c.callId)).toEqual(['r1', 'r2']);
    expect(await explainLog(audit.dir, { correlationId: 'corr-1' })).toHaveLength(1);
  });

  it('marks each node with what verification proves about its records, and says which in the tree', async () => {
    const audit = await createFileAuditSink({ dir: `${dir}/audit`, keyDir: `${dir}/keys` });
    const writ = createWrit({
      audit,
      identity: createInMemoryIdentity({ requesters: { 'tok-alice': { id: 'alice@example.com' } } }),
      policy: createInMemoryPolicy({ rules: [{ id: 'all', effect: 'allow' }] }),
    });
    const lookup = writ.tool({
      name: 'lookup_order',
      input: z.object({ id: z.string() }),
      execute: () => 'ok',
    });
    const { taskId } = await writ.task({ requester: 'tok-alice', agent: 'support' }, async (task) => {
      await lookup.execute({ id: '1' }, { toolCallId: 'c1' });
      await lookup.execute({ id: '2' }, { toolCallId: 'c2' });
      return task.attribution;
    });
    await writ.close();
    const pinned = { verifierKey: audit.verifierKey };

    const [intact] = await explainLog(audit.dir, { taskId }, pinned);
    expect(intact?.evidence).toBe('verified');
    expect(intact?.records.map((r) => [r.kind, r.evidence])).toEqual([
      ['task-start', 'verified'],
      ['task-end', 'verified'],
    ]);
    expect(intact?.calls.map((c) => [c.callId, c.evidence, c.records.map((r) => r.kind)])).toEqual([
      ['c1', 'verified', ['decision', 'outcome']],
      ['c2', 'verified', ['decision', 'outcome']],
    ]);
    expect(formatExplain(intact === undefined ? [] : [intact])).not.toMatch(/not verified|not sealed/);

    // the second call's outcome changed, still a valid record: the log's only checkpoint is at its end, so
    // nothing in it is proven any more, and every node says which of its records are not
    const copy = join(dir, 'copy');
    await cp(audit.dir, copy, { recursive: true });
    const segment = join(copy, (await readdir(copy)).find((n) => n.endsWith('.jsonl')) as string);
    const lines = (await readFile(segment, 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.includes('"kind":"outcome"') && l.includes('"id":"c2"'));
    lines[at] = (lines[at] as string).replace('"status":"ok"', '"status":"error"');
    await writeFile(segment, lines.join('\n'));
    const [changed] = await explainLog(copy, { taskId }, pinned);
    expect(changed?.calls.map((c) => c.evidence)).toEqual(['failed', 'failed']);
    expect(changed?.evidence).toBe('failed');
    const tree = formatExplain(changed === undefined ? [] : [changed]);
    expect(at).toBe(4);
    expect(tree).toMatch(
      /├─ lookup_order #c2 \[record 3\]\n.*│ {2}✖ not verified: record 3 \(decision\), record 4 \(outcome\)\n/,
    );
    expect(tree).toMatch(
      /├─ lookup_order #c1 \[record 1\]\n.*│ {2}✖ not verified: record 1 \(decision\), record 2 \(outcome\)\n/,
    );
    expect(tree).toMatch(
      /└─ agent support .*\n {3}✖ not verified: record 0 \(task-start\), record 5 \(task-end\)\n/,
    );

    // read without verifying, nothing is marked one by one (the caller says so once), and nothing is proven
    const [unread] = await explainLog(copy, { taskId }, { verify: false });
    expect(unread?.evidence).toBe('unverified');
    expect(formatExplain(unread === undefined ? [] : [unread])).not.toMatch(/not verified|not sealed/);
  });

  it("joins a call's records on task and call id: a call id another task reuses takes nothing of it", () => {
    const base = {
      v: 1,
      time: '2026-01-01T00:00:00.000Z',
      service: 's',
      correlationId: 'corr',
      requester: null,
      chain: [{ kind: 'agent', id: 'spiffe://d/agent/a', name: 'a', assurance: 'verified' }],
      autonomous: true,
    };
    const start = (taskId: string) => ({
      ...base,
      id: `s-${taskId}`,
      taskId,
      kind: 'task-start',
      status: 'started',
      scope: ['*'],
    });
    const decision = (taskId: string) => ({
      ...base,
      id: `d-${taskId}`,
      taskId,
      kind: 'decision',
      call: { id: '0', name: 'lookup_order', argsDigest: 'sha256:x' },
      decision: { effect: 'allow', policyIds: [], reasons: [], decisionId: taskId, engine: 'e' },
    });
    const outcome = (taskId: string, status: string) => ({
      ...base,
      id: `o-${taskId}`,
      taskId,
      kind: 'outcome',
      call: { id: '0', name: 'lookup_order' },
      outcome: { status, durationMs: 1 },
    });
    const records = [
      start('A'),
      start('B'),
      decision('A'),
      decision('B'),
      outcome('A', 'ok'),
      outcome('B', 'error'),
    ];
    const events = records.map((event, index) => ({ index, event: event as unknown as LogRecord }));
    const [a] = explain(events, { taskId: 'A' });
    const [b] = explain(events, { taskId: 'B' });
    expect(a?.calls[0]?.outcome?.status).toBe('ok');
    expect(a?.calls[0]?.records.map((r) => r.index)).toEqual([2, 4]);
    expect(b?.calls[0]?.outcome?.status).toBe('error');
    expect(b?.calls[0]?.records.map((r) => r.index)).toEqual([3, 5]);
  });

  it('keeps the calls of parallel tasks apart when they share a tool call id', async () => {
    const audit = await createFileAuditSink({ dir: `${dir}/audit`, keyDir: `${dir}/keys` });
    const writ = createWrit({
      audit,
      identity: createInMemoryIdentity({
        requesters: { 'tok-alice': { id: 'alice@example.com' }, 'tok-bob': { id: 'bob@example.com' } },
      }),
      policy: createInMemoryPolicy({ rules: [{ id: 'statements', effect: 'allow' }] }),
    });
    let bobRan: () => void = () => undefined;
    const bobHasRun = new Promise<void>((resolve) => {
      bobRan = resolve;
    });
    // alice's call is decided first and ends last; bob's fails in between
    const statement = adaptTool(
      'test-framework',
      { name: 'get_statement', input: z.object({ month: z.string() }) },
      async (_args, ctx) => {
        if (ctx.attribution.requester?.id === 'alice@example.com') return bobHasRun.then(() => 'statement');
        bobRan();
        throw new Error('statement service down');
      },
      { writ },
    );
    // a provider that numbers tool calls per response: both users' calls are "0"
    const run = (requester: string) =>
      writ.task({ requester, agent: 'bank-bot' }, async (t) => {
        await statement.run({ month: '2026-11' }, { toolCallId: '0' }).catch(() => undefined);
        return t.attribution.taskId;
      });
    const alice = run('tok-alice');
    const bob = run('tok-bob');
    const [aliceId, bobId] = await Promise.all([alice, bob]);
    await writ.close();
    const [aliceTask] = await explainLog(audit.dir, { taskId: aliceId });
    const [bobTask] = await explainLog(audit.dir, { taskId: bobId });
    expect(aliceTask?.calls.map((c) => [c.callId, c.outcome?.status])).toEqual([['0', 'ok']]);
    expect(bobTask?.calls.map((c) => [c.callId, c.outcome?.status])).toEqual([['0', 'error']]);
  });

  it('keeps how a call ended when the framework runs it again (a replay is not a new outcome of the call)', async () => {
    const audit = await createFileAuditSink({ dir: `${dir}/audit`, keyDir: `${dir}/keys` });
    const writ = createWrit({
      audit,
      identity: createInMemoryIdentity({ requesters: { 'tok-alice': { id: 'alice@example.com' } } }),
      policy: createInMemoryPolicy({ rules: [{ id: 'no-closing', effect: 'deny' }] }),
    });
    const close = adaptTool(
      'test-framework',
      { name: 'close_account', input: z.object({ month: z.string() }) },
      () => 'closed',
      { writ },
    );
    const taskId = await writ.task({ requester: 'tok-alice', agent: 'bank-bot' }, async (t) => {
      await close.run({ month: '2026-11' }, { toolCallId: 'call_1' }).catch(() => undefined);
      await close.run({ month: '2026-11' }, { toolCallId: 'call_1' }).catch(() => undefined); // replayed
      return t.attribution.taskId;
    });
    await writ.close();
    const [task] = await explainLog(audit.dir, { taskId });
    expect(task?.calls.map((c) => [c.callId, c.decision.effect, c.outcome?.status])).toEqual([
      ['call_1', 'deny', 'refused'],
    ]);
  });
});
