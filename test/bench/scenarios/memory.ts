// Scenario 4: does Writ keep anything per call? Heap and RSS after a first batch of calls and after many
// more, with GC forced before each reading. Set-up: `@writ/core` with the allow-all in-memory policy,
// async durability and the discarding sink (canonical JSON + leaf hash per record, then dropped), spans
// to the counting processor. A storing sink would grow by design (the in-memory sink keeps every record;
// the file sink's async queue holds whatever the disk has not taken yet), which would hide what Writ
// itself retains; the file sink's own retention (an O(log n) Merkle frontier) is covered by its tests.
// The sink hashes `JSON.stringify` output rather than canonical JSON: retention does not depend on the
// serialisation, and canonical JSON would make the million calls take a third longer.
import { performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { ARGS, createCoreWrit } from '../fixtures.ts';
import type { MemoryResult } from '../results-schema.ts';

/** What the memory scenario needs from the run. */
export interface MemoryContext {
  /** Call counts at which to read memory, ascending; the first is the reference. */
  readonly checkpoints: readonly number[];
  /** Calls per task (tasks are opened and closed along the way, like a service would). */
  readonly callsPerTask: number;
  readonly onProgress?: (calls: number) => void;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await tick();
  }
}

/** Runs calls up to each checkpoint and reads `heapUsed` and RSS there. */
export async function runMemory(ctx: MemoryContext): Promise<MemoryResult> {
  const bench = createCoreWrit({ encode: 'json' });
  const started = performance.now();
  const points: MemoryResult['points'] = [];
  let calls = 0;
  try {
    for (const target of ctx.checkpoints) {
      while (calls < target) {
        const n = Math.min(ctx.callsPerTask, target - calls);
        await bench.inTask(async () => {
          for (let i = 0; i < n; i++) await bench.tool.execute(ARGS);
        });
        calls += n;
        if (calls % 100_000 === 0) ctx.onProgress?.(calls);
      }
      await bench.flush();
      await settle();
      const usage = process.memoryUsage();
      points.push({ calls, heapUsedBytes: usage.heapUsed, rssBytes: usage.rss });
    }
  } finally {
    await bench.close();
  }
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined) throw new Error('no memory readings');
  return {
    setup: `@writ/core, allow-all in-memory policy, async durability, discarding sink (JSON + leaf hash, ${bench.sink.appended} records), forgetful broker, ${ctx.callsPerTask} calls per task`,
    gcForced: gc !== undefined,
    seconds: (performance.now() - started) / 1000,
    points,
    heapGrowthBytes: last.heapUsedBytes - first.heapUsedBytes,
    rssGrowthBytes: last.rssBytes - first.rssBytes,
  };
}
