// `npm run bench`: Writ's benchmark suite. Prints a table and writes test/bench/results.json.
//
//   node test/bench/run.ts                 full run (a few minutes; builds a 1M-record log once)
//   node test/bench/run.ts --smoke         tiny sizes, to check the suite works (smoke.test.ts)
//   options: --out <file>  --only latency,peers,throughput,memory,audit,coldstart,toolserver,cores,adapters
//            --no-cerbos  --no-reuse-log
//
// Every figure that matters is a ratio or difference against a baseline measured in the same process
// run: the machine this runs on is shared and noisy. See docs/performance.md.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Cerbos, cerbosBinary, startCerbos } from './cerbos.ts';
import { TempDirs } from './fixtures.ts';
import { formatReport } from './report.ts';
import type {
  AuditResult,
  ColdStartResult,
  CoresRow,
  CpuPerCall,
  LatencyRow,
  Measured,
  MemoryResult,
  PairRow,
  Results,
  ThroughputRow,
  ToolServerRow,
} from './results-schema.ts';
import { resultsSchema, SCENARIOS } from './results-schema.ts';
import type { AdapterRow } from './scenarios/adapters-report.ts';
import { runAuditLog } from './scenarios/audit-log.ts';
import { runCedarPool } from './scenarios/cedar-pool.ts';
import { runColdStart } from './scenarios/cold-start.ts';
import { runLatency } from './scenarios/latency.ts';
import { runMemory } from './scenarios/memory.ts';
import { runPeers } from './scenarios/peers.ts';
import { runThroughput } from './scenarios/throughput.ts';
import { runToolServer } from './scenarios/tool-server.ts';
import { evaluateTargets } from './targets.ts';
import { setUpTracing } from './tracing.ts';

type Scenario = (typeof SCENARIOS)[number];

/** Sizes of a full run and of a smoke run. */
const SIZES = {
  full: {
    rounds: 5,
    roundMs: 300,
    warmupMs: 200,
    pairRounds: 5,
    pairRoundMs: 1_000,
    pairBatchMs: 10,
    throughputWindowMs: 1_000,
    throughputMaxWindowMs: 5_000,
    throughputRampMs: 300,
    throughputWarmupMs: 300,
    concurrencies: [1, 64, 1_024],
    memoryCheckpoints: [10_000, 100_000, 500_000, 1_000_000],
    callsPerTask: 1_000,
    logRecords: 1_000_000,
    verifyRuns: 3,
    fleetMembers: 10,
    appends: [
      { durability: 'batched', concurrency: 256, records: 50_000 },
      { durability: 'strict', concurrency: 256, records: 20_000 },
      { durability: 'strict', concurrency: 1, records: 500 },
    ],
    cerbosReadyMs: 15_000,
    coldStartRuns: 9,
    server: { rounds: 5, timeMs: 300, warmupMs: 200 },
    cores: { rounds: 5, windowMs: 1_000, rampMs: 300 },
    // per adapter (8): 3 cases × 3 rounds × 200 ms + 200 ms warm-up each, 2 pairs × 3 × 1 s (a 3rd for the
    // 4 hook adapters): ≈ 8.4–11.4 s each, ≈ 80 s in all
    adapters: { rounds: 3, timeMs: 200, warmupMs: 200, pairRounds: 3, pairTimeMs: 1_000, batchMs: 10 },
  },
  smoke: {
    rounds: 2,
    roundMs: 25,
    warmupMs: 10,
    pairRounds: 2,
    pairRoundMs: 40,
    pairBatchMs: 5,
    throughputWindowMs: 50,
    throughputMaxWindowMs: 200,
    throughputRampMs: 10,
    throughputWarmupMs: 10,
    concurrencies: [1, 64, 1_024],
    memoryCheckpoints: [100, 400],
    callsPerTask: 100,
    logRecords: 2_000,
    verifyRuns: 2,
    fleetMembers: 2,
    appends: [
      { durability: 'batched', concurrency: 64, records: 1_000 },
      { durability: 'strict', concurrency: 64, records: 500 },
      { durability: 'strict', concurrency: 1, records: 20 },
    ],
    cerbosReadyMs: 3_000,
    coldStartRuns: 2,
    server: { rounds: 2, timeMs: 25, warmupMs: 10 },
    cores: { rounds: 1, windowMs: 300, rampMs: 50 },
    adapters: { rounds: 1, timeMs: 20, warmupMs: 10, pairRounds: 1, pairTimeMs: 40, batchMs: 5 },
  },
} as const;

/** What results.json says about how each figure was taken. */
const NOTES = [
  'Latency: tinybench samples from interleaved rounds (every case runs a little, in rotating order, then again); p50/p99/mean in µs over all rounds.',
  'vs baseline: p50 ratio, and p50/p99 differences, against the case named, measured in the same process run.',
  'Pairs: after the rounds, the Cedar ratio pair is sampled again in alternating batches of a few ms (baseline, case, case, baseline, …) so both see the same machine; the cedar-ratio target reads the pair.',
  'Writ calls run inside one writ.task per round; task start+end is its own case.',
  'strict: each call waits for two fdatasync (decision record before the tool runs, outcome record after).',
  'Spans: BasicTracerProvider with a processor that only counts, AsyncLocalStorage context manager, always-on sampling.',
  "Throughput: closed loop in one task; calls/s = calls in flight ÷ mean call latency (Little's law) over calls started after a ramp and finished inside the window.",
  'Memory: @writ/core, allow-all policy, async durability, a sink that serialises + hashes then drops, GC forced before each reading.',
  'verifyLog: pinned key, over a log of real Writ records built with the file sink (batched), reused across runs from os.tmpdir().',
  'Peers: OpenLLMetry withTool, OpenInference traceTool and Langfuse observe wrap the same tool body on the same tracer (the global provider above); vs peers = the pair (peer, @writ/core writ.tool direct) in alternating batches.',
  'Adapter gap: (AI SDK loop with @writ/ai-sdk − without) ÷ (@writ/core writ.tool direct − bare call), both differences from pairs in alternating batches, same @writ/core set-up; the AI SDK loop is generateText with its MockLanguageModelV4 (2 turns, 1 tool call).',
  "Cold start: median over fresh processes (cold-start-child.ts) of await import('writ') and of the baselines' imports, interleaved; first call = zero-config createWrit + ready + token + task + one call.",
  'Smoke runs use tiny sizes: their figures are not comparable and targets are not evaluated.',
  'Tool server: one inbound request = the caller token checked + writ.task({ inbound }) + one call on the zero-config runtime; wall and CPU time (process.cpuUsage, user + system) per request, in interleaved rounds with its parts.',
  'All cores: strict, 64 in flight, Writ with Cedar in-thread and on the worker pool, the pool alone (the floor), and cedar-wasm back to back in one thread, in interleaved windows; medians of the rate and of the CPU time per call (every thread).',
  'Load average: os.loadavg() at the start (header) and at the end (last line); the machine is shared, so figures are only comparable within a run.',
];

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    'no-cerbos': { type: 'boolean', default: false },
    'no-reuse-log': { type: 'boolean', default: false },
  },
  strict: true,
});

// Heap readings need a forced GC: re-run this file once with --expose-gc.
if (typeof (globalThis as { gc?: unknown }).gc !== 'function' && !process.execArgv.includes('--expose-gc')) {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}

const mode = flags.smoke ? 'smoke' : 'full';
const sizes = SIZES[mode];
const only = new Set<Scenario>(
  flags.only === undefined
    ? SCENARIOS
    : flags.only.split(',').map((s) => {
        const name = s.trim() as Scenario;
        if (!SCENARIOS.includes(name))
          throw new Error(`--only: unknown scenario "${s}" (${SCENARIOS.join(', ')})`);
        return name;
      }),
);
const out = resolve(flags.out ?? fileURLToPath(new URL('./results.json', import.meta.url)));
const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

const started = performance.now();
const loadAtStart = loadavg();
const tracing = setUpTracing();
const temps = new TempDirs();
let cerbos: Cerbos | undefined;
const skipped: Results['skipped'] = [];
const scenarioSeconds: Record<string, number> = {};
/** Runs one scenario, timing it. */
async function timed<T>(name: Scenario, run: () => Promise<T>): Promise<T> {
  const from = performance.now();
  progress(name);
  try {
    return await run();
  } finally {
    scenarioSeconds[name] = (performance.now() - from) / 1000;
    progress(`${name} done in ${(scenarioSeconds[name] ?? 0).toFixed(1)} s`);
  }
}

const cleanUp = async () => {
  await cerbos?.close().catch(() => undefined);
  cerbos = undefined;
  await temps.removeAll().catch(() => undefined);
  await tracing.shutdown().catch(() => undefined);
};
process.once('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130));
});

try {
  let latency: LatencyRow[] = [];
  let pairs: PairRow[] = [];
  let peers: LatencyRow[] = [];
  let peerPairs: PairRow[] = [];
  let peerCpu: CpuPerCall[] = [];
  let coldStart: ColdStartResult | null = null;
  let throughput: ThroughputRow[] = [];
  let memory: MemoryResult | null = null;
  let audit: AuditResult | null = null;

  if (only.has('latency')) {
    const binary = cerbosBinary();
    if (flags['no-cerbos']) skipped.push({ scenario: 'authzen', reason: '--no-cerbos' });
    else if (binary === undefined)
      skipped.push({ scenario: 'authzen', reason: '@cerbos/cerbos-linux-x64 is not installed' });
    else {
      try {
        cerbos = await startCerbos(binary, sizes.cerbosReadyMs);
        progress(`Cerbos ready in ${cerbos.startMs.toFixed(0)} ms at ${cerbos.url}`);
      } catch (error) {
        skipped.push({ scenario: 'authzen', reason: `Cerbos did not start: ${String(error).slice(0, 300)}` });
      }
    }
    ({ rows: latency, pairs } = await timed('latency', () =>
      runLatency({
        tracer: tracing.tracer,
        temps,
        cerbos,
        plan: {
          rounds: sizes.rounds,
          timeMs: sizes.roundMs,
          warmupMs: sizes.warmupMs,
          onProgress: (round, id) => {
            if (mode === 'full') progress(`  round ${round + 1}/${sizes.rounds} ${id}`);
          },
        },
        pairPlan: { rounds: sizes.pairRounds, timeMs: sizes.pairRoundMs, batchMs: sizes.pairBatchMs },
      }),
    ));
    await cerbos?.close();
    cerbos = undefined;
  }
  if (only.has('peers')) {
    ({
      rows: peers,
      pairs: peerPairs,
      cpu: peerCpu,
    } = await timed('peers', () =>
      runPeers({
        tracer: tracing.tracer,
        plan: {
          rounds: sizes.rounds,
          timeMs: sizes.roundMs,
          warmupMs: sizes.warmupMs,
          onProgress: (round, id) => {
            if (mode === 'full') progress(`  round ${round + 1}/${sizes.rounds} ${id}`);
          },
        },
        pairPlan: { rounds: sizes.pairRounds, timeMs: sizes.pairRoundMs, batchMs: sizes.pairBatchMs },
      }),
    ));
  }
  if (only.has('throughput')) {
    throughput = await timed('throughput', () =>
      runThroughput({
        temps,
        concurrencies: sizes.concurrencies,
        windowMs: sizes.throughputWindowMs,
        maxWindowMs: sizes.throughputMaxWindowMs,
        rampMs: sizes.throughputRampMs,
        warmupMs: sizes.throughputWarmupMs,
        onProgress: (id) => progress(`  ${id}`),
      }),
    );
  }
  if (only.has('memory')) {
    memory = await timed('memory', () =>
      runMemory({
        checkpoints: sizes.memoryCheckpoints,
        callsPerTask: sizes.callsPerTask,
        onProgress: (calls) => progress(`  ${calls} calls`),
      }),
    );
  }
  if (only.has('audit')) {
    audit = await timed('audit', () =>
      runAuditLog({
        temps,
        logRecords: sizes.logRecords,
        verifyRuns: sizes.verifyRuns,
        fleetMembers: sizes.fleetMembers,
        reuse: mode === 'full' && !flags['no-reuse-log'],
        appends: sizes.appends,
        onProgress: (message) => progress(`  ${message}`),
      }),
    );
  }

  if (only.has('coldstart')) {
    coldStart = await timed('coldstart', () =>
      runColdStart({ temps, runs: sizes.coldStartRuns, onProgress: (message) => progress(`  ${message}`) }),
    );
  }

  let toolServer: ToolServerRow[] | null = null;
  let cores: CoresRow[] | null = null;
  if (only.has('toolserver')) {
    toolServer = await timed('toolserver', () => runToolServer({ temps, plan: sizes.server }));
  }
  if (only.has('cores')) {
    cores = await timed('cores', () =>
      runCedarPool({ temps, ...sizes.cores, onProgress: (id) => progress(`  ${id}`) }),
    );
  }
  let adapters: AdapterRow[] | null = null;
  if (only.has('adapters')) {
    // loaded only now: the frameworks' modules would otherwise sit in the heap the memory scenario reads
    const { runAdapters } = await import('./scenarios/adapters.ts');
    adapters = await timed('adapters', () =>
      runAdapters({ ...sizes.adapters, onProgress: (message) => progress(`  ${message}`) }),
    );
  }

  const cpu = cpus();
  const require = createRequire(import.meta.url);
  const measured: Measured = {
    schemaVersion: 3,
    mode,
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
      date: new Date().toISOString(),
      loadAverage: loadAtStart,
    },
    run: {
      seconds: (performance.now() - started) / 1000,
      loadAverageEnd: loadavg(),
      rounds: sizes.rounds,
      roundMs: sizes.roundMs,
      scenarioSeconds,
      writVersion: (require('writ/package.json') as { version: string }).version,
    },
    latency,
    pairs,
    peers,
    peerPairs,
    peerCpu,
    throughput,
    coldStart,
    memory,
    audit,
    toolServer,
    cores,
    adapters,
    skipped,
    notes: NOTES,
  };
  const results: Results = resultsSchema.parse({ ...measured, targets: evaluateTargets(measured) });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
  console.log(`\nwrote ${out}`);
} finally {
  await cleanUp();
}
