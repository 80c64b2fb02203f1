import { type AuditEvent, sha256Hex } from '@writ/core/plugin';
import { describe, expect, it } from 'vitest';
import { explainAllLogs, explainLogs, type InvestigatedLog, joinLogs } from './explain-join.js';
import { formatExplain } from './format-explain.js';
import type { LogRecord } from './record.js';

const ALICE = { kind: 'human', id: 'alice@example.com', assurance: 'verified' } as const;
const agent = (name: string) =>
  ({ kind: 'agent', id: `spiffe://writ.test/agent/${name}`, name, assurance: 'verified' }) as const;

const base = (service: string, taskId: string, extra: Partial<AuditEvent> = {}) => ({
  v: 1 as const,
  id: `${service}-${taskId}-${Math.random()}`,
  time: '2026-05-04T09:12:03.117Z',
  service,
  taskId,
  correlationId: 'corr-1',
  requester: ALICE,
  chain: [agent(service)],
  autonomous: false,
  ...extra,
});

const start = (service: string, taskId: string, extra: Record<string, unknown> = {}) =>
  ({
    ...base(service, taskId),
    kind: 'task-start',
    scope: ['orders:*'],
    status: 'started',
    ...extra,
  }) as LogRecord;

const decision = (
  service: string,
  taskId: string,
  callId: string,
  credential: { jti: string; audience?: string } | undefined,
  extra: Record<string, unknown> = {},
) =>
  ({
    ...base(service, taskId),
    kind: 'decision',
    call: {
      id: callId,
      name: `tool-${callId}`,
      type: 'function',
      risk: 'low',
      permission: 'orders:read',
      argsDigest: 'sha256:0',
    },
    decision: { effect: 'allow', policyIds: [], reasons: [], decisionId: `d-${callId}`, engine: 'test' },
    ...(credential === undefined ? {} : { credential: { type: 'jwt', expiresAt: 1, ...credential } }),
    ...extra,
  }) as LogRecord;

const ORDERS = 'https://orders.example/mcp';
const inbound = (jti: string) => ({ jti, issuer: 'https://desk.example', expiresAt: 1 });
const log = (name: string, records: LogRecord[]): InvestigatedLog => ({
  log: name,
  events: records.map((event, index) => ({ index, event, evidence: 'verified' as const })),
});

describe('joinLogs / explainLogs', () => {
  const desk = log('desk', [
    start('desk', 't1', { intent: 'Where is order 42?' }),
    decision('desk', 't1', 'c1', { jti: 'j1', audience: ORDERS }, { intent: 'Where is order 42?' }),
    decision('desk', 't1', 'c2', { jti: 'j2', audience: ORDERS }),
  ]);

  it('links the callee task-start to the call whose credential it presented, and nests it there', () => {
    const orders = log('orders', [
      start('orders-mcp', 't1', { inbound: inbound('j1') }),
      decision('orders-mcp', 't1', 's1', undefined),
      start('orders-mcp', 't1', { inbound: inbound('j2') }),
    ]);
    const { links, findings } = joinLogs([desk, orders]);
    expect(links.map((l) => [l.caller.log, l.caller.index, l.callee.log, l.callee.index, l.jti])).toEqual([
      ['desk', 1, 'orders', 0, 'j1'],
      ['desk', 2, 'orders', 2, 'j2'],
    ]);
    expect(findings).toEqual([]);
    const joined = explainLogs([desk, orders], { taskId: 't1' });
    expect(joined.tasks).toHaveLength(1);
    const [root] = joined.tasks;
    expect(root).toMatchObject({ log: 'desk', service: 'desk' });
    expect(root?.calls[0]?.callees?.[0]).toMatchObject({
      taskId: 't1',
      log: 'orders',
      service: 'orders-mcp',
    });
    expect(root?.calls[0]?.callees?.[0]?.calls.map((c) => c.callId)).toEqual(['s1']);
    const text = formatExplain(joined.tasks);
    expect(text).toContain('task t1 "Where is order 42?" [desk · desk]');
    expect(text).toContain('│  → continued task t1 [orders-mcp · orders]');
  });

  it('calls sharing one cached credential (per task and audience): each links to the task-start it opened, and shows only that run', () => {
    const cached = log('desk', [
      start('desk', 't1'),
      decision('desk', 't1', 'c1', { jti: 'j1', audience: ORDERS }),
      decision('desk', 't1', 'c2', { jti: 'j1', audience: ORDERS }),
      decision('desk', 't1', 'c3', { jti: 'j1', audience: ORDERS }),
    ]);
    const orders = log('orders', [
      start('orders-mcp', 't1', { inbound: inbound('j1') }),
      decision('orders-mcp', 't1', 's1', undefined),
      start('orders-mcp', 't1', { inbound: inbound('j1') }),
      decision('orders-mcp', 't1', 's2', undefined),
      start('orders-mcp', 't1', { inbound: inbound('j1') }),
      decision('orders-mcp', 't1', 's3', undefined),
    ]);
    const { links, findings } = joinLogs([cached, orders]);
    expect(links.map((l) => [l.caller.index, l.callee.index])).toEqual([
      [1, 0],
      [2, 2],
      [3, 4],
    ]);
    expect(findings).toEqual([]);
    const [root] = explainLogs([cached, orders], { taskId: 't1' }).tasks;
    expect(root?.calls.map((c) => [c.callId, c.callees?.[0]?.calls.map((s) => s.callId)])).toEqual([
      ['c1', ['s1']],
      ['c2', ['s2']],
      ['c3', ['s3']],
    ]);
    // a fourth run citing a jti nobody issued: not under any call, shown on its own with its finding
    const forged = log('orders', [
      ...orders.events.map((e) => e.event),
      start('orders-mcp', 't1', { inbound: inbound('forged'), correlationId: 'corr-2' }),
      decision('orders-mcp', 't1', 's4', undefined),
    ]);
    const withForged = explainLogs([cached, forged], { taskId: 't1' });
    expect(withForged.tasks[0]?.calls.map((c) => c.callees?.[0]?.calls.map((s) => s.callId))).toEqual([
      ['s1'],
      ['s2'],
      ['s3'],
    ]);
    expect(
      withForged.tasks.slice(1).map((t) => [t.log, t.records[0]?.index, t.calls.map((c) => c.callId)]),
    ).toEqual([['orders', 6, ['s4']]]);
    expect(withForged.findings.map((f) => [f.kind, f.log, f.index])).toEqual([
      ['unmatched-inbound', 'orders', 6],
    ]);
    // one call more than the callee ran: that call is the finding
    const extra = log('desk', [
      ...cached.events.map((e) => e.event),
      decision('desk', 't1', 'c4', { jti: 'j1', audience: ORDERS }),
    ]);
    expect(joinLogs([extra, orders]).findings.map((f) => [f.kind, f.log, f.index])).toEqual([
      ['call-without-callee-task', 'desk', 4],
    ]);
  });

  it('a jti no log issued, one issued for another task or trace, a call with no callee task: findings at their records', () => {
    const orders = log('orders', [
      start('orders-mcp', 't1', { inbound: inbound('j1') }), // links c1: orders serves ORDERS
      start('orders-mcp', 't1', { inbound: inbound('nobody') }),
      start('orders-mcp', 't9', { inbound: inbound('j2') }), // j2 was issued in task t1
    ]);
    const { findings } = joinLogs([desk, orders]);
    expect(findings.map((f) => [f.kind, f.log, f.index])).toEqual([
      ['call-without-callee-task', 'desk', 2],
      ['unmatched-inbound', 'orders', 1],
      ['task-mismatch', 'orders', 2],
    ]);
    // a different trace on both sides is another request
    const traced = log('desk', [
      start('desk', 't1'),
      decision('desk', 't1', 'c1', { jti: 'j1', audience: ORDERS }, { traceId: 'aaaa' }),
    ]);
    const other = log('orders', [start('orders-mcp', 't1', { inbound: inbound('j1'), traceId: 'bbbb' })]);
    expect(joinLogs([traced, other]).findings.map((f) => f.kind)).toEqual(['task-mismatch']);
  });

  it('the two sides of a link naming different requesters or intents: findings at the callee', () => {
    const orders = log('orders', [
      start('orders-mcp', 't1', {
        inbound: inbound('j1'),
        requester: { ...ALICE, id: 'mallory@example.com' },
        intent: 'Refund order 42',
      }),
    ]);
    const { links, findings } = joinLogs([desk, orders]);
    expect(links).toHaveLength(1);
    expect(findings.map((f) => [f.kind, f.log, f.index])).toEqual([
      ['call-without-callee-task', 'desk', 2], // j2, for the same server, was never presented
      ['requester-mismatch', 'orders', 0],
      ['intent-mismatch', 'orders', 0],
    ]);
  });

  it('shows a task of another log that claims a shown task id and joins nothing, with its finding; findings about other tasks are left out', () => {
    const orders = log('orders', [
      start('orders-mcp', 't1', { inbound: inbound('forged') }),
      start('orders-mcp', 't7', { inbound: inbound('elsewhere') }),
    ]);
    const joined = explainLogs([desk, orders], { taskId: 't1' });
    expect(joined.tasks.map((t) => [t.taskId, t.log])).toEqual([
      ['t1', 'desk'],
      ['t1', 'orders'],
    ]);
    expect(joined.findings.map((f) => [f.kind, f.log, f.index])).toEqual([
      ['unmatched-inbound', 'orders', 0],
    ]);
  });

  it('explainAllLogs: every task of every log, callees nested under their callers, all the findings', () => {
    const orders = log('orders', [
      start('orders-mcp', 't1', { inbound: inbound('j1') }),
      decision('orders-mcp', 't1', 's1', undefined),
      start('orders-mcp', 't7', { inbound: inbound('forged') }),
      start('orders-mcp', 't8'),
    ]);
    const joined = explainAllLogs([desk, orders]);
    expect(joined.tasks.map((t) => [t.taskId, t.log])).toEqual([
      ['t1', 'desk'],
      ['t7', 'orders'],
      ['t8', 'orders'],
    ]);
    expect(joined.tasks[0]?.calls[0]?.callees?.map((t) => [t.taskId, t.log])).toEqual([['t1', 'orders']]);
    expect(joined.links).toHaveLength(1);
    expect(joined.findings.map((f) => [f.kind, f.log, f.index])).toEqual([
      ['call-without-callee-task', 'desk', 2],
      ['unmatched-inbound', 'orders', 2],
    ]);
  });

  it('checks the intent digest, caller span and caller log the credential carried against the caller log', () => {
    const intent = 'Where is order 42?';
    const checkpoint = { v: 1, kind: 'checkpoint', note: 'writ.test/desk\n3\nroot\n' } as LogRecord;
    const caller = log('desk', [
      start('desk', 't1', { intent }),
      decision('desk', 't1', 'c1', { jti: 'j1', audience: ORDERS }, { intent, spanId: '00000000000000a1' }),
      decision('desk', 't1', 'c2', { jti: 'j1', audience: ORDERS }, { intent, spanId: '00000000000000a2' }),
      checkpoint,
    ]);
    const carried = (over: Record<string, unknown> = {}) => ({
      ...inbound('j1'),
      intentDigest: sha256Hex(intent),
      callerLog: 'writ.test/desk',
      callerSpanId: '00000000000000a2',
      ...over,
    });
    // all agree: the span picks the call that obtained the credential (c2, not the first with j1)
    const good = joinLogs([caller, log('orders', [start('orders-mcp', 't1', { inbound: carried() })])]);
    expect(good.links.map((l) => l.caller.callId)).toEqual(['c2']);
    expect(good.findings.filter((f) => f.log === 'orders')).toEqual([]);
    const bad = joinLogs([
      caller,
      log('orders', [
        start('orders-mcp', 't1', {
          inbound: carried({
            intentDigest: sha256Hex('Refund order 42'),
            callerSpanId: '00000000000000ff',
            callerLog: 'writ.test/elsewhere',
          }),
        }),
      ]),
    ]);
    expect(bad.findings.filter((f) => f.log === 'orders').map((f) => [f.kind, f.index])).toEqual([
      ['intent-mismatch', 0],
      ['span-mismatch', 0],
      ['log-mismatch', 0],
    ]);
    expect(bad.findings.find((f) => f.kind === 'intent-mismatch')?.message).toContain(sha256Hex(intent));
    // an older caller carried none of them: nothing to check, nothing found
    const older = joinLogs([caller, log('orders', [start('orders-mcp', 't1', { inbound: inbound('j1') })])]);
    expect(older.findings.filter((f) => f.log === 'orders')).toEqual([]);
  });

  it('the text tree shows the inbound credential, what it carried and what it did not, and where the requester came from', () => {
    const orders = log('orders', [
      start('orders-mcp', 't1', {
        requester: { ...ALICE, issuer: 'https://login.example', via: 'https://desk.example' },
        inbound: {
          audience: [ORDERS],
          callerSpanId: '00f067aa0ba902b7',
          expiresAt: 0,
          intentDigest: 'sha256:ab',
          issuer: 'https://desk.example',
          jti: 'j1',
          missing: ['callerLog'],
          requester: { assurance: 'verified', issuer: 'https://login.example' },
        },
      }),
    ]);
    const [task] = explainLogs([desk, orders], { taskId: 't1' }).tasks;
    const text = formatExplain(task?.calls[0]?.callees ?? []);
    expect(text).toContain(
      'requester alice@example.com (verified by https://login.example, via the token of https://desk.example)',
    );
    expect(text).toContain(
      `inbound credential j1 from https://desk.example for ${ORDERS}, expires 1970-01-01T00:00:00.000Z`,
    );
    expect(text).toContain(
      "carried: requester's identity provider https://login.example (verified); intent sha256:ab; caller span 00f067aa0ba902b7",
    );
    expect(text).toContain("⚠ the caller's token does not carry: callerLog");
  });
});
