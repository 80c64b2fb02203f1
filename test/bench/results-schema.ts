// The shape of test/bench/results.json. run.ts validates what it writes; smoke.test.ts validates what it reads.
import { z } from 'zod';

const finite = z.number().finite();
const nonNegative = finite.nonnegative();
const count = z.number().int().nonnegative();

export const machineSchema = z.strictObject({
  cpus: count,
  model: z.string(),
  memoryBytes: count,
  node: z.string(),
  v8: z.string(),
  platform: z.string(),
  arch: z.string(),
  date: z.iso.datetime(),
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
    runs: z.array(z.strictObject({ seconds: nonNegative, recordsPerSec: nonNegative })).min(1),
  }),
  append: z.array(appendRowSchema),
});

/** Cold start, each figure the median over `runs` fresh processes (cold-start-child.ts). */
export const coldStartSchema = z.strictObject({
  runs: z.number().int().positive(),
  /** Wall time of `await import('writ')`. */
  importMs: nonNegative,
  /** CPU time (user + system) of the same import. */
  importCpuMs: nonNegative,
  /** Zero-config `createWrit` (async durability) + `ready()` + requester token + task + one call, after the import. */
  firstCallMs: nonNegative,
  /** The next task + call in the same process. */
  secondCallMs: nonNegative,
  /** The import of each baseline module, in processes interleaved with `writ`'s; `ratio` is writ ÷ it. */
  baselines: z.array(z.strictObject({ module: z.string().min(1), importMs: nonNegative, ratio: finite })),
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
   * thread). Where the floor alone misses the threshold, the target is out of reach by design on this
   * machine. `null` when the target has no floor or it was not measured.
   */
  floor: z
    .strictObject({
      value: finite,
      /** Whether the floor alone meets the threshold; `null` in smoke mode. */
      met: z.boolean().nullable(),
    })
    .nullable(),
});

export const resultsSchema = z.strictObject({
  schemaVersion: z.literal(2),
  mode: z.enum(['full', 'smoke']),
  machine: machineSchema,
  run: z.strictObject({
    seconds: nonNegative,
    rounds: z.number().int().positive(),
    roundMs: z.number().int().positive(),
    /** Wall time of each scenario that ran. */
    scenarioSeconds: z.partialRecord(
      z.enum(['latency', 'peers', 'throughput', 'memory', 'audit', 'coldstart']),
      nonNegative,
    ),
    writVersion: z.string(),
  }),
  latency: z.array(latencyRowSchema),
  /** Pairs sampled in alternating batches; the Cedar ratio target reads its pair from here. */
  pairs: z.array(pairRowSchema),
  /** Peer SDKs and framework adapters (scenarios/peers.ts), sampled in their own interleaved rounds. */
  peers: z.array(latencyRowSchema),
  /** Pairs of the peers scenario, sampled in alternating batches: the "vs peers" section and the adapter gap. */
  peerPairs: z.array(pairRowSchema),
  throughput: z.array(throughputRowSchema),
  coldStart: coldStartSchema.nullable(),
  memory: memorySchema.nullable(),
  audit: auditSchema.nullable(),
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
export type Target = z.infer<typeof targetSchema>;
export type Results = z.infer<typeof resultsSchema>;
