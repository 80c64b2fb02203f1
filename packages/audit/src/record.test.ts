import type { OutcomeEvent, TaskEndEvent } from '@writ/core/plugin';
import { describe, expect, it } from 'vitest';
import { logRecordSchema } from './record.js';

// Every outcome status core writes (the type check fails when core adds one this list lacks).
const STATUSES = {
  ok: true,
  error: true,
  refused: true,
  suspended: true,
  replayed: true,
} satisfies Record<OutcomeEvent['outcome']['status'], true>;

/** What every record carries. */
const BASE = {
  v: 1,
  time: '2026-12-07T04:00:00.000Z',
  service: 'support',
  taskId: 't-1',
  correlationId: 'c-1',
  requester: null,
  chain: [{ kind: 'agent', id: 'spiffe://writ.local/agent/support', assurance: 'verified' }],
  autonomous: true,
};

// Every task-end status core and the fleet reaper write (`abandoned`: a reaper closed the task).
const END_STATUSES = { ok: true, error: true, abandoned: true } satisfies Record<
  TaskEndEvent['status'],
  true
>;

describe('logRecordSchema', () => {
  it('accepts an outcome record with every status core writes, and refuses any other', () => {
    const outcome = (status: string) => ({
      ...BASE,
      kind: 'outcome',
      id: '01a2',
      call: { id: 'call_1', name: 'lookup_order' },
      outcome: { status, durationMs: 0 },
    });
    for (const status of Object.keys(STATUSES)) {
      expect(logRecordSchema.safeParse(outcome(status)).error).toBeUndefined();
    }
    expect(logRecordSchema.safeParse(outcome('skipped')).success).toBe(false);
  });

  it('accepts a decision record with the policy-set digest that decided, kept as written, and refuses a malformed one', () => {
    const decision = (policySetDigest: string) => ({
      ...BASE,
      kind: 'decision',
      id: '01a3',
      call: { id: 'call_1', name: 'lookup_order', type: 'function', risk: 'low', permission: 'lookup_order' },
      decision: {
        effect: 'allow',
        policyIds: ['p.cedar#reads'],
        reasons: [],
        decisionId: 'd-1',
        engine: 'cedar',
        policySetDigest,
      },
    });
    const digest = `sha256:${'ab'.repeat(32)}`;
    const parsed = logRecordSchema.safeParse(decision(digest));
    expect(parsed.error).toBeUndefined();
    expect((parsed.data as { decision: { policySetDigest?: string } }).decision.policySetDigest).toBe(digest);
    expect(logRecordSchema.safeParse(decision('v2')).success).toBe(false);
  });

  it('accepts a task-end record with every status (abandoned included), and refuses any other', () => {
    const end = (status: string) => ({
      v: 1,
      kind: 'task-end',
      id: '01a3',
      time: '2026-12-07T04:00:00.000Z',
      service: 'support',
      taskId: 't-1',
      correlationId: 'c-1',
      requester: null,
      chain: [{ kind: 'agent', id: 'spiffe://writ.local/agent/support', assurance: 'verified' }],
      autonomous: true,
      status,
      durationMs: 12,
    });
    for (const status of Object.keys(END_STATUSES)) {
      expect(logRecordSchema.safeParse(end(status)).error).toBeUndefined();
    }
    expect(logRecordSchema.safeParse(end('crashed')).success).toBe(false);
  });
});
