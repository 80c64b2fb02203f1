import type { TaskNode } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { renderTask, taskState } from './render-task.js';
import type { RecordFacts } from './report-model.js';

const agent = (name: string, domain = 'payments.example.com') => ({
  kind: 'agent' as const,
  id: `spiffe://${domain}/agent/${name}`,
  assurance: 'verified' as const,
});

function task(over: Partial<TaskNode> = {}): TaskNode {
  return {
    taskId: 'task-1',
    parentTaskId: undefined,
    correlationId: 'corr-1',
    intent: 'Refund order 42',
    requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
    chain: [{ ...agent('support'), name: 'support' }],
    scope: ['orders:*'],
    status: 'started',
    refusal: undefined,
    credential: undefined,
    calls: [],
    delegations: [],
    revoked: [],
    end: { status: 'ok' },
    records: [
      { index: 0, kind: 'task-start' },
      { index: 5, kind: 'task-end' },
    ],
    ...over,
  };
}

describe('taskState', () => {
  it('is one state: ended ok, ended error (code), running (no task-end), or refused', () => {
    expect(taskState(task())).toEqual({ kind: 'ok', text: 'ended ok' });
    expect(taskState(task({ end: { status: 'error', errorCode: 'WRIT_PDP_UNAVAILABLE' } }))).toEqual({
      kind: 'error',
      text: 'ended error (WRIT_PDP_UNAVAILABLE)',
    });
    expect(taskState(task({ end: { status: 'error' } })).text).toBe('ended error');
    expect(taskState(task({ end: undefined }))).toEqual({ kind: 'running', text: 'running (no task-end)' });
    expect(
      taskState(
        task({
          status: 'refused',
          end: undefined,
          refusal: { code: 'WRIT_IDENTITY_INVALID', message: 'unknown requester' },
        }),
      ),
    ).toEqual({ kind: 'refused', text: 'refused WRIT_IDENTITY_INVALID: unknown requester' });
  });
});

describe('renderTask', () => {
  it('heads the box with the intent and shows one status, never "started" beside the end', () => {
    const html = renderTask(task());
    expect(html).toContain('<h2><span class="intent">Refund order 42</span></h2>');
    expect(html).toContain('<dt>status</dt><dd><span class="status ok">ended ok</span></dd>');
    expect(html).not.toMatch(/started<\/dd>|<dt>ended<\/dt>/);
    expect(renderTask(task({ end: undefined }))).toContain(
      '<span class="status running">running (no task-end)</span>',
    );
    expect(renderTask(task({ intent: undefined }))).toContain(
      '<h2><span class="intent none">no intent recorded</span></h2>',
    );
  });

  it('names every agent of a continued task, upstream first, and where it came from', () => {
    const facts = new Map<number, RecordFacts>([
      [
        0,
        {
          time: '2026-03-01T10:00:00.000Z',
          service: 'payments-api',
          inbound: {
            audience: ['https://payments.example.com'],
            callerSpanId: '00f067aa0ba902b7',
            expiresAt: 1,
            issuer: 'spiffe://shop.example.com',
            jti: 'caller-jti',
            missing: ['intentDigest', 'callerLog'],
            requester: { assurance: 'verified', issuer: 'https://login.shop.example.com' },
          },
        },
      ],
      [5, { time: '2026-03-01T10:00:02.000Z', service: 'payments-api' }],
    ]);
    const html = renderTask(
      task({
        parentTaskId: 'shop-task',
        chain: [
          agent('shop-orchestrator', 'shop.example.com'),
          agent('order-researcher', 'shop.example.com'),
          { ...agent('payments-api'), name: 'payments-api' },
        ],
      }),
      facts,
    );
    expect(html).toContain(
      '<span class="agents"><span title="spiffe://shop.example.com/agent/shop-orchestrator (verified)">shop-orchestrator</span> → ' +
        '<span title="spiffe://shop.example.com/agent/order-researcher (verified)">order-researcher</span> → ' +
        '<span title="spiffe://payments.example.com/agent/payments-api (verified)">payments-api</span></span>',
    );
    expect(html).toMatch(
      /<dt>continues<\/dt><dd>a caller's task: its credential <code class="id" title="caller-jti">caller-jti<\/code> issued by spiffe:\/\/shop\.example\.com, parent task <code class="id" title="shop-task">shop-task<\/code><\/dd>/,
    );
    // the inbound credential, what the caller's token carried, and what it did not
    expect(html).toContain(
      '<dt>inbound</dt><dd>inbound credential caller-jti from spiffe://shop.example.com for https://payments.example.com, expires 1970-01-01T00:00:00.001Z · carried: requester&#39;s identity provider https://login.shop.example.com (verified); caller span 00f067aa0ba902b7</dd>',
    );
    expect(html).toContain(
      '<dt>not carried</dt><dd><span class="warn">⚠ the caller&#39;s token does not carry: intentDigest, callerLog</span></dd>',
    );
    expect(html).toContain(
      '<dt>service</dt><dd>payments-api · started 2026-03-01T10:00:00.000Z · ended 2026-03-01T10:00:02.000Z</dd>',
    );
  });

  it("shows what the callee recorded of the caller's credential, escaped", () => {
    const facts = new Map<number, RecordFacts>([
      [
        0,
        {
          time: '2026-03-01T10:00:00.000Z',
          service: 'orders-mcp',
          inbound: {
            jti: 'j1',
            issuer: 'https://desk.example',
            expiresAt: Date.UTC(2026, 2, 1, 10, 5),
            audience: ['https://orders.example/mcp'],
            intentDigest: 'sha256:<b>abc</b>',
            requester: { issuer: 'https://login.example', assurance: 'verified' },
            callerLog: 'desk.example/audit',
            callerSpanId: '00f067aa0ba902b7',
          },
        },
      ],
    ]);
    const html = renderTask(task({}), facts);
    expect(html).toContain('for https://orders.example/mcp, expires 2026-03-01T10:05:00.000Z');
    expect(html).toContain('intent sha256:&lt;b&gt;abc&lt;/b&gt;');
    expect(html).toContain('caller log desk.example/audit');
    expect(html).not.toContain('<b>');
  });
});
