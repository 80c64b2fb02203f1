// Compares builds of @writ/policy's Cedar worker pool in one process: for each build, the pool alone
// (`engine.decide` with 64 in flight, nothing of Writ) and Writ on it (zero-config runtime, strict, 64
// calls in flight), with Cedar single-thread as the reference, in rotating rounds of one window each, so
// a shared machine's drift lands on every build alike. For before/after figures of a change to the pool:
//
//   cp -r packages/policy/dist packages/policy/.ab-before      # before the change
//   (cd packages/policy && npx tsup)                            # after it
//   node test/bench/ab-pool.ts 2 12 500 packages/policy/.ab-before packages/policy/dist
//
// Arguments: workers, rounds, window ms, then the build directories (inside packages/policy, so their
// imports resolve from there). Prints, per set-up, the median rate, its ratio to Cedar single-thread,
// the median CPU time per call of the whole process (user + system, every thread), which a busy
// neighbour's steal time does not inflate (on a machine whose cores are all busy, rate ≈ cores ÷ CPU),
// and the main thread's busy time per call (event-loop utilisation: wall time, so the load shows in it).
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type * as Policy from '@writ/policy';
import { ARGS, captureRequest, createFullWrit, TempDirs } from './fixtures.ts';
import { measureThroughput } from './sampling.ts';
import { cedarDirect } from './scenarios/latency.ts';

const [workersArg, roundsArg, windowArg, ...dirs] = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: ab-pool.ts <workers> <rounds> <windowMs> <policy-dist>...');
  process.exit(2);
}
const workers = Number(workersArg);
const rounds = Number(roundsArg);
const windowMs = Number(windowArg);
const rampMs = 200;
const signal = new AbortController().signal;

interface Setup {
  readonly id: string;
  /** Runs one window; returns calls per second and calls completed (ramp included). */
  readonly run: () => Promise<{ perSec: number; completed: number }>;
  readonly close: () => Promise<void>;
  readonly perSec: number[];
  readonly cpuUs: number[];
  /** The main thread's busy time per call (event-loop utilisation), µs. */
  readonly mainUs: number[];
}

/** Closed loop with 64 in flight, counting every completed call for the CPU figure. */
async function loop(fn: () => Promise<unknown>) {
  let completed = 0;
  const stats = await measureThroughput(
    async () => {
      await fn();
      completed++;
    },
    64,
    windowMs,
    rampMs,
  );
  return { perSec: stats.callsPerSec, completed };
}

const temps = new TempDirs();
const setups: Setup[] = [];
try {
  const request = await captureRequest(await temps.make('ab-pool-capture'));
  const decide = await cedarDirect(request);
  setups.push({
    id: 'cedar single-thread',
    run: async () => {
      const from = performance.now();
      let n = 0;
      while (performance.now() - from < windowMs) {
        decide();
        n++;
      }
      return { perSec: (1000 * n) / (performance.now() - from), completed: n };
    },
    close: async () => undefined,
    perSec: [],
    cpuUs: [],
    mainUs: [],
  });
  for (const dir of dirs) {
    const policy = (await import(pathToFileURL(resolve(dir, 'index.js')).href)) as typeof Policy;
    const alone = await policy.createCedarEngine({ workers });
    setups.push({
      id: `${dir}: pool alone`,
      run: () => loop(() => alone.decide(request, { signal })),
      close: async () => alone.close(),
      perSec: [],
      cpuUs: [],
      mainUs: [],
    });
    const bench = await createFullWrit({
      dir: await temps.make('ab-pool'),
      durability: 'strict',
      policy: await policy.createCedarEngine({ workers }),
    });
    setups.push({
      id: `${dir}: Writ, strict`,
      run: async () => {
        const result = await bench.inTask(() => loop(() => bench.tool.execute(ARGS)));
        await bench.flush();
        return result;
      },
      close: () => bench.close(),
      perSec: [],
      cpuUs: [],
      mainUs: [],
    });
  }
  for (const s of setups) await s.run(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < setups.length; k++) {
      const s = setups[(k + round) % setups.length] as Setup;
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const { perSec, completed } = await s.run();
      const used = process.cpuUsage(cpu);
      const busy = performance.eventLoopUtilization(elu);
      s.perSec.push(perSec);
      s.cpuUs.push((used.user + used.system) / Math.max(1, completed));
      s.mainUs.push((1000 * busy.active) / Math.max(1, completed));
    }
  }
  const median = (v: readonly number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 === 1
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
  };
  const base = median(setups[0]?.perSec ?? []);
  console.log(`${workers} worker(s), ${rounds} rounds of ${windowMs} ms, 64 in flight`);
  console.log(
    'set-up | per s (median) | × Cedar single-thread | CPU µs per call (median) | main thread busy µs per call (median)',
  );
  for (const s of setups) {
    console.log(
      `${s.id} | ${median(s.perSec).toFixed(0)} | ${(median(s.perSec) / base).toFixed(2)}× | ${median(s.cpuUs).toFixed(0)} | ${median(s.mainUs).toFixed(0)}`,
    );
  }
} finally {
  for (const s of setups) await s.close().catch(() => undefined);
  await temps.removeAll();
}
