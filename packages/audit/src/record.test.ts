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

// Every task-end status core and the fleet reaper write (`abandoned`: a reaper closed the task).
const END_STATUSES = { ok: true, error: true, abandoned: true } satisfies Record<
  TaskEndEvent['status'],
  true
>;

describe('logRecordSchema', () => {
  it('accepts an outcome record with every status core writes, and refuses any other', () => {
    const outcome = (status: string) => ({
      v: 1,
      kind: 'outcome',
      id: '01a2',
      time: '2026-12-07T04:00:00.000Z',
      service: 'support',
      taskId: 't-1',
      correlationId: 'c-1',
      requester: null,
      chain: [{ kind: 'agent', id: 'spiffe://writ.local/agent/support', assurance: 'verified' }],
      autonomous: true,
      call: { id: 'call_1', name: 'lookup_order' },
      outcome: { status, durationMs: 0 },
    });
    for (const status of Object.keys(STATUSES)) {
      expect(logRecordSchema.safeParse(outcome(status)).error).toBeUndefined();
    }
    expect(logRecordSchema.safeParse(outcome('skipped')).success).toBe(false);
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
