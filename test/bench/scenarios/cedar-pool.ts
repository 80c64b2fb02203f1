// Scenario: embedded Cedar on every core. Strict calls with 64 in flight through the zero-config runtime
// with Cedar in the calling thread and with Cedar's worker pool (`workers: 'auto'`: one per core), against
// Cedar's own single-thread rate (cedar-wasm preparsed, called back to back in this thread), and the
// floor: the same pool alone (`engine.decide` with 64 in flight, nothing else of Writ), which is what the
// cores give here. The set-ups run in interleaved rounds of one window each (rotating order), so the
// machine's drift lands on all alike; each reports its median rate and CPU time per call (every thread).
import { autoCedarWorkers, type CedarEngine, createCedarEngine } from '@writ/policy';
import { ARGS, captureRequest, createFullWrit, type TempDirs } from '../fixtures.ts';
import type { CoresRow } from '../results-schema.ts';
import { measureThroughput } from '../sampling.ts';
import { cedarDirect } from './latency.ts';

/** What the scenario needs from the run. */
export interface CedarPoolContext {
  readonly temps: TempDirs;
  readonly rounds: number;
  readonly windowMs: number;
  readonly rampMs: number;
  readonly concurrency?: number;
  /** Worker threads of the pool. @default autoCedarWorkers() */
  readonly workers?: number;
  readonly onProgress?: (id: string) => void;
}

interface Setup {
  readonly id: string;
  readonly name: string;
  readonly kind: CoresRow['kind'];
  readonly workers: number;
  /** One window: calls per second, and every call completed (ramp included) for the CPU figure. */
  readonly run: () => Promise<{ perSec: number; completed: number }>;
  /** Untimed, before the rounds: starts the workers and loads the policy set in each. */
  readonly warm?: () => Promise<unknown>;
  readonly close: () => Promise<void>;
}

const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Samples every set-up in interleaved rounds and returns one row per set-up. */
export async function runCedarPool(ctx: CedarPoolContext): Promise<CoresRow[]> {
  const concurrency = ctx.concurrency ?? 64;
  const workers = ctx.workers ?? Math.max(1, autoCedarWorkers());
  const request = await captureRequest(await ctx.temps.make('pool-capture'));
  const decide = await cedarDirect(request);
  const signal = new AbortController().signal;
  /** Closed loop, `concurrency` in flight, counting every completed call. */
  const loop = async (fn: () => Promise<unknown>) => {
    let completed = 0;
    const counted = async () => {
      await fn();
      completed++;
    };
    const stats = await measureThroughput(counted, concurrency, ctx.windowMs, ctx.rampMs);
    return { perSec: stats.callsPerSec, completed };
  };
  /** `concurrency` calls at once, three times. */
  const burst = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: concurrency }, fn));
  };
  const setups: Setup[] = [
    {
      id: 'cedar-single-thread',
      name: 'cedar-wasm preparsed, back to back, one thread',
      kind: 'cedar',
      workers: 0,
      run: async () => {
        const from = performance.now();
        let n = 0;
        while (performance.now() - from < ctx.windowMs) {
          if (!decide()) throw new Error('cedar denied the benchmark call');
          n++;
        }
        return { perSec: (1000 * n) / (performance.now() - from), completed: n };
      },
      close: async () => undefined,
    },
  ];
  try {
    const engine: CedarEngine = await createCedarEngine({ workers });
    setups.push({
      id: `pool-alone-w${workers}`,
      name: `floor: the Cedar engine's pool of ${workers} alone (decide, ${concurrency} in flight, no Writ)`,
      kind: 'pool',
      workers,
      run: () => loop(() => engine.decide(request, { signal })),
      warm: () => burst(() => engine.decide(request, { signal })),
      close: async () => engine.close(),
    });
    for (const w of [0, workers]) {
      const bench = await createFullWrit({
        dir: await ctx.temps.make(`pool-${w}`),
        durability: 'strict',
        policy: await createCedarEngine({ workers: w }),
      });
      setups.push({
        id: `strict-cedar-c${concurrency}-w${w}`,
        name: `Writ, Cedar ${w === 0 ? 'in-thread' : `pool of ${w}`}, strict, ${concurrency} in flight`,
        kind: 'writ',
        workers: w,
        run: async () => {
          const result = await bench.inTask(() => loop(() => bench.tool.execute(ARGS)));
          await bench.flush();
          return result;
        },
        warm: () => bench.inTask(() => burst(() => bench.tool.execute(ARGS))),
        close: () => bench.close(),
      });
    }
    for (const s of setups) await s.warm?.();
    const rates = new Map(setups.map((s) => [s.id, [] as number[]]));
    const cpu = new Map(setups.map((s) => [s.id, [] as number[]]));
    for (let round = 0; round < ctx.rounds; round++) {
      for (let k = 0; k < setups.length; k++) {
        const s = setups[(k + round) % setups.length] as Setup;
        ctx.onProgress?.(s.id);
        const before = process.cpuUsage();
        const { perSec, completed } = await s.run();
        const used = process.cpuUsage(before);
        rates.get(s.id)?.push(perSec);
        cpu.get(s.id)?.push((used.user + used.system) / Math.max(1, completed));
      }
    }
    const base = median(rates.get('cedar-single-thread') ?? []);
    return setups.map((s) => {
      const perSec = median(rates.get(s.id) ?? []);
      return {
        id: s.id,
        name: s.name,
        kind: s.kind,
        workers: s.workers,
        perSec,
        vsCedarSingleThread: perSec / base,
        cpuPerCallUs: median(cpu.get(s.id) ?? []),
        rounds: ctx.rounds,
      };
    });
  } finally {
    for (const s of setups) await s.close().catch(() => undefined);
  }
}

// `node test/bench/scenarios/cedar-pool.ts [rounds] [windowMs]` runs this scenario alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { TempDirs } = await import('../fixtures.ts');
  const { formatCores } = await import('../report.ts');
  const temps = new TempDirs();
  try {
    const rows = await runCedarPool({
      temps,
      rounds: Number(process.argv[2] ?? 5),
      windowMs: Number(process.argv[3] ?? 1_000),
      rampMs: 300,
    });
    console.log(formatCores(rows));
  } finally {
    await temps.removeAll();
  }
}
