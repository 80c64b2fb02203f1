// Latency sampling with tinybench, in interleaved rounds (every case runs a little, then the next, then
// again), so the drift of a shared, noisy machine lands on every case alike; and closed-loop throughput.
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';

/** One latency case: `fn` is one measured call. */
export interface LatencyCase {
  readonly id: string;
  /** Runs the rounds' measurements inside a scope (e.g. one `writ.task`). @default runs `body` as is */
  readonly inside?: <T>(body: () => Promise<T>) => Promise<T>;
  readonly fn: () => Promise<unknown>;
  /** Untimed, after each round (e.g. drain an async audit queue so it does not leak into the next case). */
  readonly afterRound?: () => Promise<void>;
}

/** How long to sample. */
export interface LatencyPlan {
  readonly rounds: number;
  /** Time budget of each case in each round, ms. */
  readonly timeMs: number;
  /** Untimed calls of each case for this long before the first round, ms. */
  readonly warmupMs: number;
  /** Called before each case's round, for progress output. */
  readonly onProgress?: (round: number, id: string) => void;
}

/** Summary statistics of latency samples, in microseconds. */
export interface LatencyStats {
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
  /** Sequential calls per second (1 / mean). */
  readonly opsPerSec: number;
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

/** p50 / p99 / mean of samples in microseconds. */
export function summarize(samplesUs: readonly number[]): LatencyStats {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length);
  return {
    samples: sorted.length,
    p50Us: quantile(sorted, 0.5),
    p99Us: quantile(sorted, 0.99),
    meanUs: mean,
    opsPerSec: mean > 0 ? 1e6 / mean : 0,
  };
}

async function warm(fn: () => Promise<unknown>, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) await fn();
}

/**
 * Samples every case for `rounds` rounds of `timeMs` each, rotating the order every round, and returns
 * each case's samples in microseconds.
 */
export async function sampleLatency(
  cases: readonly LatencyCase[],
  plan: LatencyPlan,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const scoped = <T>(c: LatencyCase, body: () => Promise<T>) => (c.inside ? c.inside(body) : body());
  for (const c of cases) {
    await scoped(c, () => warm(c.fn, plan.warmupMs));
    await c.afterRound?.();
  }
  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length] as LatencyCase;
      plan.onProgress?.(round, c.id);
      const bench = new Bench({
        time: plan.timeMs,
        iterations: 16,
        warmup: false,
        retainSamples: true,
        throws: true,
      });
      bench.add(c.id, c.fn, { async: true });
      await scoped(c, () => bench.run());
      await c.afterRound?.();
      const task = bench.getTask(c.id);
      const result = task?.result;
      if (result === undefined || result.state !== 'completed') {
        throw new Error(`latency case ${c.id} did not complete (${result?.state ?? 'missing'})`);
      }
      const bucket = samples.get(c.id) as number[];
      for (const ms of result.latency.samples ?? []) bucket.push(ms * 1000);
    }
  }
  return samples;
}

/** How a pair of cases is sampled: alternating batches of a few milliseconds, for `rounds` rounds. */
export interface PairPlan {
  readonly rounds: number;
  /** Time budget of the pair in each round (both cases together), ms. */
  readonly timeMs: number;
  /** Length of one batch of calls of one case, ms. */
  readonly batchMs: number;
}

/**
 * Samples two cases against each other in alternating batches of `batchMs` (base, subject, subject,
 * base, …), so both see the same machine. On a shared machine whose speed drifts within a second, two
 * cases sampled in separate rounds can land in different regimes; batches a few milliseconds long
 * cannot. Returns each case's samples in microseconds.
 */
export async function samplePair(
  base: LatencyCase,
  subject: LatencyCase,
  plan: PairPlan,
): Promise<{ base: number[]; subject: number[] }> {
  const out = { base: [] as number[], subject: [] as number[] };
  const batch = async (fn: () => Promise<unknown>, into: number[]) => {
    const until = performance.now() + plan.batchMs;
    for (;;) {
      const start = performance.now();
      if (start >= until) return;
      await fn();
      into.push((performance.now() - start) * 1000);
    }
  };
  const within = <T>(c: LatencyCase, body: () => Promise<T>) => (c.inside ? c.inside(body) : body());
  for (let round = 0; round < plan.rounds; round++) {
    await within(subject, () =>
      within(base, async () => {
        const until = performance.now() + plan.timeMs;
        for (let k = 0; performance.now() < until; k++) {
          if (k % 2 === 0) {
            await batch(base.fn, out.base);
            await batch(subject.fn, out.subject);
          } else {
            await batch(subject.fn, out.subject);
            await batch(base.fn, out.base);
          }
        }
      }),
    );
    await base.afterRound?.();
    await subject.afterRound?.();
  }
  return out;
}

/** Result of a closed-loop throughput run. */
export interface ThroughputStats {
  readonly concurrency: number;
  /** Calls that started after the ramp and finished inside the window. */
  readonly calls: number;
  readonly seconds: number;
  /** `concurrency` ÷ mean latency of those calls (Little's law for a closed loop). */
  readonly callsPerSec: number;
}

/**
 * Closed loop: `concurrency` workers each call `fn` back to back. Throughput is computed with Little's
 * law from the calls that start after a ramp of `rampMs` and finish inside the `windowMs` that follows:
 * concurrency ÷ their mean latency. Unlike counting completions in the window, this is not thrown off
 * when calls finish in bursts (all calls waiting for one group commit finish together).
 */
export async function measureThroughput(
  fn: () => Promise<unknown>,
  concurrency: number,
  windowMs: number,
  rampMs = 0,
): Promise<ThroughputStats> {
  // Workers read the clock themselves: calls that settle on microtasks alone would starve a timer.
  const opens = performance.now() + rampMs;
  const closes = opens + windowMs;
  let calls = 0;
  let latency = 0;
  const worker = async () => {
    for (;;) {
      const start = performance.now();
      if (start >= closes) return;
      await fn();
      const end = performance.now();
      if (start >= opens && end <= closes) {
        calls++;
        latency += end - start;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const meanMs = calls > 0 ? latency / calls : Number.POSITIVE_INFINITY;
  return { concurrency, calls, seconds: windowMs / 1000, callsPerSec: (1000 * concurrency) / meanMs };
}
