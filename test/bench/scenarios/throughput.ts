// Scenario 3: calls per second with 1, 64 and 1,024 calls in flight in one task, strict durability
// (group commit: concurrent appends share one write and one fdatasync) against batched, with the
// default policy (embedded Cedar) and with the allow-all in-memory policy (the policy's cost removed).
import { createAllowAllPolicy, createFullWrit, type TempDirs } from '../fixtures.ts';
import type { ThroughputRow } from '../results-schema.ts';
import { measureThroughput } from '../sampling.ts';

/** What the throughput scenario needs from the run. */
export interface ThroughputContext {
  readonly temps: TempDirs;
  readonly concurrencies: readonly number[];
  /** Shortest measured window of a run, ms (longer when calls complete in long waves). */
  readonly windowMs: number;
  /** Longest window (and ramp), ms. */
  readonly maxWindowMs: number;
  /** Calls before the window opens, ms. */
  readonly rampMs: number;
  /** Untimed calls before the first run of each set-up, ms. */
  readonly warmupMs: number;
  readonly onProgress?: (id: string) => void;
}

const SETUPS = [
  { policy: 'cedar', durability: 'strict' },
  { policy: 'cedar', durability: 'batched' },
  { policy: 'allow-all', durability: 'strict' },
  { policy: 'allow-all', durability: 'batched' },
] as const;

/** One row per (policy, durability, concurrency). */
export async function runThroughput(ctx: ThroughputContext): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const setup of SETUPS) {
    const bench = await createFullWrit({
      dir: await ctx.temps.make(`tp-${setup.policy}-${setup.durability}`),
      durability: setup.durability,
      ...(setup.policy === 'allow-all' ? { policy: createAllowAllPolicy() } : {}),
    });
    try {
      const call = () => bench.tool.execute({ orderId: 'ord_42' });
      await bench.inTask(async () => {
        let rate = (await measureThroughput(call, 64, ctx.warmupMs)).callsPerSec;
        for (const concurrency of ctx.concurrencies) {
          const id = `tp-${setup.policy}-${setup.durability}-c${concurrency}`;
          ctx.onProgress?.(id);
          // With many calls in flight, calls finish in waves (a group commit, a policy queue): the ramp
          // lets one wave through and the window holds several, so the count is not one wave or two.
          const waveMs = rate > 0 ? (1000 * concurrency) / rate : 0;
          const stats = await measureThroughput(
            call,
            concurrency,
            Math.min(ctx.maxWindowMs, Math.max(ctx.windowMs, 4 * waveMs)),
            Math.min(ctx.maxWindowMs, Math.max(ctx.rampMs, waveMs)),
          );
          if (stats.callsPerSec > 0) rate = stats.callsPerSec;
          rows.push({ id, policy: setup.policy, durability: setup.durability, ...stats });
          await bench.flush();
        }
      });
    } finally {
      await bench.close();
    }
  }
  return rows;
}
