// Scenario: embedded Cedar on every core. Strict calls with 64 in flight through the zero-config runtime
// with Cedar in the calling thread and with Cedar's worker pool (1 and 2 workers), against Cedar's own
// single-thread rate (cedar-wasm preparsed, called back to back in this thread). The set-ups run in
// interleaved rounds of one window each (rotating order), so the machine's drift lands on all alike.
import { createCedarEngine } from '@writ/policy';
import { ARGS, type BenchWrit, captureRequest, createFullWrit, type TempDirs } from '../fixtures.ts';
import { measureThroughput } from '../sampling.ts';
import { cedarDirect } from './latency.ts';

/** One row: a set-up's rate over the rounds, and its ratio to Cedar's single-thread rate. */
export interface CedarPoolRow {
  readonly id: string;
  readonly name: string;
  /** Calls (or decisions) per second, median over the rounds. */
  readonly perSec: number;
  readonly vsCedarSingleThread: number;
  readonly rounds: number;
}

/** What the scenario needs from the run. */
export interface CedarPoolContext {
  readonly temps: TempDirs;
  readonly rounds: number;
  readonly windowMs: number;
  readonly rampMs: number;
  readonly concurrency?: number;
  readonly onProgress?: (id: string) => void;
}

const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Cedar's single-thread rate: decisions per second, back to back, for `ms`. */
function cedarRate(decide: () => boolean, ms: number): number {
  const until = performance.now() + ms;
  const from = performance.now();
  let n = 0;
  while (performance.now() < until) {
    if (!decide()) throw new Error('cedar denied the benchmark call');
    n++;
  }
  return (1000 * n) / (performance.now() - from);
}

/** Samples every set-up in interleaved rounds and returns one row per set-up. */
export async function runCedarPool(ctx: CedarPoolContext): Promise<CedarPoolRow[]> {
  const concurrency = ctx.concurrency ?? 64;
  const decide = await cedarDirect(await captureRequest(await ctx.temps.make('pool-capture')));
  const setups: { id: string; name: string; bench: BenchWrit }[] = [];
  try {
    for (const workers of [0, 1, 2]) {
      const bench = await createFullWrit({
        dir: await ctx.temps.make(`pool-${workers}`),
        durability: 'strict',
        policy: await createCedarEngine({ workers }),
      });
      setups.push({
        id: `strict-cedar-c${concurrency}-w${workers}`,
        name: `Writ, Cedar ${workers === 0 ? 'in-thread' : `pool of ${workers}`}, strict, ${concurrency} in flight`,
        bench,
      });
    }
    const rates = new Map<string, number[]>([
      ['cedar-single-thread', []],
      ...setups.map((s) => [s.id, []] as [string, number[]]),
    ]);
    for (let round = 0; round < ctx.rounds; round++) {
      const order = [undefined, ...setups];
      for (let k = 0; k < order.length; k++) {
        const s = order[(k + round) % order.length];
        if (s === undefined) {
          ctx.onProgress?.('cedar-single-thread');
          rates.get('cedar-single-thread')?.push(cedarRate(decide, ctx.windowMs));
          continue;
        }
        ctx.onProgress?.(s.id);
        const stats = await s.bench.inTask(() =>
          measureThroughput(() => s.bench.tool.execute(ARGS), concurrency, ctx.windowMs, ctx.rampMs),
        );
        rates.get(s.id)?.push(stats.callsPerSec);
        await s.bench.flush();
      }
    }
    const base = median(rates.get('cedar-single-thread') ?? []);
    return [
      { id: 'cedar-single-thread', name: 'cedar-wasm preparsed, back to back, one thread' },
      ...setups,
    ].map((s) => {
      const perSec = median(rates.get(s.id) ?? []);
      return { id: s.id, name: s.name, perSec, vsCedarSingleThread: perSec / base, rounds: ctx.rounds };
    });
  } finally {
    for (const s of setups) {
      await s.bench.close().catch(() => undefined);
    }
  }
}

/** Prints the rows as a table. */
export function formatCedarPool(rows: readonly CedarPoolRow[]): string {
  const lines = ['| set-up | per s (median) | vs Cedar single-thread |', '|---|---|---|'];
  for (const r of rows)
    lines.push(`| ${r.name} | ${r.perSec.toFixed(0)} | ${r.vsCedarSingleThread.toFixed(2)}× |`);
  return lines.join('\n');
}

// `node test/bench/scenarios/cedar-pool.ts` runs this scenario alone and prints its table.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { TempDirs } = await import('../fixtures.ts');
  const temps = new TempDirs();
  try {
    const rows = await runCedarPool({ temps, rounds: 4, windowMs: 1_500, rampMs: 300 });
    console.log(formatCedarPool(rows));
  } finally {
    await temps.removeAll();
  }
}
