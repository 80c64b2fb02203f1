import type { Durability } from '@writ/core/plugin';
import { describe, expect, it } from 'vitest';
import { event } from './__support__/log.js';
import { createNoteSigner, generateNoteKeys } from './checkpoint/signer-key.js';
import { createLogAppender, type LogAppenderOptions } from './log-appender.js';
import { leafHash } from './merkle/hashing.js';
import type { LogRecord } from './record.js';

const KEYS = generateNoteKeys('writ.test/audit/appender');

function appenderIntoMemory(checkpointEvery: number, more: Partial<LogAppenderOptions> = {}) {
  const origin = 'writ.test/audit/appender';
  const keys = KEYS;
  const lines: string[] = [];
  const appender = createLogAppender({
    ...more,
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
    clock: () => 1_790_000_000_000,
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

describe("async appends: fixed and indexed on the caller's path, encoded later", () => {
  /** A record with every object's keys in canonical order (as Writ builds them), when `n` is even. */
  const record = (n: number): LogRecord => (n % 2 === 0 ? (sortedDeep(event(n)) as LogRecord) : event(n));

  /** The same 50 records, each appended with `durability(n)`, awaited `together` or one at a time. */
  async function logOf(durability: (n: number) => Durability, together: boolean) {
    const { appender, lines } = appenderIntoMemory(8);
    const receipts = [];
    if (together) {
      receipts.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, n) => appender.append(record(n), durability(n))),
        )),
      );
    } else {
      for (let n = 0; n < 50; n++) receipts.push(await appender.append(record(n), durability(n)));
    }
    const hashes = receipts.map((r) => r.leafHash);
    await appender.close();
    return { lines, receipts, hashes };
  }

  it('writes the same bytes as appends encoded at once, and every receipt names its record', async () => {
    const reference = await logOf(() => 'batched', false);
    for (const [durability, together] of [
      [() => 'async' as const, false],
      [() => 'async' as const, true],
      [(n: number) => (['async', 'batched', 'strict'] as const)[n % 3] ?? 'async', false],
      [(n: number) => (n % 5 === 0 ? 'strict' : 'async'), true],
    ] as const) {
      const log = await logOf(durability, together);
      expect(log.lines).toEqual(reference.lines);
      expect(log.hashes).toEqual(reference.hashes);
      for (const receipt of log.receipts) {
        const line = log.lines[receipt.index] as string;
        expect(receipt.leafHash).toBe(leafHash(Buffer.from(line, 'utf8')).toString('hex'));
      }
    }
  });

  it('answers an async append before encoding it; the batch runs on the next turn of the event loop', async () => {
    const { appender, lines } = appenderIntoMemory(1_000);
    const receipts = await Promise.all([0, 1, 2].map((n) => appender.append(event(n), 'async')));
    expect(receipts.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(appender.size).toBe(3);
    expect(lines).toHaveLength(0); // nothing encoded or written yet
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(3);
    await appender.close();
  });

  it('bounds what waits: the records are encoded once asyncBatchRecords wait, in a loop that never yields', async () => {
    const { appender, lines } = appenderIntoMemory(1_000, { asyncBatchRecords: 4 });
    for (let n = 0; n < 4; n++) await appender.append(event(n), 'async');
    await Promise.resolve();
    expect(lines).toHaveLength(4);
    await appender.close();
  });

  it('keeps the record as it was appended: changing the object afterwards changes nothing written', async () => {
    const { appender, lines } = appenderIntoMemory(1_000);
    const record = event(0) as LogRecord & { durationMs: number; chain: { name: string }[] };
    const receipt = await appender.append(record, 'async');
    record.durationMs = 99_999;
    (record.chain[0] as { name: string }).name = 'someone-else';
    await appender.flush();
    expect(lines[0]).toBe((await logOf(() => 'batched', false)).lines[0]);
    expect(receipt.leafHash).toBe(leafHash(Buffer.from(lines[0] as string, 'utf8')).toString('hex'));
    await appender.close();
  });

  it("refuses a record that cannot be fixed on the caller's path, without giving it an index", async () => {
    const { appender, lines } = appenderIntoMemory(1_000);
    const hostile = Object.defineProperty({ ...event(0) }, 'durationMs', {
      enumerable: true,
      get() {
        throw new Error('hostile getter');
      },
    });
    await expect(appender.append(hostile as LogRecord, 'async')).rejects.toThrow('hostile getter');
    const next = await appender.append(event(1), 'async');
    expect(next.index).toBe(0);
    expect(appender.failed).toBeUndefined();
    await appender.close();
    expect(JSON.parse(lines[0] as string).r.id).toBe('evt-1');
  });

  it('flush writes what waits; a strict append after async ones chains after them', async () => {
    const { appender, lines } = appenderIntoMemory(1_000);
    await appender.append(event(0), 'async');
    await appender.append(event(1), 'async');
    const strict = await appender.append(event(2), 'strict');
    expect(strict.index).toBe(2);
    expect(lines).toHaveLength(3);
    await appender.append(event(3), 'async');
    await appender.flush();
    expect(lines).toHaveLength(4);
    await appender.close();
  });
});

/** Checkpoint records written after index `i` (they are appended by the writer, not by `append`). */
function countCheckpointsAfter(lines: readonly string[], i: number): number {
  return lines.slice(i + 1).filter((l) => (JSON.parse(l) as { r: { kind: string } }).r.kind === 'checkpoint')
    .length;
}

function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedDeep((value as Record<string, unknown>)[k])]),
  );
}
