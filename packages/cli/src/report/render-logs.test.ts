import type { LogRecord, RecordEvidence } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { renderReport } from './render-report.js';
import { buildJoinedReportModel, type ReportLogInput } from './report-join.js';
import type { ReportVerdict } from './report-model.js';

const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>\u202e`;
const ORDERS = 'https://orders.example/mcp';
const ALICE = { kind: 'human', id: 'alice@example.com', assurance: 'verified' } as const;
const agent = (name: string) =>
  ({ kind: 'agent', id: `spiffe://writ.test/agent/${name}`, name, assurance: 'verified' }) as const;

const base = (service: string, taskId: string, chain: string[]) => ({
  v: 1 as const,
  id: `${service}-${taskId}-${Math.random()}`,
  time: '2026-05-04T09:12:03.117Z',
  service,
  taskId,
  correlationId: 'corr-1',
  requester: ALICE,
  chain: chain.map(agent),
  autonomous: false,
});
const start = (service: string, taskId: string, chain: string[], extra: Record<string, unknown> = {}) =>
  ({
    ...base(service, taskId, chain),
    kind: 'task-start',
    scope: ['orders:*'],
    status: 'started',
    ...extra,
  }) as LogRecord;
const decision = (service: string, taskId: string, chain: string[], callId: string, jti?: string) =>
  ({
    ...base(service, taskId, chain),
    kind: 'decision',
    call: {
      id: callId,
      name: `tool-${callId}`,
      type: 'function',
      risk: 'low',
      permission: 'orders:read',
      argsDigest: 'sha256:0',
    },
    decision: { effect: 'allow', policyIds: ['p'], reasons: [], decisionId: `d-${callId}`, engine: 'test' },
    ...(jti === undefined ? {} : { credential: { type: 'jwt', expiresAt: 1, jti, audience: ORDERS } }),
  }) as LogRecord;

const verdict = (state: ReportVerdict['state'], extra: Partial<ReportVerdict> = {}): ReportVerdict => ({
  state,
  origin: 'writ.test/log',
  records: 3,
  checkpoints: 1,
  sealed: 3,
  root: 'cm9vdA==',
  keyPinned: true,
  unproven: [],
  warnings: [],
  ...extra,
});

const input = (
  log: string,
  records: LogRecord[],
  v: ReportVerdict | null,
  evidence: (index: number) => RecordEvidence = () => 'verified',
): ReportLogInput => ({
  log,
  verification: v,
  ...(v === null ? {} : { verifierKey: `${log}+0a0b0c0d+AAAA` }),
  events: records.map((event, index) => ({ index, event, evidence: evidence(index) })),
});

/** The caller (desk: alice → support-bot → order-reader, whose call was issued j1 for the orders server). */
const desk = (v: ReportVerdict | null = verdict('anchored')) =>
  input(
    'desk/audit',
    [
      start('support-desk', 't1', ['support-bot']),
      start('support-desk', 't2', ['support-bot', 'order-reader'], { parentTaskId: 't1' }),
      decision('support-desk', 't2', ['support-bot', 'order-reader'], 'c1', 'j1'),
    ],
    v,
  );
/** The orders server: the task continued with j1, its own call, and a task citing a jti nobody issued. */
const orders = (evidence?: (index: number) => RecordEvidence, v = verdict('anchored')) =>
  input(
    'orders/audit',
    [
      start('orders-mcp', 't2', ['support-bot', 'order-reader', 'orders-mcp'], {
        inbound: { jti: 'j1', issuer: 'https://desk.example', expiresAt: 1, audience: ORDERS },
      }),
      decision('orders-mcp', 't2', ['support-bot', 'order-reader', 'orders-mcp'], 's1'),
      start('orders-mcp', 't9', ['orders-mcp'], {
        inbound: { jti: 'forged-jti', issuer: 'https://desk.example', expiresAt: 1 },
      }),
    ],
    v,
    evidence,
  );

const render = (...logs: ReportLogInput[]) => {
  const model = buildJoinedReportModel(logs, { now: () => new Date(0) });
  return { model, html: renderReport(model) };
};

describe('the report over several logs', () => {
  it('draws the chain across services, each node labelled with its service and log, the link with both (log, record)', () => {
    const { model, html } = render(desk(), orders());
    expect(model.links).toHaveLength(1);
    expect(model.tasks.map((t) => [t.taskId, t.log])).toEqual([
      ['t1', 'desk/audit'],
      ['t9', 'orders/audit'], // the forged one, on its own
    ]);
    // one panel per log, with its tag, services, label and key
    expect(html).toContain('<h2>2 logs: 2 anchored</h2>');
    expect(html).toMatch(
      /<section data-log="desk\/audit" data-tag="log 1" class="verification ok" data-status="anchored"><h2><span class="log-name">log 1 · support-desk:<\/span> ✔ Log verified and anchored<\/h2>/,
    );
    expect(html).toContain(
      'log <code>orders/audit</code> · key used <code>orders/audit+0a0b0c0d+AAAA</code>',
    );
    // the callee's agent under the caller's call: labelled, and the link drawn and said
    expect(html).toMatch(/<g class="node call verdict-allow" data-call-id="c1"[^>]* data-log="desk\/audit">/);
    expect(html).toMatch(
      /<g class="node agent callee" data-task-id="t2" data-log="orders\/audit"><title>continued task t2\n[^<]*link: support-desk desk\/audit record 2 → orders-mcp orders\/audit record 0 \(credential j1\)<\/title>/,
    );
    expect(html).toContain('class="label">⇢ orders-mcp</text>');
    expect(html).toContain('class="sub">orders-mcp · log 2</text>');
    expect(html).toContain('class="link-label">log 1 #2 → log 2 #0</text>');
    expect(html).toContain('<path class="edge link" ');
    // the links table: both ends, what the callee recorded of the credential
    expect(html).toMatch(
      /<tr class="link" data-status="proven" data-caller-log="desk\/audit" data-caller-index="2" data-callee-log="orders\/audit" data-callee-index="0">/,
    );
    expect(html).toContain('support-desk <code class="at">log 1 record 2</code>');
    expect(html).toContain('orders-mcp <code class="at">log 2 record 0</code>');
    expect(html).toContain('<div class="sub">audience https://orders.example/mcp</div>');
    expect(html).toContain('✔ both ends verified');
    // every call in the table, the callee's with its log
    expect(html).toMatch(/<tr data-verdict="allow" data-call-id="s1" data-log="orders\/audit">/);
    expect(html).toContain('<div class="sub">orders-mcp · log 2</div>');
  });

  it('lists each finding with its (log, record), and marks the task and node it is at, in words', () => {
    const { html } = render(desk(), orders());
    expect(html).toContain('<h2>✖ Findings (1): what does not join</h2>');
    expect(html).toMatch(
      /<li class="finding" data-kind="unmatched-inbound" data-log="orders\/audit" data-index="2"><strong>✖ unmatched-inbound<\/strong> at <code class="at">log 2 record 2<\/code>: task t9 presented credential forged-jti/,
    );
    expect(html).toMatch(
      /<article class="task" data-task-id="t9" data-log="orders\/audit" data-finding="unmatched-inbound">/,
    );
    expect(html).toContain(
      '<dt><strong class="finding">finding</strong></dt><dd><span class="finding"><strong>✖ unmatched-inbound</strong> at log 2 record 2:',
    );
    expect(html).toMatch(
      /<g class="node agent finding" data-task-id="t9" data-log="orders\/audit" data-finding="unmatched-inbound">/,
    );
    expect(html).toContain('class="label">✖ orders-mcp</text>');
    expect(html).toContain('class="sub note finding">✖ finding: unmatched-inbound</text>');
    // without findings the page says so
    const clean = render(desk(), { ...orders(), events: orders().events.slice(0, 2) }).html;
    expect(clean).toContain('<h2>No findings</h2>');
    expect(clean).not.toContain('class="finding"');
  });

  it('a log that does not verify: its panel says failed with the first bad record; its records and the link are marked unproven, in words', () => {
    const failed = verdict('failed', { firstBadIndex: 0, reason: 'record 0 was altered' });
    const { html } = render(
      desk(),
      orders(() => 'failed', failed),
    );
    expect(html).toContain('<h2>2 logs: 1 anchored, 1 failed</h2>');
    expect(html).toMatch(
      /<section data-log="orders\/audit" data-tag="log 2" class="verification failed" data-status="failed" data-first-bad-index="0"><h2><span class="log-name">log 2 · orders-mcp:<\/span> ✖ Log does NOT verify<\/h2><p>First bad record <strong class="first-bad">0<\/strong>: record 0 was altered/,
    );
    expect(html).toMatch(/<tr class="link" data-status="unproven"/);
    expect(html).toContain('<strong>✖ not proven: callee&#39;s record does not verify</strong>');
    expect(html).toContain('<path class="edge link unproven" ');
    expect(html).toContain('class="link-label unproven">✖ unproven log 1 #2 → log 2 #0</text>');
    // nothing from that log is shown as verified: its nodes and rows carry their evidence
    for (const m of html.matchAll(/<(?:g|tr|article) [^>]*data-log="orders\/audit"[^>]*>/g))
      expect(m[0]).toContain('data-evidence="failed"');
    expect(html).not.toContain('✔ both ends verified');
  });

  it('a log read without verifying says so in its panel', () => {
    const { html } = render(desk(null), orders());
    expect(html).toMatch(
      /<section data-log="desk\/audit" data-tag="log 1" class="verification" data-status="unverified"><h2><span class="log-name">log 1 · support-desk:<\/span> Not verified<\/h2><p>This log was read without verifying it: nothing in it is proven\.<\/p><p class="meta">log <code>desk\/audit<\/code> · key used <code>none pinned<\/code>/,
    );
  });

  it('escapes everything from the logs: labels, services, ids, findings (bidi controls shown as markers)', () => {
    const hostile = input(
      `evil/${EVIL}`,
      [
        start(EVIL, EVIL, [EVIL], {
          inbound: {
            jti: EVIL,
            issuer: EVIL,
            expiresAt: 1,
            audience: EVIL,
            callerLog: EVIL,
            requester: { id: EVIL },
          },
        }),
        decision(EVIL, EVIL, [EVIL], EVIL, EVIL),
      ],
      verdict('failed', { firstBadIndex: 1, reason: EVIL, origin: EVIL }),
    );
    const { model, html } = render(desk(), hostile);
    expect(model.findings?.length).toBeGreaterThan(0);
    expect(html).not.toMatch(/<script>alert|<img src=x/);
    expect(html).not.toContain('\u202e');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('[U+202E]');
    // the page's only script is its own
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('a link whose two sides disagree (intent) is marked in the links table and the graph, in words', () => {
    const caller = desk();
    const events = caller.events.map((e) =>
      e.event.kind === 'decision'
        ? { ...e, event: { ...e.event, intent: 'Where is order 42?' } as LogRecord }
        : e,
    );
    const callee = orders();
    const started = callee.events.map((e) =>
      e.index === 0 ? { ...e, event: { ...e.event, intent: 'Refund order 42' } as LogRecord } : e,
    );
    const { html } = render({ ...caller, events }, { ...callee, events: started });
    expect(html).toMatch(/<tr class="link" data-status="proven" [^>]* data-finding="intent-mismatch">/);
    expect(html).toContain(
      '✔ both ends verified<div class="finding"><strong>✖ intent-mismatch</strong></div>',
    );
    expect(html).toContain('class="link-label unproven">✖ mismatch log 1 #2 → log 2 #0</text>');
    expect(html).toContain('<path class="edge link unproven" ');
  });
});
