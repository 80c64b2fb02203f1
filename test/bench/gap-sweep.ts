// How Writ's own time per call depends on the work around it. The same @writ/core call (in-memory
// policy, a sink that canonically encodes and leaf-hashes every record, async durability, a real OTel
// SDK tracer) runs in alternating 10 ms batches: one batch whose tool returns at once, one whose tool
// first spends `gap` µs on arithmetic (no allocation, no I/O). Writ's own time is each call's wall time
// less the tool's own, timed inside the tool. On a machine where Writ's code and data stay in the CPU's
// caches between back-to-back calls but not across a gap, the second figure grows with the gap:
//
//   node test/bench/gap-sweep.ts [gaps in µs, comma-separated = 25,100,500,2000] [seconds per gap = 6]
import { performance } from 'node:perf_hooks';
import { ARGS, createCoreWrit, lookupOrder, lookupToolDefinition } from './fixtures.ts';
import { summarize } from './sampling.ts';
import { setUpTracing } from './tracing.ts';

const gaps = (process.argv[2] ?? '25,100,500,2000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 6);
if (gaps.some((g) => !Number.isFinite(g) || g <= 0) || !(seconds > 0)) {
  console.error('usage: gap-sweep.ts [gaps in µs, comma-separated] [seconds per gap]');
  process.exit(2);
}
const BATCH_MS = 10;

let state = 1;
/** Arithmetic only: a linear congruential step, `n` times. */
function spin(n: number): void {
  let x = state;
  for (let i = 0; i < n; i++) x = (x * 1103515245 + 12345) | 0;
  state = x;
}

/** Iterations of `spin` per µs on this machine now (the best of a few tries). */
function calibrate(): number {
  const n = 2_000_000;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    spin(n);
    best = Math.min(best, performance.now() - start);
  }
  return n / (best * 1000);
}

const tracing = setUpTracing();
const bench = createCoreWrit();
let iterations = 0;
let toolUs = 0;
const tool = bench.writ.tool(
  lookupToolDefinition(async (args) => {
    const start = performance.now();
    if (iterations > 0) spin(iterations);
    const result = await lookupOrder(args);
    toolUs = (performance.now() - start) * 1000;
    return result;
  }),
);

/** Calls for `BATCH_MS` with the tool spinning `n` times; pushes Writ's own time per call, µs. */
async function batch(n: number, into: number[]): Promise<void> {
  iterations = n;
  const until = performance.now() + BATCH_MS;
  while (performance.now() < until) {
    const start = performance.now();
    await tool.execute(ARGS);
    into.push((performance.now() - start) * 1000 - toolUs);
  }
}

const perUs = calibrate();
console.log(`@writ/core, Writ's own time per call (wall time less the tool's), ${seconds} s per gap`);
console.log('gap µs  back-to-back p50  after the gap p50  difference');
try {
  for (const gap of gaps) {
    const n = Math.round(gap * perUs);
    const tight: number[] = [];
    const gapped: number[] = [];
    await bench.inTask(async () => {
      const until = performance.now() + seconds * 1000;
      for (let k = 0; performance.now() < until; k++) {
        if (k % 2 === 0) {
          await batch(0, tight);
          await batch(n, gapped);
        } else {
          await batch(n, gapped);
          await batch(0, tight);
        }
      }
    });
    await bench.flush();
    const a = summarize(tight).p50Us;
    const b = summarize(gapped).p50Us;
    console.log(
      `${String(gap).padStart(6)}  ${a.toFixed(1).padStart(16)}  ${b.toFixed(1).padStart(16)}  ${`+${(b - a).toFixed(1)}`.padStart(10)}`,
    );
  }
} finally {
  await bench.close();
  await tracing.shutdown();
}
