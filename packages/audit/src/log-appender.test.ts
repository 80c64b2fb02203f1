import { describe, expect, it } from 'vitest';
import { event } from './__support__/log.js';
import { createNoteSigner, generateNoteKeys } from './checkpoint/signer-key.js';
import { createLogAppender } from './log-appender.js';

function appenderIntoMemory(checkpointEvery: number) {
  const origin = 'writ.test/audit/appender';
  const keys = generateNoteKeys(origin);
  const lines: string[] = [];
  const appender = createLogAppender({
    origin,
    signer: createNoteSigner(keys.signerKey),
    // a storage that answers at once, as an in-memory or very fast one does
    storage: {
      async write(batch) {
        lines.push(...batch);
      },
      async sync() {},
    },
    checkpointEvery,
    // no timed checkpoint could wake a stuck writer within the test
    checkpointIntervalMs: 3_600_000,
  });
  return { appender, lines };
}

describe('the log appender', () => {
  it('writes every record appended one at a time, across count-triggered checkpoints (no record left queued)', async () => {
    const { appender, lines } = appenderIntoMemory(8);
    for (let n = 0; n < 40; n++) {
      const receipt = await appender.append(event(n), 'batched');
      expect(receipt.index).toBe(lines.length - 1 - countCheckpointsAfter(lines, receipt.index));
    }
    await appender.close();
    const records = lines.map((l) => (JSON.parse(l) as { r: { kind: string } }).r.kind);
    expect(records.filter((k) => k !== 'checkpoint')).toHaveLength(40);
    expect(records.filter((k) => k === 'checkpoint').length).toBeGreaterThanOrEqual(4);
  }, 10_000);
});

/** Checkpoint records written after index `i` (they are appended by the writer, not by `append`). */
function countCheckpointsAfter(lines: readonly string[], i: number): number {
  return lines.slice(i + 1).filter((l) => (JSON.parse(l) as { r: { kind: string } }).r.kind === 'checkpoint')
    .length;
}
