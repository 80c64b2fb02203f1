// One sync per strict request: with a sink that declares `orderedSync`, a task-start record is appended
// without its own sync and covered by the task's first strict record; a task that writes none flushes
// once before it returns. Sinks that do not declare it keep a sync of their own for every task start.
// (The crash attacks across a real SIGKILL are in test/hardening/boundaries/start-sync.test.ts.)
import { describe, expect, it } from 'vitest';
import { ALICE, setup } from '../__support__/fixtures.js';
import { WritError } from '../errors.js';
import type { AuditSink, Durability } from '../interfaces.js';
import { createInMemoryAuditSink } from '../testing/index.js';

/** An in-memory sink that notes each append's durability and each flush. */
function probeSink(orderedSync: boolean, failFlush = false, failStartWithNext = false) {
  const inner = createInMemoryAuditSink();
  const asked: string[] = [];
  let flushes = 0;
  const sink: AuditSink = {
    name: 'probe',
    orderedSync,
    append: async (event, options: { durability: Durability; writeWithNext?: boolean | undefined }) => {
      asked.push(`${event.kind}:${options.durability}${options.writeWithNext === true ? '+next' : ''}`);
      if (failStartWithNext && options.writeWithNext === true) throw new Error('connection reset');
      return inner.append(event, options);
    },
    flush: async () => {
      flushes++;
      if (failFlush) throw new Error('EIO');
    },
  };
  return { sink, asked, flushes: () => flushes, events: inner.events };
}

const task = { requester: ALICE, agent: 'support', scope: ['*'] };

describe('task-start durability under strict', () => {
  it('with orderedSync: the start is appended batched, the decision (strict) covers it, no extra flush', async () => {
    const p = probeSink(true);
    const t = setup({ writ: { audit: p.sink, durability: 'strict' } });
    await t.writ.task(task, () => t.lookup.execute({ orderId: '1' }));
    // the start is written with the decision (one write), which syncs both
    expect(p.asked).toEqual([
      'task-start:batched+next',
      'decision:strict',
      'outcome:batched',
      'task-end:batched',
    ]);
    expect(p.flushes()).toBe(0);
  });

  it('with orderedSync: a task that writes no strict record flushes once before it returns', async () => {
    const p = probeSink(true);
    const t = setup({ writ: { audit: p.sink, durability: 'strict' } });
    await t.writ.task(task, async () => undefined);
    expect(p.asked).toEqual(['task-start:batched+next', 'task-end:batched']);
    expect(p.flushes()).toBe(1);
  });

  it('with orderedSync: a start that cannot be made durable fails the task instead of returning its result', async () => {
    const p = probeSink(true, true);
    const reported: WritError[] = [];
    const t = setup({ writ: { audit: p.sink, durability: 'strict', onError: (e) => reported.push(e) } });
    const error = await t.writ.task(task, async () => 'result').catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    // the task still ended: its credentials revoked and the end recorded, saying its result was withheld
    expect(p.asked.at(-1)).toBe('task-end:batched');
    expect(p.events.at(-1)).toMatchObject({
      kind: 'task-end',
      status: 'error',
      errorCode: 'WRIT_AUDIT_UNAVAILABLE',
    });
  });

  it('with orderedSync: a start whose write fails is written again at once; no tool of the task runs, its result does not return', async () => {
    for (const durability of ['strict', 'batched'] as const) {
      const p = probeSink(true, false, true);
      const reported: WritError[] = [];
      const t = setup({ writ: { audit: p.sink, durability, onError: (e) => reported.push(e) } });
      let inside: unknown;
      const error = await t.writ
        .task(task, async () => {
          inside = await t.lookup.execute({ orderId: '1' }).catch((e: unknown) => e);
          return 'result';
        })
        .catch((e: unknown) => e);
      expect(WritError.isInstance(inside, 'WRIT_AUDIT_UNAVAILABLE'), durability).toBe(true);
      expect(t.executed).toEqual([]);
      expect(WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE'), durability).toBe(true);
      // written again before the call's records, so none of them stands in the log without it
      const kinds = p.events.map((e) => e.kind);
      expect(kinds[0], durability).toBe('task-start');
      expect(kinds.filter((k) => k === 'task-start')).toHaveLength(1);
      expect(p.events.at(-1)).toMatchObject({
        kind: 'task-end',
        status: 'error',
        errorCode: 'WRIT_AUDIT_UNAVAILABLE',
      });
    }
  });

  it('without orderedSync: the start keeps a sync of its own', async () => {
    const p = probeSink(false);
    const t = setup({ writ: { audit: p.sink, durability: 'strict' } });
    await t.writ.task(task, () => t.lookup.execute({ orderId: '1' }));
    await t.writ.task(task, async () => undefined);
    expect(p.asked.filter((a) => a.startsWith('task-start'))).toEqual([
      'task-start:strict',
      'task-start:strict',
    ]);
    expect(p.flushes()).toBe(0);
  });

  it('batched: the start is written with the next record, never synced on its own; async unchanged', async () => {
    for (const durability of ['batched', 'async'] as const) {
      const p = probeSink(true);
      const t = setup({ writ: { audit: p.sink, durability } });
      await t.writ.task(task, async () => undefined);
      expect(p.asked[0]).toBe(durability === 'batched' ? 'task-start:batched+next' : 'task-start:async');
      expect(p.flushes()).toBe(0);
    }
  });
});
