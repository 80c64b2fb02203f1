// The shape of test/bench/results.json. run.ts validates what it writes; smoke.test.ts validates what it reads.
import { z } from 'zod';

const finite = z.number().finite();
const nonNegative = finite.nonnegative();
const count = z.number().int().nonnegative();

/** The scenarios of a run, in the order `npm run bench` runs them (`--only` takes these names). */
export const SCENARIOS = [
  'latency',
  'peers',
  'throughput',
  'memory',
  'audit',
  'coldstart',
  'toolserver',
  'cores',
  'adapters',
] as const;

export const machineSchema = z.strictObject({
  cpus: count,
  model: z.string(),
  memoryBytes: count,
  node: z.string(),
  v8: z.string(),
  platform: z.string(),
  arch: z.string(),
  date: z.iso.datetime(),
  /** `os.loadavg()` (1, 5, 15 minutes) when the run started: how busy the machine was. */
  loadAverage: z.array(nonNegative).length(3),
});

export const latencyRowSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  /** `peer`: another SDK's wrapper of the same tool; `adapter`: a framework's tool loop, with or without Writ. */
  group: z.enum(['baseline', 'writ', 'task', 'peer', 'adapter']),
  samples: count,
  p50Us: nonNegative,
  p99Us: nonNegative,
  meanUs: nonNegative,
  opsPerSec: nonNegative,
  /** The evidence floor cases: bytes of the canonical decision record, and of the call's two records. */
  recordBytes: z.strictObject({ decision: count, perCall: count }).optional(),
  /** The case it is compared with, and how. */
  vs: z
    .strictObject({
      baseline: z.string().min(1),
      p50Ratio: finite,
      meanRatio: finite,
      p50OverheadUs: finite,
      p99OverheadUs: finite,
    })
    .optional(),
});

/** Two cases sampled against each other in alternating batches (sampling.ts `samplePair`). */
export const pairRowSchema = z.strictObject({
  baseline: z.string().min(1),
  case: z.string().min(1),
  batchMs: nonNegative,
  baselineSamples: count,
  caseSamples: count,
  baselineP50Us: nonNegative,
  caseP50Us: nonNegative,
  p50Ratio: finite,
  p50OverheadUs: finite,
  p99OverheadUs: finite,
});

export const throughputRowSchema = z.strictObject({
  id: z.string().min(1),
  policy: z.string().min(1),
  durability: z.enum(['strict', 'batched', 'async']),
  concurrency: z.number().int().positive(),
  calls: count,
  seconds: nonNegative,
  callsPerSec: nonNegative,
});

export const memorySchema = z.strictObject({
  setup: z.string().min(1),
  gcForced: z.boolean(),
  seconds: nonNegative,
  points: z
    .array(
      z.strictObject({
        calls: count,
        heapUsedBytes: count,
        rssBytes: count,
      }),
    )
    .min(2),
  heapGrowthBytes: finite,
  rssGrowthBytes: finite,
});

export const appendRowSchema = z.strictObject({
  durability: z.enum(['strict', 'batched', 'async']),
  concurrency: z.number().int().positive(),
  records: count,
  seconds: nonNegative,
  recordsPerSec: nonNegative,
});

/**
 * One floor of `verify` (verify-floor-child.ts): read every segment and SHA-256 every record on `threads`
 * worker threads (`tree`: and fold the RFC 6962 root on the calling thread); the fastest run.
 */
const floorRunSchema = z.strictObject({
  threads: count,
  tree: z.boolean(),
  seconds: nonNegative,
  recordsPerSec: nonNegative,
  cpuSeconds: nonNegative,
});

export const auditSchema = z.strictObject({
  log: z.strictObject({
    records: count,
    bytes: count,
    reused: z.boolean(),
    buildSeconds: nonNegative.nullable(),
  }),
  /** The fastest of `runs` (each in a fresh process). */
  verify: z.strictObject({
    ok: z.boolean(),
    records: count,
    seconds: nonNegative,
    recordsPerSec: nonNegative,
    runs: z
      .array(z.strictObject({ seconds: nonNegative, recordsPerSec: nonNegative, cpuSeconds: nonNegative }))
      .min(1),
  }),
  /**
   * The floor of `verify`, in fresh processes interleaved with its runs (verify-floor-child.ts): read every
   * segment and SHA-256 every record on `threads` worker threads (`tree`: and fold the RFC 6962 root on the
   * calling thread); the fastest run of each.
   */
  floor: z.array(floorRunSchema),
  /**
   * `verifyFleet` over a bundle of `members` copies (hard links) of the large log, once, and its floors: read
   * + SHA-256 of every member record on 2 threads, without and with the RFC 6962 tree folded.
   */
  fleet: z
    .strictObject({
      members: count,
      records: count,
      workers: count,
      seconds: nonNegative,
      recordsPerSec: nonNegative,
      cpuSeconds: nonNegative,
      floor: z.array(floorRunSchema),
    })
    .nullable(),
  append: z.array(appendRowSchema),
});

/** Wall and CPU milliseconds of one step (median over the fresh processes). */
const stepTimeSchema = z.strictObject({ ms: nonNegative, cpuMs: nonNegative });

/** Cold start, each figure the median over `runs` fresh processes (cold-start-child.ts). */
export const coldStartSchema = z.strictObject({
  runs: z.number().int().positive(),
  /** Wall time of `await import('writ')`. */
  importMs: nonNegative,
  /** CPU time (user + system) of the same import. */
  importCpuMs: nonNegative,
  /** Zero-config `createWrit` (async durability) + `ready()` + requester token + task + one call, after the import. */
  firstCallMs: nonNegative,
  /** CPU time of the same. */
  firstCallCpuMs: nonNegative,
  /** The first call in parts: `create` (createWrit + writ.tool), `ready`, `token`, `firstTask` (task + call). */
  firstCallParts: z.record(z.string(), stepTimeSchema),
  /**
   * The steps of `ready()` one by one in other fresh processes (cold-start-child.ts parts): the imports of
   * @writ/identity, @writ/policy, @writ/audit, Cedar's wasm, the Cedar policy set, keys, the audit log.
   */
  startParts: z.record(z.string(), stepTimeSchema),
  /** The next task + call in the same process. */
  secondCallMs: nonNegative,
  /** The import of each baseline module, in processes interleaved with `writ`'s; `ratio` is writ ÷ it (wall). */
  baselines: z.array(
    z.strictObject({
      module: z.string().min(1),
      importMs: nonNegative,
      importCpuMs: nonNegative,
      ratio: finite,
    }),
  ),
});

/** One case of the tool-server scenario (scenarios/tool-server.ts): wall and CPU time per request. */
export const toolServerRowSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  durability: z.enum(['strict', 'batched', 'none']),
  samples: count,
  wallP50Us: nonNegative,
  wallP99Us: nonNegative,
  /** CPU time (user + system) of the process per request. */
  cpuP50Us: nonNegative,
  cpuP99Us: nonNegative,
  /** Audit records appended per request, counted over the run. */
  recordsPerRequest: nonNegative.optional(),
});

/** One set-up of the all-cores scenario (scenarios/cedar-pool.ts), medians over interleaved windows. */
/** One adapter on its framework's loop, three ways (scenarios/adapters.ts `AdapterRow`). */
export const adapterRowSchema = z.strictObject({
  id: z.string(),
  loop: z.string(),
  adapter: z.string(),
  p50Us: z.strictObject({ none: nonNegative, adapter: nonNegative, direct: nonNegative }),
  adapterAddsUs: finite,
  directAddsUs: finite,
  adapterAddsCpuUs: finite,
  directAddsCpuUs: finite,
  gap: finite,
  cpuGap: finite,
  hookAddsUs: finite.nullable(),
  hookAddsCpuUs: finite.nullable(),
  samples: z.number().int().nonnegative(),
});

export const coresRowSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  /** `cedar`: cedar-wasm alone in this thread; `pool`: the Cedar engine's worker pool alone (no Writ); `writ`: strict Writ calls. */
  kind: z.enum(['cedar', 'pool', 'writ']),
  /** Cedar worker threads (0: in the calling thread). */
  workers: count,
  /** Calls (or decisions) per second. */
  perSec: nonNegative,
  vsCedarSingleThread: finite,
  /** CPU time (user + system, every thread of the process) per call, µs. */
  cpuPerCallUs: nonNegative,
  rounds: z.number().int().positive(),
});

/** CPU time per call of a case, deferred work included (scenarios/cpu-per-call.ts). */
export const cpuPerCallSchema = z.strictObject({
  id: z.string().min(1),
  calls: count,
  cpuUsPerCall: nonNegative,
});

export const targetSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().min(1),
  threshold: z.string().min(1),
  value: finite.nullable(),
  unit: z.string(),
  /** `null` when the scenario behind it did not run. */
  met: z.boolean().nullable(),
  /**
   * The same figure for what the design requires with nothing else of Writ, measured in the same run:
   * for the latency targets the evidence floor (the records a call must produce, encoded and hashed),
   * for strict throughput with Cedar the rate of Cedar evaluations alone (`cedar-direct` ops/s, one
   * thread), for all cores the worker pool alone. Where the floor alone misses the threshold, the target is out of reach by design on this
   * machine. `null` when the target has no floor or it was not measured.
   */
  floor: z
    .strictObject({
      value: finite,
      /** Whether the floor alone meets the threshold; `null` in smoke mode. */
      met: z.boolean().nullable(),
    })
    .nullable(),
  /**
   * CPU time per call of the target's subject and baseline, work deferred off the call's path (the async
   * audit batch) included, so moved work is not read as removed work. Only on `core-vs-openllmetry`.
   */
  cpu: z.strictObject({ caseUs: nonNegative, baselineUs: nonNegative, ratio: finite }).optional(),
});

export const resultsSchema = z.strictObject({
  schemaVersion: z.literal(3),
  mode: z.enum(['full', 'smoke']),
  machine: machineSchema,
  run: z.strictObject({
    seconds: nonNegative,
    rounds: z.number().int().positive(),
    roundMs: z.number().int().positive(),
    /** `os.loadavg()` when the run ended. */
    loadAverageEnd: z.array(nonNegative).length(3),
    /** Wall time of each scenario that ran. */
    scenarioSeconds: z.partialRecord(z.enum(SCENARIOS), nonNegative),
    writVersion: z.string(),
  }),
  latency: z.array(latencyRowSchema),
  /** Pairs sampled in alternating batches; the Cedar ratio target reads its pair from here. */
  pairs: z.array(pairRowSchema),
  /** Peer SDKs and framework adapters (scenarios/peers.ts), sampled in their own interleaved rounds. */
  peers: z.array(latencyRowSchema),
  /** Pairs of the peers scenario, sampled in alternating batches: the "vs peers" section and the adapter gap. */
  peerPairs: z.array(pairRowSchema),
  /** CPU time per call of the peers' subjects, work deferred off the call's path included (cpu-per-call.ts). */
  peerCpu: z.array(cpuPerCallSchema),
  throughput: z.array(throughputRowSchema),
  coldStart: coldStartSchema.nullable(),
  memory: memorySchema.nullable(),
  audit: auditSchema.nullable(),
  /** The tool-server path (one inbound request); `null` when the scenario did not run. */
  toolServer: z.array(toolServerRowSchema).nullable(),
  /** Embedded Cedar on every core (strict, 64 in flight); `null` when the scenario did not run. */
  cores: z.array(coresRowSchema).nullable(),
  /** Every adapter on its framework's loop (the adapter gap per adapter); `null` when it did not run. */
  adapters: z.array(adapterRowSchema).nullable(),
  /** Every target, one row each (report.ts `TARGETS`). */
  targets: z.array(targetSchema),
  skipped: z.array(z.strictObject({ scenario: z.string(), reason: z.string() })),
  notes: z.array(z.string()),
});

export type Machine = z.infer<typeof machineSchema>;
export type LatencyRow = z.infer<typeof latencyRowSchema>;
export type PairRow = z.infer<typeof pairRowSchema>;
export type ThroughputRow = z.infer<typeof throughputRowSchema>;
export type MemoryResult = z.infer<typeof memorySchema>;
export type AppendRow = z.infer<typeof appendRowSchema>;
export type AuditResult = z.infer<typeof auditSchema>;
export type ColdStartResult = z.infer<typeof coldStartSchema>;
export type ToolServerRow = z.infer<typeof toolServerRowSchema>;
export type CoresRow = z.infer<typeof coresRowSchema>;
export type Target = z.infer<typeof targetSchema>;
export type CpuPerCall = z.infer<typeof cpuPerCallSchema>;
export type Results = z.infer<typeof resultsSchema>;
/** Everything a run measured: what the targets are computed from. */
export type Measured = Omit<Results, 'targets'>;
