import { describe, expect, it } from 'vitest';
import type { InvestigatedLog } from './explain-join.js';
import { joinLogs } from './explain-join.js';
import { checkReceipts } from './explain-receipts.js';
import type { LogRecord } from './record.js';
import type { RecordEvidence } from './verify/verified-log.js';

const ORIGIN = 'orders.example/audit/1';
const leaf = (n: number) => n.toString(16).padStart(64, '0');

const base = (service: string, taskId: string) => ({
  v: 1 as const,
  id: `${service}-${taskId}-${Math.random()}`,
  time: '2026-05-04T09:12:03.117Z',
  service,
  taskId,
  correlationId: 'corr-1',
  requester: null,
  chain: [],
  autonomous: true,
});

const decision = (taskId: string, tool: string, extra: Record<string, unknown> = {}) =>
  ({
    ...base('orders', taskId),
    kind: 'decision',
    call: { id: `c-${tool}`, name: tool, type: 'function', risk: 'low', permission: 'orders:read' },
    decision: { effect: 'allow', policyIds: [], reasons: [], decisionId: 'd', engine: 'test' },
    ...extra,
  }) as LogRecord;

/** The caller's outcome of a call that reached the orders server and got `receipt` back. */
const outcome = (
  taskId: string,
  receipt: { index: number; leafHash: string; log?: string },
  tool = 'lookup',
) =>
  ({
    ...base('desk', taskId),
    kind: 'outcome',
    call: { id: `c-${taskId}`, name: `remote_${tool}` },
    outcome: {
      durationMs: 1,
      remote: [{ by: 'https://orders/mcp', receipt: { log: ORIGIN, ...receipt }, tool, via: 'mcp' }],
      status: 'ok',
    },
  }) as LogRecord;

const callee = (evidence: RecordEvidence = 'verified', withOrigin = true): InvestigatedLog => ({
  log: 'orders-log',
  ...(withOrigin ? { origin: ORIGIN } : {}),
  events: [
    { index: 0, event: decision('t1', 'lookup'), evidence, leafHash: leaf(0) },
    {
      index: 1,
      event: { ...base('orders', 't1'), kind: 'task-end', status: 'ok', durationMs: 1 } as LogRecord,
      evidence,
      leafHash: leaf(1),
    },
    {
      index: 2,
      event: decision('own-task', 'lookup', { refusal: { code: 'WRIT_TOKEN_INVALID', message: 'no' } }),
      evidence,
      leafHash: leaf(2),
    },
    ...(withOrigin
      ? []
      : [
          {
            index: 3,
            event: { v: 1, kind: 'checkpoint', note: `${ORIGIN}\n4\nroot\n` } as LogRecord,
            leafHash: leaf(3),
          },
        ]),
  ],
});

const caller = (...records: LogRecord[]): InvestigatedLog => ({
  log: 'desk-log',
  events: records.map((event, index) => ({ index, event, evidence: 'verified' as const })),
});

const kinds = (logs: InvestigatedLog[]) =>
  checkReceipts(logs).map((f) => [f.kind, f.log, f.index, f.message]);

describe('checkReceipts', () => {
  it("a receipt naming the callee's decision for the call, leaf and seal: no finding (origin given or read from a checkpoint)", () => {
    for (const withOrigin of [true, false])
      expect(
        checkReceipts([
          caller(outcome('t1', { index: 0, leafHash: leaf(0) })),
          callee('verified', withOrigin),
        ]),
      ).toEqual([]);
    // a callee refusing the caller's credential records it in its own task
    expect(checkReceipts([caller(outcome('t9', { index: 2, leafHash: leaf(2) })), callee()])).toEqual([]);
  });

  it('a receipt naming a log outside the investigation is not checked', () => {
    expect(
      checkReceipts([caller(outcome('t1', { index: 99, leafHash: leaf(9), log: 'elsewhere' }))]),
    ).toEqual([]);
  });

  it('no such record: receipt-missing at the caller’s outcome, naming both', () => {
    expect(kinds([caller(outcome('t1', { index: 7, leafHash: leaf(7) })), callee()])).toEqual([
      ['receipt-missing', 'desk-log', 0, expect.stringContaining('orders-log record 7 (leaf')],
    ]);
  });

  it.each([
    [
      'another leaf hash',
      outcome('t1', { index: 0, leafHash: leaf(5) }),
      `has leaf hash ${leaf(0)}, not ${leaf(5)}`,
    ],
    [
      'not a decision',
      outcome('t1', { index: 1, leafHash: leaf(1) }),
      'it is a task-end record, not a decision',
    ],
    [
      'another tool',
      outcome('t1', { index: 0, leafHash: leaf(0) }, 'refund'),
      'the decision on lookup, not on refund',
    ],
    [
      'another task',
      outcome('t2', { index: 0, leafHash: leaf(0) }),
      "decision of task t1, not of this call's task t2",
    ],
  ])('%s: receipt-mismatch', (_, record, why) => {
    expect(kinds([caller(record), callee()])).toEqual([
      ['receipt-mismatch', 'desk-log', 0, expect.stringContaining(why)],
    ]);
  });

  it('one record claimed by two calls: the second is a mismatch', () => {
    const first = outcome('t1', { index: 0, leafHash: leaf(0) });
    expect(kinds([caller(first, { ...first, id: 'again' } as LogRecord), callee()])).toEqual([
      ['receipt-mismatch', 'desk-log', 1, expect.stringContaining('already holds: one record, one call')],
    ]);
  });

  it('a record no verified checkpoint covers: receipt-unproven', () => {
    expect(kinds([caller(outcome('t1', { index: 0, leafHash: leaf(0) })), callee('unsealed')])).toEqual([
      [
        'receipt-unproven',
        'desk-log',
        0,
        expect.stringContaining('unsealed, not under a checkpoint that verified'),
      ],
    ]);
  });

  it('a callee log given without leaf hashes: the receipt is not compared, and says so', () => {
    const bare = callee();
    const events = bare.events.map(({ leafHash: _, ...rest }) => rest);
    expect(kinds([caller(outcome('t1', { index: 0, leafHash: leaf(0) })), { ...bare, events }])).toEqual([
      ['receipt-unproven', 'desk-log', 0, expect.stringContaining('leaf hash was not given')],
    ]);
  });

  it('joinLogs reports them with the other findings', () => {
    const { findings } = joinLogs([caller(outcome('t1', { index: 7, leafHash: leaf(7) })), callee()]);
    expect(findings.map((f) => f.kind)).toEqual(['receipt-missing']);
  });
});
