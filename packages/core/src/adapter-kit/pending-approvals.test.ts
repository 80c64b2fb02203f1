import { describe, expect, it } from 'vitest';
import { ALICE, BOB, setup } from '../__support__/fixtures.js';
import { WRIT_DEFAULTS } from '../options.js';
import { createPendingApprovals } from './pending-approvals.js';

describe('createPendingApprovals', () => {
  it('remembers, reads and forgets entries by key', () => {
    const pending = createPendingApprovals<{ tool: string }>();
    expect(pending.get('call_1')).toBeUndefined();
    pending.remember('call_1', { tool: 'refund_order' });
    pending.remember('call_2', { tool: 'lookup_order' });
    expect(pending.get('call_1')).toEqual({ tool: 'refund_order' });
    expect(pending.size).toBe(2);
    pending.forget('call_1');
    expect(pending.get('call_1')).toBeUndefined();
    expect(pending.get('call_2')).toEqual({ tool: 'lookup_order' });
    expect(pending.size).toBe(1);
    pending.forget('never-remembered'); // forgetting what is not there is fine
    expect(pending.size).toBe(1);
  });

  it('is bounded: the entry remembered longest ago goes first, and remembering again makes an entry the newest', () => {
    const pending = createPendingApprovals<number>({ limit: 2 });
    pending.remember('a', 1);
    pending.remember('b', 2);
    pending.remember('a', 3); // a is now the newest, b the oldest
    pending.remember('c', 4);
    expect(pending.get('b')).toBeUndefined();
    expect(pending.get('a')).toBe(3);
    expect(pending.get('c')).toBe(4);
    expect(pending.size).toBe(2);
  });

  it('holds as many entries as the call ledger by default', () => {
    const pending = createPendingApprovals<number>();
    for (let i = 0; i <= WRIT_DEFAULTS.callLedgerSize; i++) pending.remember(`call_${i}`, i);
    expect(pending.size).toBe(WRIT_DEFAULTS.callLedgerSize);
    expect(pending.get('call_0')).toBeUndefined();
    expect(pending.get(`call_${WRIT_DEFAULTS.callLedgerSize}`)).toBe(WRIT_DEFAULTS.callLedgerSize);
  });

  it('refuses a limit that is not a positive integer, naming the option', () => {
    for (const limit of [0, -1, 1.5, '10']) {
      expect(() => createPendingApprovals({ limit: limit as number })).toThrow(
        expect.objectContaining({
          code: 'WRIT_OPTIONS_INVALID',
          message: expect.stringMatching(/^createPendingApprovals: options\.limit: /),
        }),
      );
    }
    expect(() => createPendingApprovals({ size: 3 } as never)).toThrow(/unknown option\(s\) "size"/);
  });

  it('keeps each entry for the task and requester that remembered it: another task, another user or no task never sees it', async () => {
    const { writ } = setup();
    const pending = createPendingApprovals<string>();
    const alice = { requester: ALICE, agent: 'support' };
    const taskId = await writ.task(alice, async (task) => {
      pending.remember('0', "alice's refund");
      expect(pending.get('0')).toBe("alice's refund");
      return task.attribution.taskId;
    });
    // bob's run presents the same tool call id: his own entry, alice's untouched
    await writ.task({ requester: BOB, agent: 'support' }, async () => {
      expect(pending.get('0')).toBeUndefined();
      pending.remember('0', "bob's refund");
      pending.forget('0');
      expect(pending.get('0')).toBeUndefined();
    });
    // alice's next task (not a continuation) does not see it either, nor does code outside a task
    await writ.task(alice, async () => expect(pending.get('0')).toBeUndefined());
    expect(pending.get('0')).toBeUndefined();
    // bob continuing alice's task id is still not alice
    await writ.task({ requester: BOB, agent: 'support', resume: taskId }, async () =>
      expect(pending.get('0')).toBeUndefined(),
    );
    // alice's request that continues her task finds it
    await writ.task({ ...alice, resume: taskId }, async () => {
      expect(pending.get('0')).toBe("alice's refund");
      pending.forget('0');
      expect(pending.get('0')).toBeUndefined();
    });
    expect(pending.size).toBe(0);
  });
});
