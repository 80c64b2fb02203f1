// `withNext` (AppendOptions.writeWithNext, set by Writ on a task's start record): the record is written
// with the next record appended, in one write and in index order, or on its own on the next turn of the
// event loop when nothing follows; its append resolves once it is written, and rejects if that write fails.
import { describe, expect, it } from 'vitest';
import { event } from './__support__/log.js';
import { createNoteSigner, generateNoteKeys } from './checkpoint/signer-key.js';
import { createLogAppender } from './log-appender.js';

const KEYS = generateNoteKeys('writ.test/audit/with-next');

function appender(fail = false) {
  const writes: { lines: number; sync: boolean }[] = [];
  const log = createLogAppender({
    origin: 'writ.test/audit/with-next',
    signer: createNoteSigner(KEYS.signerKey),
    storage: {
      async write(batch, options) {
        writes.push({ lines: batch.length, sync: options.sync });
        if (fail) throw new Error('EIO');
      },
      async sync() {},
    },
    checkpointIntervalMs: 3_600_000,
  });
  return { log, writes };
}

describe('withNext: a record written with the next one', () => {
  it('shares the next append’s write (and its sync), in index order', async () => {
    const { log, writes } = appender();
    const start = log.append(event(0), 'batched', { withNext: true });
    const decision = await log.append(event(1), 'strict');
    const started = await start;
    expect([started.index, decision.index]).toEqual([0, 1]);
    expect(writes).toEqual([{ lines: 2, sync: true }]);
    await log.close();
  });

  it('is written on its own on the next turn when nothing follows, and resolves once written', async () => {
    const { log, writes } = appender();
    const receipt = await log.append(event(0), 'batched', { withNext: true });
    expect(receipt.index).toBe(0);
    expect(writes).toEqual([{ lines: 1, sync: false }]);
    await log.close();
  });

  it('rejects when its write fails, and so does the record written with it', async () => {
    const { log } = appender(true);
    const start = log.append(event(0), 'batched', { withNext: true });
    const decision = log.append(event(1), 'strict');
    await expect(start).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
    await expect(decision).rejects.toMatchObject({ code: 'WRIT_AUDIT_UNAVAILABLE' });
  });
});
