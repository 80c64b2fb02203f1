import type { CallNode, TaskNode } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { CALL_COLUMNS, renderCallRow } from './render-call-row.js';
import { type RecordFacts, verdictOf } from './report-model.js';

const task = {
  taskId: 'task-1',
  requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
  chain: [{ kind: 'agent', id: 'spiffe://writ.test/agent/support', name: 'support', assurance: 'verified' }],
} as unknown as TaskNode;

function call(over: Partial<CallNode> = {}): CallNode {
  return {
    callId: 'call-refund',
    tool: 'refund_order',
    index: 6,
    decision: {
      effect: 'approval_required',
      policyIds: ['refunds.need-approval', 'refunds.limit'],
      reasons: ['over 100 EUR'],
      decisionId: 'd-1',
      engine: 'cedar',
    },
    scopeDrift: undefined,
    refusal: undefined,
    approval: {
      approved: true,
      approver: { kind: 'human', id: 'maria@example.com', assurance: 'claimed' },
      bindingHash: `sha256:${'ab'.repeat(32)}`,
      reason: 'VIP customer',
    },
    credential: {
      jti: '01a24f04-4ac7-7402-9581-a544914aeedb',
      type: 'txn',
      audience: 'https://payments',
      expiresAt: 1,
    },
    outcome: { status: 'ok', durationMs: 7 },
    records: [
      { index: 5, kind: 'approval' },
      { index: 6, kind: 'decision' },
      { index: 7, kind: 'outcome' },
    ],
    ...over,
  };
}

const cell = (html: string, key: string) => new RegExp(`<td class="${key}">(.*?)</td>`).exec(html)?.[1] ?? '';
const row = (c: CallNode, facts?: Map<number, RecordFacts>) =>
  renderCallRow({ rootTaskId: 'task-1', task, call: c, verdict: verdictOf(c) }, facts);

describe('renderCallRow', () => {
  it('has one cell per column, in order', () => {
    const html = row(call());
    expect([...html.matchAll(/<td class="([a-z]+)">/g)].map((m) => m[1])).toEqual(
      CALL_COLUMNS.map((c) => c.key),
    );
  });

  it('shows the approval with the call: granted by whom, how sure, when (its own record), why, and the binding', () => {
    const facts = new Map<number, RecordFacts>([
      [5, { time: '2026-03-01T10:00:05.000Z', service: 's' }],
      [6, { time: '2026-03-01T10:00:06.000Z', service: 's' }],
    ]);
    const approval = cell(row(call(), facts), 'approval');
    expect(approval).toContain(
      '<div><strong>granted</strong> by maria@example.com <span class="assurance claimed">claimed</span></div>',
    );
    expect(approval).toContain('<div class="sub">at 2026-03-01T10:00:05.000Z</div>');
    expect(approval).toContain('<div class="reason">“VIP customer”</div>');
    expect(approval).toContain(`title="sha256:${'ab'.repeat(32)}"`);
    // an approval carried by the decision record alone is timed by that record
    const inline = call({ records: [{ index: 6, kind: 'decision' }] });
    expect(cell(row(inline, facts), 'approval')).toContain('at 2026-03-01T10:00:06.000Z');
    // no answer, not required
    expect(cell(row(call({ approval: undefined })), 'approval')).toBe(
      '<div class="sub">required, no answer recorded</div>',
    );
    const allowed = call({ approval: undefined, decision: { ...call().decision, effect: 'allow' } });
    expect(cell(row(allowed), 'approval')).toBe('<div class="sub">not required</div>');
  });

  it('lists every policy, the credential with its audience, and the outcome', () => {
    const html = row(call());
    expect(cell(html, 'policies')).toBe('<code>refunds.need-approval</code><code>refunds.limit</code>');
    expect(cell(html, 'credential')).toContain('title="01a24f04-4ac7-7402-9581-a544914aeedb"');
    expect(cell(html, 'credential')).toContain('<div class="sub">→ https://payments</div>');
    expect(cell(html, 'outcome')).toBe('<div>ok</div><div class="sub">7 ms</div>');
    expect(cell(html, 'decision')).toContain('<span class="badge verdict-approval">approval</span>');
  });
});
